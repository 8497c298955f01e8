//! Slack options beyond the basics, with in-memory ports: a person by email address, thread
//! replies, the bot's name and icon.

use channels::slack::*;
use serde_json::json;

mod slack_common;
use slack_common::*;

#[tokio::test]
async fn a_request_to_an_email_address_goes_to_that_persons_dm() {
    let w = World::default();
    let mut input = request_input();
    input["channel"] = json!(null);
    input["user"] = json!("Alice@Corp.com");
    let out = w.request(input).await.unwrap();
    assert_eq!(out.channel, "D0DM");
    assert_eq!(w.slack.posted.lock().unwrap()[0].0, "U0ALICE");
    assert_eq!(*w.slack.lookups.lock().unwrap(), ["Alice@Corp.com"]);
}

#[tokio::test]
async fn an_unknown_address_is_a_named_error_and_nothing_is_stored_or_posted() {
    let w = World::default();
    let mut input = request_input();
    input["channel"] = json!(null);
    input["user"] = json!("nobody@corp.com");
    let err = w.request(input).await.unwrap_err();
    assert_eq!(err.name(), "Slack.UserNotFound");
    assert!(w.slack.posted.lock().unwrap().is_empty());
    assert!(w.store.records.lock().unwrap().is_empty());

    let err = send_message(
        serde_json::from_value(json!({"user": "nobody@corp.com", "text": "hi"})).unwrap(),
        &w.store,
        &w.slack,
        30,
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Slack.UserNotFound");
}

#[tokio::test]
async fn a_request_can_reply_in_a_thread_under_another_name_and_icon() {
    let w = World::default();
    let mut input = request_input();
    input["threadTs"] = json!("1700000000.000100");
    input["username"] = json!("Deploy bot");
    input["iconEmoji"] = json!(":rocket:");
    w.request(input).await.unwrap();
    let (_, message) = w.slack.posted.lock().unwrap()[0].clone();
    assert_eq!(message.thread_ts.as_deref(), Some("1700000000.000100"));
    assert_eq!(message.persona.username.as_deref(), Some("Deploy bot"));
    assert_eq!(message.persona.icon_emoji.as_deref(), Some(":rocket:"));

    let sent = w
        .send_deploy_question(json!({"iconUrl": "https://example.com/bot.png"}))
        .await;
    assert!(sent.approval_id.is_some());
    let (_, message) = w.slack.posted.lock().unwrap()[1].clone();
    assert_eq!(
        message.persona.icon_url.as_deref(),
        Some("https://example.com/bot.png")
    );
}

#[tokio::test]
async fn bad_thread_and_persona_inputs_are_refused_before_anything_is_posted() {
    let w = World::default();
    for (field, value) in [
        ("threadTs", "yesterday"),
        ("iconEmoji", "rocket"),
        ("iconUrl", "ftp://example.com/i.png"),
        ("username", "two\nlines"),
    ] {
        let mut input = request_input();
        input[field] = json!(value);
        let err = w.request(input).await.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{field}");
    }
    assert!(w.slack.posted.lock().unwrap().is_empty());
    assert!(w.slack.lookups.lock().unwrap().is_empty());
}

/// A message with a region select (as a section accessory) and a Cancel button.
fn region_question(action_ids: serde_json::Value) -> serde_json::Value {
    json!({
        "channel": "C0APPROVALS", "text": "Where?",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Deploy where?"},
             "accessory": {"type": "static_select", "action_id": "region", "options": [
                {"text": {"type": "plain_text", "text": "EU"}, "value": "eu"}]}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "cancel", "text": {"type": "plain_text", "text": "Cancel"}, "value": "reject"}]}
        ],
        "actionIds": action_ids
    })
}

fn action_payload(
    sent: &SentMessage,
    action: serde_json::Value,
) -> channels::slack_click::BlockActions {
    serde_json::from_value(json!({
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "team_id": "T1"},
        "container": {"type": "message", "channel_id": sent.channel, "message_ts": sent.ts},
        "message": {"ts": sent.ts, "blocks": []},
        "actions": [action]
    }))
    .unwrap()
}

#[tokio::test]
async fn only_the_named_actions_count_and_a_select_records_its_value() {
    use approvals::use_cases::slack_click::ClickOutcome;
    let w = World::default();
    let input = region_question(json!(["region"]));
    let sent = send_message(
        serde_json::from_value(input).unwrap(),
        &w.store,
        &w.slack,
        30,
        NOW,
    )
    .await
    .unwrap();
    let id = sent
        .approval_id
        .clone()
        .expect("a select makes it waitable");
    let cancel = json!({"type": "button", "action_id": "cancel", "value": "reject"});
    let out = handle_click(
        action_payload(&sent, cancel),
        &w.store,
        &w.resumer,
        &w.slack,
        NOW + 1,
    )
    .await
    .unwrap();
    assert_eq!(out, ClickOutcome::Ignored, "not among actionIds");
    assert!(w.store.records.lock().unwrap()[id.as_str()]
        .decision
        .is_none());

    let pick = json!({"type": "static_select", "action_id": "region",
        "selected_option": {"text": {"type": "plain_text", "text": "EU"}, "value": "eu"}});
    let out = handle_click(
        action_payload(&sent, pick),
        &w.store,
        &w.resumer,
        &w.slack,
        NOW + 2,
    )
    .await
    .unwrap();
    assert!(matches!(out, ClickOutcome::Decided { .. }), "{out:?}");
    let record = w.store.records.lock().unwrap()[id.as_str()].clone();
    let output = approvals::DecisionOutput::from_record(&record, record.decision.as_ref().unwrap());
    let output = serde_json::to_value(output).unwrap();
    assert_eq!(output["decision"], "eu");
    assert_eq!(
        output["action"],
        json!({"actionId": "region", "type": "static_select", "selected": ["eu"]})
    );
}

#[tokio::test]
async fn action_ids_must_name_elements_of_the_message() {
    let w = World::default();
    let input = region_question(json!(["regoin"]));
    let err = send_message(
        serde_json::from_value(input).unwrap(),
        &w.store,
        &w.slack,
        30,
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(err.to_string().contains("regoin"), "{err}");
    let waited = wait_target(
        serde_json::from_value(
            json!({"channel": "C1", "ts": "1.2", "taskToken": "t", "actionIds": ["x"]}),
        )
        .unwrap(),
    );
    assert!(waited.unwrap_err().to_string().contains("Send Message"));
}
