//! What the Slack use-case tests share: a world of in-memory ports and the inputs they send.
#![allow(dead_code)] // each test file uses its own part

use approvals::ports::{ApprovalStore, Approvals, ChatApprovals, SlackMessenger, WorkflowResumer};
use approvals::testing::FakeSlack;
use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::slack as use_case;
use approvals::use_cases::slack_click::{self as click_use_case, Chat, ClickOutcome, ClickStep};
use approvals::{HitlError, MessageRef};
use channels::slack::*;
use channels::slack_click::*;
use serde_json::{json, Value};

/// Slack Request Action as its function runs it: the input checked here, then the use case.
pub async fn request_action(
    input: RequestActionInput,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    approval_id: String,
    retention_days: i64,
    now: i64,
) -> Result<RequestActionOutput, HitlError> {
    let request = input.validate(approval_id)?;
    use_case::request_action(request, store, slack, retention_days, now).await
}

/// Slack Send Message as its function runs it.
pub async fn send_message(
    input: SendMessageInput,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    retention_days: i64,
    now: i64,
) -> Result<SentMessage, HitlError> {
    use_case::send_message(input.validate()?, store, slack, retention_days, now).await
}

/// The click's first step as the Decision API runs it: the payload read here, then the use
/// case.
pub async fn record_click(
    payload: BlockActions,
    workspace: Option<&str>,
    store: &dyn ApprovalStore,
    now: i64,
) -> Result<ClickStep, HitlError> {
    click_use_case::record_click(interaction(payload, now), workspace, store, now).await
}

/// The click's second step, with Slack's Block Kit.
pub async fn follow_up(
    step: ClickStep,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    slack: &dyn SlackMessenger,
    now: i64,
) -> ClickOutcome {
    let chat = Chat {
        slack,
        format: &BlockKit,
    };
    click_use_case::follow_up(step, store, resumer, chat, now).await
}

/// Both steps at once.
pub async fn handle_click(
    payload: BlockActions,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    slack: &dyn SlackMessenger,
    now: i64,
) -> Result<ClickOutcome, HitlError> {
    let step = record_click(payload, None, store, now).await?;
    Ok(follow_up(step, store, resumer, slack, now).await)
}

/// Slack Update Message as its function runs it.
pub async fn update_message(
    input: UpdateMessageInput,
    slack: &dyn SlackMessenger,
) -> Result<SentMessage, HitlError> {
    let (target, message) = input.validate()?;
    use_case::update_message(target, message, slack).await
}

pub const NOW: i64 = 1_800_000_000;
pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

#[derive(Default)]
pub struct World {
    pub store: FakeStore,
    pub resumer: FakeResumer,
    pub slack: FakeSlack,
}

impl World {
    pub async fn request(&self, input: Value) -> Result<RequestActionOutput, HitlError> {
        self.request_as("appr-1", input).await
    }

    pub async fn request_as(
        &self,
        approval_id: &str,
        input: Value,
    ) -> Result<RequestActionOutput, HitlError> {
        request_action(
            serde_json::from_value(input).unwrap(),
            &self.store,
            &self.slack,
            approval_id.into(),
            30,
            NOW,
        )
        .await
    }

    /// Sends "Deploy v2?" with a Go button to C0APPROVALS; `extra` adds input fields.
    pub async fn send_deploy_question(&self, extra: Value) -> SentMessage {
        let mut input = json!({
            "channel": "C0APPROVALS", "text": "Deploy?",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "Deploy *v2*?"}},
                {"type": "actions", "elements": [{"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "approve"}]}
            ]
        });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        send_message(
            serde_json::from_value(input).unwrap(),
            &self.store,
            &self.slack,
            30,
            NOW,
        )
        .await
        .unwrap()
    }

    /// The payload Slack sends when `user` clicks button `index` of the last posted message.
    pub fn click_payload(&self, sent: &MessageRef, user: &str, index: usize) -> BlockActions {
        let (_, message) = self.slack.posted.lock().unwrap().last().cloned().unwrap();
        let blocks = message.blocks.unwrap();
        let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
        let button = &actions["elements"][index];
        serde_json::from_value(json!({
            "type": "block_actions",
            "user": {"id": user, "username": user.to_lowercase(), "name": user.to_lowercase(), "team_id": "T1"},
            "container": {"type": "message", "channel_id": sent.channel, "message_ts": sent.ts},
            "channel": {"id": sent.channel},
            "message": {"ts": sent.ts, "blocks": blocks, "text": message.text},
            "actions": [{"type": "button", "block_id": actions["block_id"], "action_id": button["action_id"], "value": button["value"]}]
        }))
        .unwrap()
    }

    pub async fn click(&self, sent: &MessageRef, user: &str, index: usize) -> ClickOutcome {
        handle_click(
            self.click_payload(sent, user, index),
            &self.store,
            &self.resumer,
            &self.slack,
            NOW + 10,
        )
        .await
        .unwrap()
    }
}

pub fn request_input() -> Value {
    json!({
        "channel": "#approvals", "header": "Stop idle RDS instance db-1?", "text": "*db-1* idle for 14 days",
        "buttons": [
            {"label": "Stop it", "value": "approve", "style": "primary", "confirm": {"text": "Stop db-1 now?"}},
            {"label": "Keep", "value": "reject", "style": "danger"},
            {"label": "Ask me next week", "value": "defer"}
        ],
        "allowedUsers": ["U0ALICE", "U0BOB"],
        "taskToken": "token-1"
    })
}
