//! Slack messages outside a request, on the local stack: Send Message (to a channel or a DM, in a
//! thread), Update Message, Wait For User Action on a message sent earlier, and how Slack's
//! errors and rate limits reach the workflow. Requests and their clicks: `slack.rs`.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

/// The stand-in's rate-limit hook affects every Slack call of the stack: these tests take
/// turns (a throttled `chat.update` of the other test failed it once, Slack.RateLimited).
static SLACK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn send_update_and_wait_for_a_click_that_came_first() {
    let _turn = SLACK.lock().await;
    let tag = unique("deploy");
    let sent = ask_alice_in_a_dm(&tag).await;

    // The click comes before anything waits: kept.
    let (channel, ts) = message_ref(&sent);
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "reject", json!({})).await;
    assert_eq!(status, 200);

    reply_in_its_thread_and_update_the_reply(&sent).await;

    // Now a workflow waits on the first message (ASL a user writes): resumed at once with
    // the earlier click.
    let end = wait_in_a_workflow_of_its_own(&sent).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "reject");
    assert_eq!(end.output["slackUser"]["id"], "U0ALICE");
}

/// Sends Alice, by her user id, a message with two buttons; returns what Send Message returned.
async fn ask_alice_in_a_dm(tag: &str) -> Value {
    let (error, sent) = invoke(
        "SlackSendMessageFunction",
        &json!({
            "user": "U0ALICE", "text": format!("Deploy {tag}?"),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": format!("Deploy *{tag}*?")}},
                {"type": "actions", "elements": [
                    {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "approve", "style": "primary"},
                    {"type": "button", "action_id": "stop", "text": {"type": "plain_text", "text": "Stop"}, "value": "reject"}
                ]}
            ]
        }),
    )
    .await;
    assert_eq!(error, None, "{sent}");
    assert!(
        sent["channel"].as_str().unwrap().starts_with('D'),
        "a user id opens the DM: {sent}"
    );
    assert!(
        sent["approvalId"].is_string(),
        "a message with buttons can be waited on"
    );
    sent
}

/// A thread reply to `sent` (plain text, nothing to wait on), then an update of that reply.
async fn reply_in_its_thread_and_update_the_reply(sent: &Value) {
    let (error, reply) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": sent["channel"], "text": "Noted.", "threadTs": sent["ts"]}),
    )
    .await;
    assert_eq!(error, None, "{reply}");
    assert_eq!(reply.get("approvalId"), None, "plain text is not waitable");
    let (error, _) = invoke(
        "SlackUpdateMessageFunction",
        &json!({"message": reply, "text": "Noted, thanks."}),
    )
    .await;
    assert_eq!(error, None);
    let (channel, ts) = message_ref(&reply);
    let updated = slack_message(&channel, &ts).await;
    assert_eq!(updated["text"], "Noted, thanks.");
    assert_eq!(updated["threadTs"], sent["ts"]);
}

/// Creates a state machine whose one Task waits (Wait For User Action) on the message `sent`,
/// runs it and waits for its end.
async fn wait_in_a_workflow_of_its_own(sent: &Value) -> Finished {
    let definition = json!({
        "StartAt": "WaitForClick",
        "States": {"WaitForClick": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": function_arn("SlackWaitForUserActionFunction"),
                "Payload": {"message.$": "$.sent", "taskToken.$": "$$.Task.Token"}},
            "TimeoutSeconds": 60,
            "End": true
        }}
    });
    let execution = start_workflow("e2e-slack-wait", &definition, &json!({"sent": sent})).await;
    wait_for_end(&execution, Duration::from_secs(30)).await
}

#[tokio::test]
async fn slack_errors_become_named_task_errors_and_429_is_retried() {
    let _turn = SLACK.lock().await;
    let (error, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "#nope", "text": "hi"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Slack.ChannelNotFound", "{out}");
    let (_, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "#private", "text": "hi"}),
    )
    .await;
    assert_eq!(out["errorType"], "Slack.NotInChannel", "{out}");
    assert!(
        out["errorMessage"].as_str().unwrap().contains("invite"),
        "{out}"
    );
    let (_, out) = invoke(
        "SlackUpdateMessageFunction",
        &json!({"channel": "C0GENERAL", "ts": "1.000001", "text": "x"}),
    )
    .await;
    assert_eq!(out["errorType"], "Slack.MessageNotFound", "{out}");
    let (_, out) = invoke(
        "SlackRequestActionFunction",
        &json!({"channel": "#approvals", "text": "x"}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    assert!(
        out["errorMessage"].as_str().unwrap().contains("taskToken"),
        "{out}"
    );

    a_short_retry_after_is_waited_out_and_a_long_one_is_a_named_error().await;
}

async fn a_short_retry_after_is_waited_out_and_a_long_one_is_a_named_error() {
    // One 429 with Retry-After: 1 is waited out; the message goes through.
    rate_limit("slack", 1, 1).await;
    let tag = unique("ratelimit");
    let (error, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "C0GENERAL", "text": tag}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    slack_message_with(&tag).await;

    // A long Retry-After is not waited in the Lambda: a named error the ASL Retry can back off on.
    rate_limit("slack", 3, 30).await;
    let (_, out) = invoke(
        "SlackSendMessageFunction",
        &json!({"channel": "C0GENERAL", "text": "later"}),
    )
    .await;
    assert_eq!(out["errorType"], "Slack.RateLimited", "{out}");
    assert!(
        out["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Retry-After 30"),
        "{out}"
    );
    rate_limit("slack", 0, 1).await;
}
