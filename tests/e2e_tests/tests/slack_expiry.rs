//! The Slack expiry sweep on the local stack: the scheduled function closes the buttons of
//! requests that expired without an answer, leaves decided ones alone, and a rate-limited sweep
//! leaves the message open for the next one. Its own test binary (its own stack), so no other
//! test's messages are swept under it.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

const SWEEP: &str = "SlackExpirySweeperFunction.Sweep";

/// Fires the sweep's schedule now, as EventBridge Scheduler would; returns the sweep report.
async fn sweep() -> Value {
    let r = http()
        .post(format!(
            "{}/_local/api/schedules/{SWEEP}/fire",
            endpoints().api
        ))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "the sweep failed: {body}");
    body["output"].clone()
}

fn listed(report: &Value, field: &str, approval_id: &str) -> bool {
    report[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} missing: {report}"))
        .iter()
        .any(|id| id == approval_id)
}

/// Starts a Slack approval that expires in 6 seconds; returns the execution, the message and
/// the approval id its buttons carry.
async fn ask(tag: &str) -> (String, String, String, String) {
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({
            "channel": "#approvals", "header": format!("Resize {tag}?"), "text": format!("*{tag}* is oversized"),
            "timeoutSeconds": 6
        }),
    )
    .await;
    let message = slack_message_with(tag).await;
    let actions = message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .cloned()
        .expect("a request has buttons");
    let approval_id = actions["block_id"]
        .as_str()
        .unwrap()
        .strip_prefix("hitl:")
        .unwrap()
        .to_string();
    (
        arn,
        message["channel"].as_str().unwrap().to_string(),
        message["ts"].as_str().unwrap().to_string(),
        approval_id,
    )
}

fn has_buttons(message: &Value) -> bool {
    message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["type"] == "actions")
}

fn last_line(message: &Value) -> String {
    message["blocks"].as_array().unwrap().last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn expired_unanswered_requests_lose_their_buttons_and_decided_ones_keep_their_outcome() {
    let unanswered = unique("sweep-open");
    let answered = unique("sweep-done");
    let (open_arn, open_channel, open_ts, open_id) = ask(&unanswered).await;
    let (done_arn, done_channel, done_ts, done_id) = ask(&answered).await;
    let (status, _) = slack_click(&done_channel, &done_ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);

    // Before expiry the sweep finds nothing of ours.
    let early = sweep().await;
    assert!(!listed(&early, "closed", &open_id), "{early}");
    assert!(has_buttons(&slack_message(&open_channel, &open_ts).await));

    assert_eq!(
        wait_for_end(&done_arn, Duration::from_secs(30))
            .await
            .output["outcome"],
        "approved"
    );
    let open_end = wait_for_end(&open_arn, Duration::from_secs(40)).await;
    assert_eq!(open_end.output["outcome"], "expired", "{open_end:?}");
    // The record's expiry is a moment after the Task's start; let it pass.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // A 429 that outlasts the function's retry budget: the message stays open, named in the
    // report, and the next sweep closes it.
    rate_limit("slack", 3, 30).await;
    let limited = sweep().await;
    rate_limit("slack", 0, 1).await;
    assert!(listed(&limited, "retryLater", &open_id), "{limited}");
    assert!(has_buttons(&slack_message(&open_channel, &open_ts).await));

    let report = sweep().await;
    assert!(listed(&report, "closed", &open_id), "{report}");
    assert!(!listed(&report, "closed", &done_id), "{report}");
    let closed = slack_message(&open_channel, &open_ts).await;
    assert!(!has_buttons(&closed), "no buttons left: {closed}");
    assert_eq!(
        closed["blocks"][0]["text"]["text"],
        format!("Resize {unanswered}?")
    );
    assert!(last_line(&closed).contains("Expired"), "{closed}");
    assert!(closed["text"].as_str().unwrap().ends_with(": expired"));

    // The decided message still says who decided, and a closed one is not updated again.
    let decided = slack_message(&done_channel, &done_ts).await;
    assert!(last_line(&decided).contains("<@U0ALICE>"), "{decided}");
    let edits = closed["edits"].clone();
    let again = sweep().await;
    assert!(!listed(&again, "closed", &open_id), "{again}");
    assert_eq!(slack_message(&open_channel, &open_ts).await["edits"], edits);
}
