//! Slack's `block_actions` payload, as it arrives (outside input: every field may be missing
//! or hold anything), and the [`Click`] we read from it.

use serde::Deserialize;
use serde_json::Value;

use super::selection::{chosen_action, decision_value, PayloadAction};
use crate::slack::{message_approval_id, BLOCK_ID_PREFIX};
pub use approvals::use_cases::slack_click::Click;
use approvals::{
    Channel, ChosenAction, DecidedBy, Decision, HitlError, MessageRef, RecordedDecision, SlackUser,
    SlackUserId,
};

/// The parts of Slack's `block_actions` payload we use.
#[derive(Debug, Clone, Deserialize)]
pub struct BlockActions {
    #[serde(rename = "type")]
    pub kind: String,
    pub user: PayloadUser,
    /// The workspace the click comes from.
    #[serde(default)]
    pub team: Option<PayloadTeam>,
    #[serde(default)]
    pub channel: Option<PayloadChannel>,
    #[serde(default)]
    pub container: Option<PayloadContainer>,
    #[serde(default)]
    pub message: Option<PayloadMessage>,
    #[serde(default)]
    pub actions: Vec<PayloadAction>,
    /// What `views.open` needs to open a modal for the clicker (good once, for 3 s).
    #[serde(default)]
    pub trigger_id: Option<String>,
    /// A `view_submission`'s modal.
    #[serde(default)]
    pub view: Option<PayloadView>,
}

/// The parts of a submitted modal we use.
#[derive(Debug, Clone, Deserialize)]
pub struct PayloadView {
    #[serde(default)]
    pub callback_id: String,
    #[serde(default)]
    pub private_metadata: String,
    /// `{"values": {block_id: {action_id: {"type", "value"}}}}`.
    #[serde(default)]
    pub state: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadUser {
    /// Read once here, as the id it is, and carried so to the use cases.
    pub id: SlackUserId,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadTeam {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadChannel {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadContainer {
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub message_ts: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadMessage {
    pub ts: String,
    #[serde(default)]
    pub blocks: Vec<Value>,
    #[serde(default)]
    pub text: Option<String>,
}

/// Parses the form body Slack posts (`payload=<json>`).
pub fn parse_interaction(form_body: &str) -> Result<BlockActions, HitlError> {
    let payload = form_urlencoded::parse(form_body.as_bytes())
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| HitlError::invalid_input("the request has no payload field"))?;
    serde_json::from_str(&payload).map_err(|e| {
        HitlError::invalid_input(format!("the payload is not a Slack interaction: {e}"))
    })
}

/// Every workspace id a payload names (`team.id`, `user.team_id`).
pub(crate) fn teams_of(payload: &BlockActions) -> Vec<String> {
    payload
        .team
        .as_ref()
        .and_then(|t| t.id.clone())
        .into_iter()
        .chain(payload.user.team_id.clone())
        .collect()
}

/// The click a payload stands for; `None` for anything else (another payload type, an
/// element that does not answer, an emptied selection, no message to bind it to).
pub(crate) fn parse_click(payload: BlockActions, now: i64) -> Option<Click> {
    if payload.kind != "block_actions" {
        return None;
    }
    let action = payload.actions.first()?;
    let chosen = chosen_action(action)?;
    let container = payload.container.as_ref();
    let channel = container
        .and_then(|c| c.channel_id.clone())
        .or_else(|| payload.channel.as_ref().map(|c| c.id.clone()))?;
    let ts = container
        .and_then(|c| c.message_ts.clone())
        .or_else(|| payload.message.as_ref().map(|m| m.ts.clone()))?;
    let message = MessageRef { channel, ts };
    let approval_id = match action
        .block_id
        .as_deref()
        .and_then(|b| b.strip_prefix(BLOCK_ID_PREFIX))
    {
        Some(id) => id.to_string(),
        None => message_approval_id(&message),
    };
    let teams = teams_of(&payload);
    Some(Click {
        approval_id,
        message,
        user_id: payload.user.id.clone(),
        teams,
        decision: recorded(&payload.user, chosen, now),
        blocks: payload.message.map(|m| m.blocks).unwrap_or_default(),
        trigger_id: payload.trigger_id,
    })
}

/// The decision a click records: the button's value (or the selected values), by the Slack
/// user who clicked.
pub(crate) fn recorded(user: &PayloadUser, action: ChosenAction, now: i64) -> RecordedDecision {
    let handle = |first: &Option<String>, second: &Option<String>| {
        first
            .clone()
            .or_else(|| second.clone())
            .unwrap_or_else(|| user.id.to_string())
    };
    RecordedDecision {
        decision: Decision::from_value(&decision_value(&action)),
        decided_by: DecidedBy {
            id: user.id.to_string(),
            name: handle(&user.name, &user.username),
            channel: Channel::Slack,
        },
        decided_at: now,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: Some(SlackUser {
            id: user.id.to_string(),
            username: handle(&user.username, &user.name),
            team_id: user.team_id.clone(),
        }),
        teams_user: None,
        action: Some(action),
        submission_id: None,
        follow_up: None,
    }
}
