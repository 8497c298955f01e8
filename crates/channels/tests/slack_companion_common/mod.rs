//! What the tests of a request posted to several channels share (the Slack side): Create
//! Approval Links' request with Wait For Approval's token, its post to Slack with `approvalId`,
//! an emailed link's vote, and the relay with Slack's notifier.
#![allow(dead_code)] // each test file uses its own part

use approvals::delivery::{relay, RelayReport};
use approvals::ports::{ApprovalStore, DecisionWrite, SlackMessage};
use approvals::use_cases::slack::{post_to_request, RequestActionOutput};
use approvals::use_cases::slack_click::{Chat, SlackOutcome};
use approvals::use_cases::{self, LinkSettings, WaitInput};
use approvals::{
    ApprovalRecord, Channel, CreateLinksInput, DecidedBy, Decision, HitlError, LinkSigner,
    MessageRef, RecordedDecision,
};
use channels::slack::*;
use serde_json::{json, Value};

use crate::slack_common::{World, NOW};

pub const LIFETIME: i64 = 3600;
pub const APPROVE: usize = 0;
pub const REJECT: usize = 1;

/// Create Approval Links' request `a-1` (`fields` added to a title and an hour), and Wait For
/// Approval's token on it.
pub async fn email_request(w: &World, fields: Value) {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://api.example.com",
        retention_days: 30,
        origin: Channel::Email,
    };
    let mut input = json!({"title": "Stop db-1?", "expiresInSeconds": LIFETIME});
    for (k, v) in fields.as_object().unwrap() {
        input[k] = v.clone();
    }
    let input: CreateLinksInput = serde_json::from_value(input).unwrap();
    use_cases::create_approval_links(input, &settings, &w.store, "a-1".into(), NOW)
        .await
        .unwrap();
    let wait = WaitInput {
        approval_id: Some("a-1".into()),
        task_token: Some("token-1".into()),
        execution_arn: None,
    };
    use_cases::wait_for_approval(wait, &w.store, &w.resumer, NOW)
        .await
        .unwrap();
}

/// Slack Request Action as its function runs it with `approvalId`.
pub async fn post(w: &World, input: Value, now: i64) -> Result<RequestActionOutput, HitlError> {
    let input: RequestActionInput = serde_json::from_value(input).unwrap();
    assert!(input.names_request());
    let post = input.validate_companion()?;
    post_to_request(post, &w.store, &w.slack, &BlockKit, now).await
}

pub fn slack_input() -> Value {
    json!({"approvalId": "a-1", "channel": "#approvals", "header": "Stop db-1?", "text": "*db-1* idle for 14 days"})
}

pub async fn posted(w: &World) -> MessageRef {
    let out = post(w, slack_input(), NOW + 1).await.unwrap();
    MessageRef {
        channel: out.channel,
        ts: out.ts,
    }
}

pub fn record(w: &World) -> ApprovalRecord {
    w.store.records.lock().unwrap()["a-1"].clone()
}

pub fn last_update(w: &World) -> (MessageRef, SlackMessage) {
    w.slack.updated.lock().unwrap().last().unwrap().clone()
}

pub fn has_buttons(message: &SlackMessage) -> bool {
    let blocks = message.blocks.as_ref().unwrap();
    blocks.iter().any(|b| b["type"] == "actions")
}

pub fn context_texts(message: &SlackMessage) -> Vec<String> {
    let blocks = message.blocks.as_ref().unwrap();
    blocks
        .iter()
        .filter(|b| b["type"] == "context")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

/// A vote cast with `who`'s emailed link, as the link page records it.
pub async fn email_vote(w: &World, who: &str, decision: Decision, now: i64) -> DecisionWrite {
    let decision = RecordedDecision {
        decision,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: now,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    };
    w.store
        .record_decision(&"a-1".into(), &decision, now)
        .await
        .unwrap()
}

pub async fn run_relay(w: &World, now: i64) -> RelayReport {
    let notifier = SlackOutcome(Chat {
        slack: &w.slack,
        format: &BlockKit,
    });
    relay(&w.store, &w.resumer, Some(&notifier), now, 10)
        .await
        .unwrap()
}

pub fn two_of_three() -> Value {
    json!({"approvers": ["alice@corp.com", "bob@corp.com", "carol@corp.com"], "quorum": {"approvals": 2}})
}
