//! A message Slack will never let us update (it was deleted; an archived channel, a removed app
//! or a revoked token are refused the same way) does not keep the Decision Relay busy: the
//! decision reaches the workflow, the relay tries the update once, records why it gave up,
//! and the record leaves the relay index. Its own test binary: the stand-in's rate-limit
//! hook affects every Slack call of the stack.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::json;

const RELAY: &str = "DecisionRelayFunction.Relay";

async fn fire_relay() {
    let r = http()
        .post(format!(
            "{}/_local/api/schedules/{RELAY}/fire",
            endpoints().api
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
}

async fn delete_message(channel: &str, ts: &str) {
    let r = http()
        .post(format!(
            "{}/_standins/slack/_control/delete",
            endpoints().api
        ))
        .json(&json!({"channel": channel, "ts": ts}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
}

#[tokio::test]
async fn a_message_that_can_never_be_updated_is_given_up_with_its_reason() {
    let tag = unique("gave-up");
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({"channel": "#approvals", "header": "Delete volume?", "text": format!("Volume {tag}"),
               "buttons": [{"label": "Delete", "value": "approve"}, {"label": "Keep", "value": "reject"}]}),
    )
    .await;
    let message = slack_message_with(&tag).await;
    let (channel, ts) = message_ref(&message);

    // Slack throttles while the click updates the message: the update is left to the relay.
    rate_limit("slack", 1000, 1).await;
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let finished = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(
        finished.status, "SUCCEEDED",
        "the decision reached the workflow"
    );
    // Then someone deletes the message, and Slack answers again.
    delete_message(&channel, &ts).await;
    rate_limit("slack", 0, 1).await;

    let approval_id = message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|b| b["block_id"].as_str()?.strip_prefix("hitl:"))
        .expect("the buttons' block names the request")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(90);
    let record = loop {
        fire_relay().await;
        let record = approval_record(&approval_id).await;
        if record.contains_key("messageUpdateFailedAt") || Instant::now() > deadline {
            break record;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let reason = attr(&record, "messageUpdateFailedReason");
    assert!(reason.starts_with("Slack.MessageNotFound"), "{record:?}");
    assert!(!record.contains_key("redrive"), "settled: {record:?}");
    assert!(!record.contains_key("messageUpdatedAt"), "{record:?}");
}
