//! A decision is never lost or misreported, end to end with injected faults: Step Functions
//! refusing `SendTaskSuccess`, a Decision API process killed right after the decision write,
//! an execution stopped before the click, a click after expiry, and a wait without
//! `TimeoutSeconds`. Nobody clicks twice; the scheduled Decision Relay finishes the job.
//!
//! Faults are global to this binary's stack, so the scenarios run as phases of one test and
//! their long waits overlap.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

const FLOW: &str = "EmailApprovalStateMachine";
const SLACK_FLOW: &str = "SlackApprovalStateMachine";
/// The relay runs every minute; after a fault clears, a decision must arrive within 60 s.
const RELAY_LIMIT: Duration = Duration::from_secs(60);
/// Bounds each wait; the assertion on the re-delivery time is the one that matters.
const LONG: Duration = Duration::from_secs(120);

async fn set_faults(config: Value) {
    let r = http()
        .post(format!("{}/_local/api/faults", endpoints().api))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "faults: {}",
        r.text().await.unwrap()
    );
}

async fn email_request(title: &str, extra: Value) -> (String, String) {
    let mut input = json!({"title": title, "to": ["owner@example.com"]});
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let arn = start_execution(FLOW, input).await;
    let emails = emails_matching(title, 1).await;
    let (approve, _) = links_of(&emails[0]);
    wait_until_waiting(&approval_id_of(&approve)).await;
    (arn, approve)
}

fn approval_id_of(link: &str) -> String {
    let path = link.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

/// New links (`expiresInSeconds`) and a workflow whose one `Wait` Task waits on them, with
/// `wait` merged into that Task (its deadline, its Catch) and `more` states beside it.
/// Returns the execution and the approve link.
async fn wait_on_new_links(expires_in: i64, wait: Value, more: Value) -> (String, String) {
    let (error, links) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": unique("wait"), "expiresInSeconds": expires_in}),
    )
    .await;
    assert_eq!(error, None, "{links}");
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {
            "FunctionName": function_arn("WaitForApprovalFunction"),
            "Payload": {"approvalId": links["approvalId"], "taskToken.$": "$$.Task.Token"}
        },
        "End": true
    });
    let mut states = more;
    for (k, v) in wait.as_object().unwrap() {
        task[k] = v.clone();
    }
    states["Wait"] = task;
    let definition = json!({"StartAt": "Wait", "States": states});
    let arn = start_machine(definition).await;
    (arn, links["approveUrl"].as_str().unwrap().to_string())
}

/// A workflow that waits on links with no `TimeoutSeconds`: only the relay can end it.
async fn start_wait_without_timeout() -> String {
    let catch = json!({"Catch": [{"ErrorEquals": ["Hitl.Expired"], "ResultPath": "$.expiry", "Next": "Expired"}]});
    let expired = json!({"Expired": {"Type": "Pass", "Parameters": {"outcome": "expired", "error.$": "$.expiry.Error"}, "End": true}});
    wait_on_new_links(5, catch, expired).await.0
}

#[tokio::test]
async fn no_decision_is_lost_whatever_fails_and_late_ones_are_never_effective() {
    let waits_forever = start_wait_without_timeout().await;
    let (expired_arn, expired_link) =
        email_request(&unique("Stop db-late"), json!({"timeoutSeconds": 5})).await;

    let (refused_arn, slack_arn, asked) = decide_while_step_functions_refuses().await;
    let slow_arn = decide_while_all_after_the_write_is_slow().await;
    let killed_arn = decide_while_the_process_dies_after_the_write().await;

    // The faults clear. Nobody clicks again.
    set_faults(json!({})).await;
    let cleared = Instant::now();

    a_click_after_the_task_stopped_waiting_is_late().await;
    a_click_after_expiry_is_kept_as_late(&expired_link).await;

    let (refused, slack, killed, forever, expired, slow) = tokio::join!(
        wait_for_end(&refused_arn, LONG),
        wait_for_end(&slack_arn, LONG),
        wait_for_end(&killed_arn, LONG),
        wait_for_end(&waits_forever, LONG),
        wait_for_end(&expired_arn, LONG),
        wait_for_end(&slow_arn, LONG),
    );
    assert_eq!(slow.output["outcome"], "rejected", "{slow:?}");
    let drained = cleared.elapsed();
    assert_eq!(refused.output["outcome"], "approved", "{refused:?}");
    assert_eq!(refused.output["decision"]["decidedBy"]["name"], "Dana");
    assert_eq!(slack.output["outcome"], "approved", "{slack:?}");
    assert_eq!(killed.output["outcome"], "approved", "{killed:?}");
    assert_eq!(forever.output["outcome"], "expired", "{forever:?}");
    assert_eq!(forever.output["error"], "Hitl.Expired", "{forever:?}");
    assert_eq!(expired.output["outcome"], "expired", "{expired:?}");
    // The next scheduled run comes at most a minute after the failure; a loaded CI machine
    // may add a few seconds of its own.
    eprintln!("re-delivered {drained:?} after the faults cleared");
    assert!(
        drained <= RELAY_LIMIT + Duration::from_secs(10),
        "{drained:?}"
    );

    // The Slack message ends with the outcome, its buttons gone, without another click.
    let message = slack_message(&asked.0, &asked.1).await;
    let text = message.to_string();
    assert!(
        text.contains("Approved") && !text.contains("passing it on"),
        "{text}"
    );
    assert!(!text.contains("\"actions\""), "{text}");
}

/// Phase 1: Step Functions refuses every SendTaskSuccess. Dana approves by email and Alice in
/// Slack; each is told the decision is kept. Returns the two executions and the Slack message.
async fn decide_while_step_functions_refuses() -> (String, String, (String, String)) {
    set_faults(
        json!({"rules": [{"service": "sfn", "operation": "SendTaskSuccess", "errorRate": 1.0}]}),
    )
    .await;
    let (refused_arn, refused_link) = email_request(&unique("Stop db-refused"), json!({})).await;
    let page = confirm(&refused_link, &[("name", "Dana")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("no need to click again"),
        "{}",
        page.body
    );
    let question = unique("Scale down staging?");
    let slack_arn = start_execution(
        SLACK_FLOW,
        json!({"channel": "C0APPROVALS", "text": question}),
    )
    .await;
    let asked = message_ref(&slack_message_with(&question).await);
    let (status, _) = slack_click(&asked.0, &asked.1, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200, "Slack always gets its answer");
    (refused_arn, slack_arn, asked)
}

/// Phase 1b: everything after the decision write is slow (Step Functions 4 s, Slack 3 s):
/// Slack still gets its answer within 2.5 s (the decision still arrives: checked at the end).
/// Returns the execution Bob rejected.
async fn decide_while_all_after_the_write_is_slow() -> String {
    set_faults(json!({"rules": [
        {"service": "sfn", "operation": "SendTaskSuccess", "latencyMs": 4000},
        {"service": "slack", "operation": "chat.update", "latencyMs": 3000},
        {"service": "slack", "operation": "chat.postEphemeral", "latencyMs": 3000}
    ]}))
    .await;
    let slow_question = unique("Restart the batch cluster?");
    let slow_arn = start_execution(
        SLACK_FLOW,
        json!({"channel": "C0APPROVALS", "text": slow_question}),
    )
    .await;
    let (slow_channel, slow_ts) = message_ref(&slack_message_with(&slow_question).await);
    let clicked = Instant::now();
    let (status, _) = slack_click(&slow_channel, &slow_ts, "U0BOB", "reject", json!({})).await;
    let answered = clicked.elapsed();
    eprintln!("slow Slack click answered in {answered:?}");
    assert_eq!(status, 200);
    assert!(answered < Duration::from_millis(2500), "{answered:?}");
    slow_arn
}

/// Phase 2: the Decision API process dies right after the decision write; the person sees an
/// error. Returns the execution.
async fn decide_while_the_process_dies_after_the_write() -> String {
    set_faults(json!({"kill": [{"function": "DecisionApiFunction", "afterCall": "dynamodb.UpdateItem", "bodyContains": "decidedAt", "rate": 1.0}]})).await;
    let (killed_arn, killed_link) = email_request(&unique("Stop db-killed"), json!({})).await;
    let page = confirm(&killed_link, &[]).await;
    assert!(
        page.status >= 500,
        "the person saw an error: {}",
        page.status
    );
    killed_arn
}

/// A click after the Task stopped waiting (its own timeout, shorter than the links') is
/// late, never effective. (moto still accepts SendTaskSuccess for a *stopped* execution's
/// token, which AWS refuses, so the Task's timeout stands in for a stop here.)
async fn a_click_after_the_task_stopped_waiting_is_late() {
    let (short_arn, short_link) = short_wait().await;
    let short_end = wait_for_end(&short_arn, LONG).await;
    assert_eq!(short_end.output["outcome"], "timed-out", "{short_end:?}");
    let page = confirm(&short_link, &[]).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.body
            .contains("Too late: the workflow had already stopped waiting"),
        "{}",
        page.body
    );
    let stopped = approval_record(&approval_id_of(&short_link)).await;
    assert!(
        stopped.contains_key("lateAt"),
        "audited as late: {stopped:?}"
    );
}

/// A click after the links (and the wait) expired changes nothing and costs no write: the
/// link's signed expiry answers it before the table is touched.
async fn a_click_after_expiry_is_kept_as_late(expired_link: &str) {
    tokio::time::sleep(Duration::from_secs(5)).await;
    let page = confirm(expired_link, &[]).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.body
            .contains("Too late: the workflow stopped waiting at"),
        "{}",
        page.body
    );
    let late = approval_record(&approval_id_of(expired_link)).await;
    assert!(
        !late.contains_key("lateDecisions"),
        "nothing stored: {late:?}"
    );
    assert!(!late.contains_key("decision"), "{late:?}");
}

/// A workflow whose wait times out after 2 s while its links live a minute.
async fn short_wait() -> (String, String) {
    let deadline = json!({"TimeoutSeconds": 2, "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}]});
    let timed_out =
        json!({"TimedOut": {"Type": "Pass", "Parameters": {"outcome": "timed-out"}, "End": true}});
    wait_on_new_links(60, deadline, timed_out).await
}

async fn start_machine(definition: Value) -> String {
    start_workflow("Redelivery", &definition, &json!({})).await
}

/// Until the execution's wait Task has stored its token on the record.
async fn wait_until_waiting(approval_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while attr(&approval_record(approval_id).await, "taskToken").is_empty() {
        assert!(
            Instant::now() < deadline,
            "{approval_id} never started waiting"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
