//! One request on several channels, the Slack side, after the answer: the relay brings the
//! Slack message of a request Create Approval Links made up to date (an emailed decision, a
//! vote's progress, the expiry, an outcome that came before the post); and what Slack Request
//! Action refuses with `approvalId` (the request's own fields, a task token, a request made in
//! Slack, an unknown one).

use approvals::ports::{DecisionWrite, DeliveryStore};
use approvals::{Decision, MessageRef};
use channels::slack::*;
use serde_json::{json, Value};

mod slack_common;
use slack_common::*;
mod slack_companion_common;
use slack_companion_common::*;

#[tokio::test]
async fn an_email_decision_is_shown_on_the_slack_message_by_the_relay() {
    let w = World::default();
    email_request(&w, json!({"approvers": ["alice@corp.com", "bob@corp.com"]})).await;
    let sent = posted(&w).await;
    let decided = email_vote(&w, "alice@corp.com", Decision::Approve, NOW + 5).await;
    assert!(matches!(decided, DecisionWrite::Recorded(_)), "{decided:?}");

    let report = run_relay(&w, NOW + 60).await;

    assert_eq!(report.delivered, vec!["a-1"]);
    assert_eq!(report.messages_updated, vec!["a-1"]);
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(!has_buttons(&message), "its buttons stop working");
    let lines = context_texts(&message);
    assert!(lines[0].contains("alice@corp.com"), "{lines:?}");
    assert_eq!(
        message.blocks.as_ref().unwrap()[0]["type"],
        "header",
        "what it asked stays"
    );
}

#[tokio::test]
async fn an_email_vote_is_shown_as_progress_on_the_slack_message_by_the_relay() {
    let w = World::default();
    email_request(&w, two_of_three()).await;
    let sent = posted(&w).await;
    email_vote(&w, "carol@corp.com", Decision::Approve, NOW + 5).await;
    assert!(w.store.progress_due(&"a-1".into(), NOW + 6).await.unwrap());

    let report = run_relay(&w, NOW + 6).await;

    assert_eq!(report.progress_shown, vec!["a-1"]);
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(has_buttons(&message), "still open");
    let lines = context_texts(&message);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("1 of 2 approved"), "{lines:?}");
}

#[tokio::test]
async fn an_expired_request_shows_its_expiry_on_the_slack_message() {
    let w = World::default();
    email_request(&w, two_of_three()).await;
    let sent = posted(&w).await;

    let report = run_relay(&w, NOW + LIFETIME + 1).await;

    assert_eq!(report.expired, vec!["a-1"]);
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(!has_buttons(&message));
    assert!(
        context_texts(&message)[0].contains("*Expired*"),
        "{message:?}"
    );
    // Posting it now posts nothing.
    let posts = w.slack.posted.lock().unwrap().len();
    let err = post(&w, slack_input(), NOW + LIFETIME + 2)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.Expired");
    assert_eq!(w.slack.posted.lock().unwrap().len(), posts);
}

#[tokio::test]
async fn a_request_decided_before_it_is_posted_shows_its_outcome_there_at_once() {
    let w = World::default();
    email_request(&w, json!({"approvers": ["alice@corp.com", "bob@corp.com"]})).await;
    email_vote(&w, "bob@corp.com", Decision::Reject, NOW + 5).await;
    run_relay(&w, NOW + 60).await;
    assert!(
        record(&w).delivery.relay_at.is_none(),
        "settled before the post"
    );

    let sent = MessageRef {
        channel: "C0APPROVALS".into(),
        ts: post(&w, slack_input(), NOW + 70).await.unwrap().ts,
    };

    let report = run_relay(&w, NOW + 70).await;
    assert_eq!(report.messages_updated, vec!["a-1"]);
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(!has_buttons(&message));
}

#[tokio::test]
async fn the_requests_own_fields_and_a_task_token_are_refused_by_name() {
    let cases = [
        ("taskToken", json!("token-1"), "leave out taskToken"),
        (
            "allowedUsers",
            json!(["U0BOB"]),
            "`allowedUsers` comes from the request",
        ),
        (
            "quorum",
            json!({"approvals": 2}),
            "`quorum` comes from the request",
        ),
        (
            "requestedBy",
            json!("U0BOB"),
            "`requestedBy` comes from the request",
        ),
        (
            "reminders",
            json!({"everySeconds": 3600}),
            "`reminders` comes from",
        ),
        (
            "expiresInSeconds",
            json!(600),
            "`expiresInSeconds` comes from",
        ),
        (
            "followUp",
            json!({"question": "Why?"}),
            "`followUp` comes from",
        ),
        (
            "buttons",
            json!([{"label": "Go", "value": "go"}]),
            "`buttons` comes from",
        ),
        ("requestKey", json!("exec-1/Ask"), "`requestKey` comes from"),
        ("approvalId", json!(" "), "approvalId is blank"),
        (
            "approvalId",
            json!("a 1"),
            "approvalId is Create Approval Links' approvalId",
        ),
        ("text", json!(" "), "text is required"),
    ];
    for (field, value, says) in cases {
        let mut input = slack_input();
        input[field] = value;
        let input: RequestActionInput = serde_json::from_value(input).unwrap();
        let err = input.validate_companion().unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{field}");
        assert!(err.to_string().contains(says), "{field}: {err}");
    }
    // Null is absent, as for every optional field.
    let mut input = slack_input();
    input["quorum"] = Value::Null;
    input["taskToken"] = Value::Null;
    let input: RequestActionInput = serde_json::from_value(input).unwrap();
    assert!(input.validate_companion().is_ok());
}

#[tokio::test]
async fn without_approval_id_a_task_token_is_still_required() {
    let input = json!({"channel": "#approvals", "text": "Deploy?"});
    let input: RequestActionInput = serde_json::from_value(input).unwrap();
    assert!(!input.names_request());
    let err = input.validate("appr-1".into()).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(err.to_string().contains("taskToken"), "{err}");
}

#[tokio::test]
async fn a_request_made_by_slack_request_action_or_unknown_is_refused() {
    let w = World::default();
    w.request_as("a-1", request_input()).await.unwrap();
    let posts = w.slack.posted.lock().unwrap().len();

    let err = post(&w, slack_input(), NOW + 1).await.unwrap_err();

    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string().contains("made by Slack Request Action"),
        "{err}"
    );
    assert_eq!(
        w.slack.posted.lock().unwrap().len(),
        posts,
        "nothing posted"
    );
    let mut input = slack_input();
    input["approvalId"] = json!("a-2");
    let err = post(&w, input, NOW + 1).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.NotFound");
}

#[tokio::test]
async fn a_quorum_met_across_channels_lists_every_vote_on_the_slack_message() {
    let w = World::default();
    email_request(&w, two_of_three()).await;
    let sent = posted(&w).await;
    w.click(&sent, "U0BOB", APPROVE).await;
    let settled = email_vote(&w, "alice@corp.com", Decision::Approve, NOW + 20).await;
    assert!(matches!(settled, DecisionWrite::Recorded(_)), "{settled:?}");

    let report = run_relay(&w, NOW + 60).await;

    assert_eq!(report.delivered, vec!["a-1"]);
    assert_eq!(w.resumer.resumed.lock().unwrap().len(), 1);
    let (at, message) = last_update(&w);
    assert_eq!(at, sent);
    assert!(!has_buttons(&message));
    let lines = context_texts(&message);
    assert_eq!(lines[0], ":white_check_mark: *Approved*: 2 of 2 approved");
    assert_eq!(lines.len(), 3, "both votes: {lines:?}");
    assert!(
        lines[1].contains("<@U0BOB>") && lines[1].contains("in Slack"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("alice@corp.com") && lines[2].contains("by email"),
        "{lines:?}"
    );
}

/// Bob named twice, by two addresses of his one Slack account: posting to Slack is refused,
/// naming both, before anything is posted (he would fill two slots, one by each link).
#[tokio::test]
async fn one_person_named_by_two_addresses_is_refused_before_anything_is_posted() {
    let w = World::default();
    let approvers = json!({"approvers": ["bob@corp.com", "alice@corp.com", "robert@corp.com"]});
    email_request(&w, approvers).await;

    let err = post(&w, slack_input(), NOW + 1).await.unwrap_err();

    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string()
            .starts_with("bob@corp.com and robert@corp.com are one person in Slack"),
        "{err}"
    );
    assert!(w.slack.posted.lock().unwrap().is_empty(), "nothing posted");
    assert!(record(&w).companions.is_empty());
}
