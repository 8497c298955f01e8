//! Follow-up questions in Slack, on the local stack: a click whose button asks opens a modal
//! (`views.open` with the click's trigger, in the Slack stand-in) and decides nothing; the
//! modal's submission comes back signed (`view_submission`); a refused answer is answered with
//! `response_action: errors` and records nothing; a valid one resumes the execution with it.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

async fn start(tag: &str, follow_up: Value) -> String {
    let input = json!({
        "channel": "#approvals", "header": "Scale down cluster?",
        "text": format!("Cluster {tag} idle"),
        "buttons": [
            {"label": "Scale down", "value": "approve", "style": "primary"},
            {"label": "Keep", "value": "reject", "style": "danger"},
            {"label": "Next week", "value": "defer"}
        ],
        "followUp": follow_up
    });
    start_execution("SlackApprovalStateMachine", input).await
}

/// The modals the Slack stand-in holds for `user`, open or done.
async fn modals_of(user: &str) -> Vec<Value> {
    let views = chat().await["slack"]["views"].clone();
    views
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["user"] == user)
        .cloned()
        .collect()
}

/// Held by each test that opens Carol's modals: the submit hook answers a person's open modal,
/// so two of her modals open at once would be ambiguous.
static CAROL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `user` submits their open modal with `answer`: what the stand-in reports.
async fn submit(user: &str, answer: Option<&str>) -> Value {
    let r = http()
        .post(format!(
            "{}/_standins/slack/_control/submit",
            endpoints().api
        ))
        .json(&json!({"user": user, "answer": answer}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "submit hook: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_click_opens_the_question_a_refused_number_changes_nothing_a_valid_one_resumes() {
    let _carol = CAROL.lock().await;
    let tag = unique("replicas");
    let question =
        json!({"question": "How many replicas?", "answer": "number", "after": ["reject", "defer"]});
    let arn = start(&tag, question).await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);

    let (status, _) = slack_click(&channel, &ts, "U0CAROL", "reject", json!({})).await;
    assert_eq!(status, 200);
    let modals = modals_of("U0CAROL").await;
    let modal = modals.last().expect("a modal opened for the clicker");
    assert_eq!(modal["state"], "open");
    assert_eq!(
        modal["view"]["blocks"][1]["element"]["type"],
        "number_input"
    );
    assert_eq!(
        modal["view"]["blocks"][1]["label"]["text"],
        "How many replicas?"
    );
    assert!(
        has_buttons(&slack_message(&channel, &ts).await),
        "nothing decided yet"
    );

    let refused = submit("U0CAROL", Some("three")).await;
    assert_eq!(refused["state"], "open", "{refused}");
    let reason = refused["errors"]["hitl_answer"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("is not a number"), "{refused}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "a refused answer decides nothing"
    );

    let accepted = submit("U0CAROL", Some("2")).await;
    assert_eq!(accepted["state"], "submitted", "{accepted}");
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let decision = &end.output["decision"];
    assert_eq!(end.output["outcome"], "rejected", "{end:?}");
    assert_eq!(decision["slackUser"]["id"], "U0CAROL");
    assert_eq!(
        decision["followUp"],
        json!({"question": "How many replicas?", "answer": 2})
    );
    let line = last_line(&slack_message(&channel, &ts).await);
    assert!(
        line.contains("<@U0CAROL>") && line.contains("How many replicas? 2"),
        "{line}"
    );
}

#[tokio::test]
async fn a_choice_without_the_question_decides_directly_and_a_cancelled_modal_nothing() {
    let tag = unique("direct");
    let arn = start(
        &tag,
        json!({"question": "Why keep it?", "after": ["reject"]}),
    )
    .await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);

    // Bob asks to keep it, then cancels the question on the local page: nothing decided,
    // buttons still there.
    slack_click(&channel, &ts, "U0BOB", "reject", json!({})).await;
    let modal = modals_of("U0BOB").await.last().cloned().unwrap();
    assert_eq!(modal["state"], "open");
    let id = modal["id"].as_str().unwrap();
    let page = get(&format!("{}/_local/", endpoints().api)).await;
    assert!(
        page.body.contains(&format!("id=\"modal-{id}\"")),
        "the page shows the modal"
    );
    assert!(page.body.contains("Why keep it?"));
    let cancelled = http()
        .post(format!("{}/_local/slack/submit", endpoints().api))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("view={id}&cancel="))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status().as_u16(), 303);
    assert_eq!(modals_of("U0BOB").await.last().unwrap()["state"], "closed");
    assert!(has_buttons(&slack_message(&channel, &ts).await));
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let before = modals_of("U0ALICE").await.len();
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    assert!(
        end.output["decision"].get("followUp").is_none(),
        "{}",
        end.output
    );
    assert_eq!(
        modals_of("U0ALICE").await.len(),
        before,
        "approve opens no modal"
    );
}

#[tokio::test]
async fn a_long_answer_is_kept_whole_and_the_message_still_loses_its_buttons() {
    let _carol = CAROL.lock().await;
    let tag = unique("why");
    let arn = start(
        &tag,
        json!({"question": "Why keep it?", "after": ["reject"]}),
    )
    .await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);
    let (status, _) = slack_click(&channel, &ts, "U0CAROL", "reject", json!({})).await;
    assert_eq!(status, 200);
    // As long as a text answer may be, and every character escaped to five in mrkdwn.
    let answer = "<&>".repeat(1000);
    let accepted = submit("U0CAROL", Some(&answer)).await;
    assert_eq!(accepted["state"], "submitted", "{accepted}");
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(
        end.output["decision"]["followUp"]["answer"],
        answer.as_str()
    );
    // Slack refuses a text over 3000 characters; the shortened line is accepted at once.
    let message = slack_message(&channel, &ts).await;
    assert!(!has_buttons(&message), "the update went through: {message}");
    assert!(last_line(&message).ends_with('\u{2026}'), "{message}");
}
