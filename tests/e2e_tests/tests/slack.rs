//! Slack requests on the local stack: the real functions against the Slack stand-in, clicks
//! sent as Slack sends them (signed `block_actions` to the Decision API's `/slack/interactions`):
//! who may decide, what the message then shows, and the clicks that decide nothing. Messages sent,
//! updated and waited on outside a request: `slack_messages.rs`.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

async fn start_slack_approval(text: &str, extra: Value) -> String {
    let mut input = json!({
        "channel": "#approvals", "header": "Scale down cluster?", "text": text,
        "buttons": [
            {"label": "Scale down", "value": "approve", "style": "primary", "confirm": {"text": "Really?"}},
            {"label": "Keep", "value": "reject", "style": "danger"},
            {"label": "Next week", "value": "defer"}
        ],
        "allowedUsers": ["U0ALICE", "U0BOB"]
    });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    start_execution("SlackApprovalStateMachine", input).await
}

#[tokio::test]
async fn a_click_decides_updates_the_message_and_a_second_click_changes_nothing() {
    let tag = unique("scale");
    let arn = start_slack_approval(&format!("Cluster {tag} idle"), json!({})).await;
    let message = slack_message_with(&tag).await;
    let (channel, ts) = message_ref(&message);
    assert_eq!(channel, "C0APPROVALS", "#approvals resolves to its id");
    let buttons = &message["blocks"][2]["elements"];
    assert_eq!(buttons[0]["confirm"]["text"]["text"], "Really?");

    // Someone not on the allow-list: an ephemeral note, nothing decided.
    let (status, _) = slack_click(&channel, &ts, "U0CAROL", "approve", json!({})).await;
    assert_eq!(status, 200, "Slack always gets its 200");
    assert!(slack_ephemerals_for("U0CAROL")
        .await
        .iter()
        .any(|t| t.contains("Only <@U0ALICE>, <@U0BOB>")));
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let (status, _) = slack_click(&channel, &ts, "U0BOB", "defer", json!({})).await;
    assert_eq!(status, 200);
    let decision = bobs_deferral(&arn).await;

    // The message lost its buttons and says who decided.
    let updated = slack_message(&channel, &ts).await;
    assert!(!has_buttons(&updated), "{updated}");
    let outcome = last_line(&updated);
    assert!(
        outcome.contains("<@U0BOB>") && outcome.contains("defer"),
        "{outcome}"
    );

    // A late click from a client that still shows the buttons: ephemeral, nothing changes.
    let (status, _) =
        slack_click(&channel, &ts, "U0ALICE", "approve", json!({"stale": true})).await;
    assert_eq!(status, 200);
    assert_only_alice_is_told_bob_decided().await;
    assert_bob_still_decided(&decision, &channel, &ts).await;
}

/// Waits for the execution: it got Bob's "defer" through the Choice's custom branch. Returns the
/// decision it got.
async fn bobs_deferral(arn: &str) -> Value {
    let end = wait_for_end(arn, Duration::from_secs(30)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(
        end.output["outcome"], "answered",
        "the Choice took the custom branch"
    );
    let decision = &end.output["decision"];
    assert_eq!(decision["decision"], "defer");
    assert_eq!(decision["value"], "defer");
    assert_eq!(decision["approved"], false);
    assert_eq!(decision["decidedBy"]["channel"], "slack");
    assert_eq!(decision["slackUser"]["id"], "U0BOB");
    assert_eq!(decision["slackUser"]["username"], "bob");
    decision.clone()
}

/// After Alice's late click: she is told Bob decided; Bob, the winner, is not told someone else did.
async fn assert_only_alice_is_told_bob_decided() {
    let notes = slack_ephemerals_for("U0ALICE").await;
    assert!(
        notes
            .iter()
            .any(|t| t.contains("Already decided") && t.contains("<@U0BOB>")),
        "{notes:?}"
    );
    assert!(
        !slack_ephemerals_for("U0BOB")
            .await
            .iter()
            .any(|t| t.contains("Already decided")),
        "the winner is not told someone else decided"
    );
}

/// The record still holds Bob's answer, the one the execution got (`decision`), and names him;
/// the message still says Bob decided.
async fn assert_bob_still_decided(decision: &Value, channel: &str, ts: &str) {
    let item = approval_record(decision["approvalId"].as_str().unwrap()).await;
    assert_eq!(attr(&item, "decision"), "defer", "{item:?}");
    assert_eq!(attr(&item, "slackUserId"), "U0BOB", "{item:?}");
    assert_eq!(
        attr(&item, "decidedById"),
        decision["decidedBy"]["id"].as_str().unwrap(),
        "{item:?}"
    );
    assert!(!item.contains_key("lateDecisions"), "{item:?}");
    let line = last_line(&slack_message(channel, ts).await);
    assert!(
        line.contains("<@U0BOB>") && !line.contains("<@U0ALICE>"),
        "{line}"
    );
}

#[tokio::test]
async fn forged_and_replayed_requests_are_refused_with_401() {
    let tag = unique("forge");
    let arn = start_slack_approval(&format!("Forge test {tag}"), json!({})).await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);

    let (status, body) = slack_click(
        &channel,
        &ts,
        "U0ALICE",
        "approve",
        json!({"signingSecret": "not-the-secret"}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let ten_minutes_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 600;
    let (status, body) = slack_click(
        &channel,
        &ts,
        "U0ALICE",
        "approve",
        json!({"timestamp": ten_minutes_ago}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("5-minute"), "{body}");

    // No signature at all, straight at the endpoint.
    let r = http()
        .post(format!("{}/slack/interactions", endpoints().api))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("payload=%7B%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "nothing was decided"
    );
    assert!(has_buttons(&slack_message(&channel, &ts).await));

    // The genuine click still works afterwards.
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
}

/// Posts, with Send Message, a message of the sender's choosing whose button carries
/// `block_id` (the block id of another request's buttons); returns where it is.
async fn message_with_block_id(tag: &str, block_id: &str) -> (String, String) {
    let (error, sent) = invoke(
        "SlackSendMessageFunction",
        &json!({
            "channel": "C0APPROVALS", "text": format!("Lunch {tag}?"),
            "blocks": [{"type": "actions", "block_id": block_id, "elements": [
                {"type": "button", "action_id": "yes", "text": {"type": "plain_text", "text": "Yes"}, "value": "approve"}
            ]}]
        }),
    )
    .await;
    assert_eq!(error, None, "{sent}");
    message_ref(&sent)
}

#[tokio::test]
async fn a_request_id_copied_into_another_message_decides_nothing() {
    let tag = unique("copied");
    let arn = start_slack_approval(&format!("Copied {tag}"), json!({})).await;
    let asked = slack_message_with(&tag).await;
    let block_id = asked["blocks"][2]["block_id"].as_str().unwrap().to_string();
    assert!(block_id.starts_with("hitl:"), "{asked}");
    let (channel, ts) = message_with_block_id(&tag, &block_id).await;

    // Alice may answer the request, but not from another message.
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let notes = slack_ephemerals_for("U0ALICE").await;
    assert!(
        notes
            .iter()
            .any(|t| t.contains("not on the message that asked")),
        "{notes:?}"
    );
    let approval_id = block_id.trim_start_matches("hitl:");
    assert!(!approval_record(approval_id).await.contains_key("decision"));
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "nothing was decided"
    );

    // The request's own message still decides.
    let (channel, ts) = message_ref(&asked);
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "reject", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.output["outcome"], "rejected", "{end:?}");
}

/// The stack is set to one workspace (`SlackTeamId`): a member of another one, clicking in a
/// channel shared through Slack Connect, decides nothing, even if named in `allowedUsers`.
#[tokio::test]
async fn a_click_from_another_workspace_decides_nothing() {
    let tag = unique("connect");
    let arn = start_slack_approval(&format!("Shared {tag}"), json!({})).await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);
    let (status, _) = slack_click(
        &channel,
        &ts,
        "U0ALICE",
        "approve",
        json!({"teamId": "T0OTHERORG"}),
    )
    .await;
    assert_eq!(status, 200);
    let notes = slack_ephemerals_for("U0ALICE").await;
    assert!(
        notes.iter().any(|t| t.contains("workspace")),
        "the clicker is told why: {notes:?}"
    );
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "nothing was decided"
    );
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
}

#[tokio::test]
async fn a_button_naming_an_email_request_decides_nothing() {
    let tag = unique("mailid");
    let (error, links) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": format!("By email {tag}")}),
    )
    .await;
    assert_eq!(error, None, "{links}");
    let approval_id = links["approvalId"].as_str().unwrap();
    let (channel, ts) = message_with_block_id(&tag, &format!("hitl:{approval_id}")).await;
    let (status, _) = slack_click(&channel, &ts, "U0BOB", "approve", json!({})).await;
    assert_eq!(status, 200);
    let notes = slack_ephemerals_for("U0BOB").await;
    assert!(
        notes
            .iter()
            .any(|t| t.contains("does not belong to a Slack request")),
        "{notes:?}"
    );
    let item = approval_record(approval_id).await;
    assert!(!item.contains_key("decision"), "{item:?}");
}

#[tokio::test]
async fn a_request_with_no_click_expires_and_the_task_takes_the_expired_branch() {
    let tag = unique("timeout");
    let arn = start_slack_approval(&format!("Timeout {tag}"), json!({"timeoutSeconds": 6})).await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);
    let end = wait_for_end(&arn, Duration::from_secs(40)).await;
    assert_eq!(end.status, "SUCCEEDED");
    assert_eq!(end.output["outcome"], "expired");
    // A click after the Task timed out changes nothing, says so, and closes the message.
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let notes = slack_ephemerals_for("U0ALICE").await;
    assert!(
        notes
            .iter()
            .any(|t| t.contains("expired") || t.contains("stopped waiting")),
        "{notes:?}"
    );
    let closed = slack_message(&channel, &ts).await;
    assert!(!has_buttons(&closed), "no buttons left: {closed}");
    let line = last_line(&closed);
    // Whether the sweep or the late click closes the message first, it never reads as a decision.
    assert!(
        line.contains("Expired") || line.contains("Closed") || line.contains("Too late"),
        "a late click must not read as a decision: {line}"
    );
    assert!(!line.contains("Approved"), "{line}");
}
