//! Microsoft Teams: approval requests as Adaptive Cards whose buttons open the same signed,
//! scanner-safe links the email flow uses, and plain notifications to a channel or a chat.
//!
//! What is ours lives here: the input contracts and their validation, the Adaptive Card we post
//! (version 1.4, the highest a Workflows webhook renders), the webhook envelope, and Teams'
//! limits (28 KB per message, no `Action.Submit`: a Workflows webhook cannot receive it).
//! Talking to Teams (a Workflows webhook or Microsoft Graph) is the [`TeamsMessenger`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::approval::rfc3339;
use crate::approval::{normalize_email, MAX_APPROVERS, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use crate::input::{check_length, keyed_approval_id, non_blank, request_key, task_token};
use crate::ports::ChatApprovals;
use crate::service::{create_approval_links, LinkSettings};
use crate::{
    ApprovalRecord, Channel, CreateLinksInput, CreateLinksOutput, Decision, HitlError, MessageRef,
    Service, ServiceErrorKind,
};

/// Teams refuses messages over about 28 KB (webhooks answer 413); we check the webhook
/// envelope's serialized size before sending.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
pub const MAX_FACTS: usize = 20;
pub const MAX_FACT_TITLE_CHARS: usize = 200;
pub const MAX_FACT_VALUE_CHARS: usize = 2000;
/// A notification's text (the card's or the plain message's).
pub const MAX_TEXT_CHARS: usize = MAX_DESCRIPTION_CHARS;
/// Team, channel and chat ids (`19:…@thread.tacv2` and GUIDs are far shorter).
pub const MAX_ID_CHARS: usize = 256;
/// The Adaptive Card version we write, and the highest we accept: Workflows webhooks render 1.4.
pub const CARD_VERSION: &str = "1.4";
pub const CARD_SCHEMA: &str = "http://adaptivecards.io/schemas/adaptive-card.json";
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// Actions that need a bot to receive them; Workflows webhooks (and Graph posts) cannot.
const UNSUPPORTED_ACTIONS: [&str; 2] = ["Action.Submit", "Action.Execute"];

// ---------------------------------------------------------------------------------------------
// The port

/// Where a message goes. `Webhook`: the configured Workflows webhook (bound to one channel or
/// chat). `Channel` / `Chat`: through Microsoft Graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamsTarget {
    Webhook,
    Channel { team_id: String, channel_id: String },
    Chat { chat_id: String },
}

/// What is posted: an Adaptive Card (the card itself, not the envelope) or plain text.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamsMessage {
    Card(Value),
    Text(String),
}

/// How a message went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Webhook,
    Graph,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedMessage {
    pub via: Via,
    /// Graph's chatMessage id; a webhook answers 202 without one.
    pub message_id: Option<String>,
}

#[async_trait]
pub trait TeamsMessenger: Send + Sync {
    /// Posts `message` to `target`. An adapter without Graph credentials may post a
    /// `Channel`/`Chat` message through its webhook instead; [`PostedMessage::via`] says which.
    async fn post(
        &self,
        target: &TeamsTarget,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError>;
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// Input of Teams Request Action (a `.waitForTaskToken` Task). Unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsRequestActionInput {
    pub title: Option<String>,
    pub text: Option<String>,
    /// `[{"title", "value"}]`; a value may be a string, number or boolean.
    pub facts: Option<Value>,
    pub expires_in_seconds: Option<i64>,
    /// Emails; listed on the card.
    pub approvers: Option<Vec<String>>,
    /// `{"teamId", "channelId"}` or `{"chatId"}` (Graph); absent: the webhook.
    pub target: Option<Value>,
    pub task_token: Option<String>,
    /// Idempotency key (e.g. the execution id and state name): an ASL retry of the same state
    /// reuses the first attempt's request and does not post the card again.
    pub request_key: Option<String>,
}

/// Output of Teams Request Action (Step Functions replaces it with the decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsRequestActionOutput {
    pub approval_id: String,
    pub expires_at: String,
    pub status: String,
}

/// Input of Teams Send Channel Message and Send Chat Message. Exactly one of `text` or `card`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsSendMessageInput {
    pub text: Option<String>,
    /// A raw Adaptive Card (`"type": "AdaptiveCard"`), version 1.4 at most.
    pub card: Option<Value>,
    /// With `text`: a bold heading above it (the message becomes a card). Ignored with `card`.
    pub title: Option<String>,
    pub target: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsSendMessageOutput {
    pub delivered: bool,
    pub via: Via,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// Which function sends: it decides which `target` shape is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversation {
    Channel,
    Chat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub title: String,
    pub value: String,
}

/// `target`: absent or null means the webhook; `{teamId, channelId}` a channel; `{chatId}` a
/// chat (both through Graph).
pub fn parse_target(target: Option<&Value>) -> Result<TeamsTarget, HitlError> {
    const SHAPE: &str = "target must be {\"teamId\", \"channelId\"} or {\"chatId\"}";
    let object = match target {
        None | Some(Value::Null) => return Ok(TeamsTarget::Webhook),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(HitlError::invalid_input(format!(
                "{SHAPE}, not a {}",
                kind(target)
            )))
        }
    };
    let id = |name: &str| -> Result<Option<String>, HitlError> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    return Ok(None);
                }
                if s.chars().count() > MAX_ID_CHARS || s.contains(char::is_whitespace) {
                    return Err(HitlError::invalid_input(format!(
                        "target.{name} is not a Teams id"
                    )));
                }
                Ok(Some(s.to_string()))
            }
            Some(_) => Err(HitlError::invalid_input(format!(
                "target.{name} must be a string"
            ))),
        }
    };
    match (id("teamId")?, id("channelId")?, id("chatId")?) {
        (Some(team_id), Some(channel_id), None) => Ok(TeamsTarget::Channel {
            team_id,
            channel_id,
        }),
        (None, None, Some(chat_id)) => Ok(TeamsTarget::Chat { chat_id }),
        (Some(_), None, None) => Err(HitlError::invalid_input(
            "target.channelId is required with target.teamId",
        )),
        (None, Some(_), None) => Err(HitlError::invalid_input(
            "target.teamId is required with target.channelId",
        )),
        (None, None, None) => Err(HitlError::invalid_input(SHAPE)),
        _ => Err(HitlError::invalid_input(format!(
            "{SHAPE}: give a channel or a chat, not both"
        ))),
    }
}

fn kind(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "list",
        Some(Value::Object(_)) => "object",
    }
}

/// `facts`: at most [`MAX_FACTS`] `{"title", "value"}` objects.
pub fn parse_facts(facts: Option<&Value>) -> Result<Vec<Fact>, HitlError> {
    let items = match facts {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(HitlError::invalid_input(format!(
                "facts must be a list of {{\"title\", \"value\"}}, not a {}",
                kind(facts)
            )))
        }
    };
    if items.len() > MAX_FACTS {
        return Err(HitlError::invalid_input(format!(
            "facts holds {} entries; at most {MAX_FACTS} are allowed",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let title = match item.get("title") {
                Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_string(),
                _ => {
                    return Err(HitlError::invalid_input(format!(
                        "facts[{i}].title is required (a non-empty string)"
                    )))
                }
            };
            let value = match item.get("value") {
                Some(Value::String(v)) => v.trim().to_string(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => {
                    return Err(HitlError::invalid_input(format!(
                        "facts[{i}].value is required (a string, number or boolean)"
                    )))
                }
            };
            check_length(&format!("facts[{i}].title"), &title, MAX_FACT_TITLE_CHARS)?;
            check_length(&format!("facts[{i}].value"), &value, MAX_FACT_VALUE_CHARS)?;
            Ok(Fact { title, value })
        })
        .collect()
}

/// A Request Action input that passed every check, ready to store and post.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedRequestAction {
    pub title: String,
    pub text: Option<String>,
    pub facts: Vec<Fact>,
    pub expires_in_seconds: Option<i64>,
    /// Normalized (lower-cased, deduplicated) emails, listed on the card.
    pub approvers: Vec<String>,
    pub target: TeamsTarget,
    pub task_token: String,
    pub request_key: Option<String>,
}

impl TeamsRequestActionInput {
    pub fn validate(self) -> Result<ValidatedRequestAction, HitlError> {
        let text = non_blank(self.text);
        if let Some(text) = &text {
            check_length("text", text, MAX_TEXT_CHARS)?;
        }
        let facts = parse_facts(self.facts.as_ref())?;
        let target = parse_target(self.target.as_ref())?;
        let task_token = task_token(self.task_token)?;
        let request_key = request_key(self.request_key)?;
        let mut approvers = Vec::new();
        for raw in self.approvers.unwrap_or_default() {
            let email = normalize_email(&raw).map_err(|_| {
                HitlError::invalid_input(format!("approvers: {raw:?} is not an email address"))
            })?;
            if !approvers.contains(&email) {
                approvers.push(email);
            }
        }
        if approvers.len() > MAX_APPROVERS {
            return Err(HitlError::invalid_input(format!(
                "approvers: at most {MAX_APPROVERS} are supported"
            )));
        }
        // Title and expiry, checked the way Create Approval Links checks them.
        let links = CreateLinksInput {
            title: self.title,
            description: text.clone(),
            expires_in_seconds: self.expires_in_seconds,
            approvers: None,
        }
        .validate()?;
        Ok(ValidatedRequestAction {
            title: links.title,
            text,
            facts,
            expires_in_seconds: self.expires_in_seconds,
            approvers,
            target,
            task_token,
            request_key,
        })
    }
}

/// What Send Channel/Chat Message posts, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedSendMessage {
    pub target: TeamsTarget,
    pub message: TeamsMessage,
}

impl TeamsSendMessageInput {
    pub fn validate(self, conversation: Conversation) -> Result<ValidatedSendMessage, HitlError> {
        let target = parse_target(self.target.as_ref())?;
        match (&target, conversation) {
            (TeamsTarget::Chat { .. }, Conversation::Channel) => {
                return Err(HitlError::invalid_input(
                    "target: Send Channel Message takes {\"teamId\", \"channelId\"}; for {\"chatId\"} use Send Chat Message",
                ))
            }
            (TeamsTarget::Channel { .. }, Conversation::Chat) => {
                return Err(HitlError::invalid_input(
                    "target: Send Chat Message takes {\"chatId\"}; for {\"teamId\", \"channelId\"} use Send Channel Message",
                ))
            }
            _ => {}
        }
        let text = non_blank(self.text);
        let card = match self.card {
            None | Some(Value::Null) => None,
            Some(card) => Some(card),
        };
        let message = match (text, card) {
            (Some(_), Some(_)) => {
                return Err(HitlError::invalid_input(
                    "give either text or card, not both",
                ))
            }
            (None, None) => {
                return Err(HitlError::invalid_input(
                    "text or card is required (card: an Adaptive Card object)",
                ))
            }
            (Some(text), None) => {
                check_length("text", &text, MAX_TEXT_CHARS)?;
                match non_blank(self.title) {
                    Some(title) => {
                        check_length("title", &title, MAX_TITLE_CHARS)?;
                        TeamsMessage::Card(text_card(Some(&title), &text))
                    }
                    None => TeamsMessage::Text(text),
                }
            }
            (None, Some(card)) => TeamsMessage::Card(prepare_card(card)?),
        };
        check_size(&message)?;
        Ok(ValidatedSendMessage { target, message })
    }
}

// ---------------------------------------------------------------------------------------------
// Adaptive Cards

/// `{"type": "AdaptiveCard", "$schema", "version": "1.4", "body", "actions"}`.
pub fn adaptive_card(body: Vec<Value>, actions: Vec<Value>) -> Value {
    let mut card = json!({
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    card
}

fn title_block(title: &str) -> Value {
    json!({"type": "TextBlock", "text": title, "weight": "bolder", "size": "medium", "wrap": true})
}

fn text_block(text: &str) -> Value {
    json!({"type": "TextBlock", "text": text, "wrap": true})
}

/// A link button (`Action.OpenUrl`); `style` is `positive`, `destructive` or `default`.
pub fn open_url_action(title: &str, url: &str, style: &str) -> Value {
    json!({"type": "Action.OpenUrl", "title": title, "url": url, "style": style})
}

/// A notification card: an optional bold title and the text.
pub fn text_card(title: Option<&str>, text: &str) -> Value {
    let mut body = Vec::new();
    if let Some(title) = title {
        body.push(title_block(title));
    }
    body.push(text_block(text));
    adaptive_card(body, Vec::new())
}

/// The card of Request Action: title, text, facts (plus the approvers, when given), and
/// Approve / Reject buttons that open the signed links (which only show a confirmation page).
pub fn approval_card(
    title: &str,
    text: Option<&str>,
    facts: &[Fact],
    approvers: &[String],
    approve_url: &str,
    reject_url: &str,
    expires_at: &str,
) -> Value {
    let mut body = vec![title_block(title)];
    if let Some(text) = text {
        body.push(text_block(text));
    }
    let mut fact_values: Vec<Value> = facts
        .iter()
        .map(|f| json!({"title": f.title, "value": f.value}))
        .collect();
    if !approvers.is_empty() {
        fact_values.push(json!({"title": "Approvers", "value": approvers.join(", ")}));
    }
    if !fact_values.is_empty() {
        body.push(json!({"type": "FactSet", "facts": fact_values}));
    }
    body.push(json!({
        "type": "TextBlock",
        "text": format!("The links expire at {expires_at}."),
        "wrap": true,
        "isSubtle": true,
        "size": "small",
    }));
    adaptive_card(
        body,
        vec![
            open_url_action("Approve", approve_url, "positive"),
            open_url_action("Reject", reject_url, "destructive"),
        ],
    )
}

/// Checks a caller's raw card: an `AdaptiveCard` object (`Hitl.InvalidInput` otherwise), of
/// version 1.4 or lower and without `Action.Submit`/`Action.Execute` (`Teams.InvalidMessage`).
/// A card without `version` gets 1.4.
pub fn prepare_card(card: Value) -> Result<Value, HitlError> {
    let Value::Object(mut object) = card else {
        return Err(HitlError::invalid_input(
            "card must be an Adaptive Card object ({\"type\": \"AdaptiveCard\", ...})",
        ));
    };
    if object.get("type").and_then(Value::as_str) != Some("AdaptiveCard") {
        return Err(HitlError::invalid_input(
            "card.type must be \"AdaptiveCard\" (pass the card itself, not a message envelope)",
        ));
    }
    match object.get("version") {
        None | Some(Value::Null) => {
            object.insert("version".into(), Value::String(CARD_VERSION.into()));
        }
        Some(Value::String(v)) => match parse_version(v) {
            Some(version) if version <= (1, 4) => {}
            Some(_) => {
                return Err(invalid_message(format!(
                    "card.version {v} is not supported: Teams Workflows webhooks render Adaptive Cards up to {CARD_VERSION}"
                )))
            }
            None => {
                return Err(HitlError::invalid_input(format!(
                    "card.version must look like \"{CARD_VERSION}\", not {v:?}"
                )))
            }
        },
        Some(_) => {
            return Err(HitlError::invalid_input(format!(
                "card.version must be a string such as \"{CARD_VERSION}\""
            )))
        }
    }
    let card = Value::Object(object);
    if let Some(action) = find_unsupported_action(&card) {
        return Err(invalid_message(format!(
            "the card uses {action}, which Teams Workflows webhooks do not support; use Action.OpenUrl"
        )));
    }
    Ok(card)
}

fn parse_version(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The first `Action.Submit`/`Action.Execute` anywhere in the card (actions, ActionSets,
/// selectAction, ShowCard cards...).
pub fn find_unsupported_action(value: &Value) -> Option<&'static str> {
    match value {
        Value::Object(map) => {
            if let Some(t) = map.get("type").and_then(Value::as_str) {
                if let Some(found) = UNSUPPORTED_ACTIONS.iter().find(|a| **a == t) {
                    return Some(found);
                }
            }
            map.values().find_map(find_unsupported_action)
        }
        Value::Array(items) => items.iter().find_map(find_unsupported_action),
        _ => None,
    }
}

fn invalid_message(message: impl Into<String>) -> HitlError {
    HitlError::service(Service::Teams, ServiceErrorKind::InvalidMessage, message)
}

/// What a Workflows webhook takes: a `message` with the card as its one attachment.
pub fn webhook_envelope(card: &Value) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": CARD_CONTENT_TYPE,
            "contentUrl": null,
            "content": card,
        }],
    })
}

/// The webhook body for a message. Workflows' "post to a channel" flow posts the attachments'
/// cards, so plain text goes out as a card holding only that text.
pub fn webhook_payload(message: &TeamsMessage) -> Value {
    match message {
        TeamsMessage::Card(card) => webhook_envelope(card),
        TeamsMessage::Text(text) => webhook_envelope(&text_card(None, text)),
    }
}

/// Refuses (`Teams.InvalidMessage`) a message whose webhook body is over 28 KB; returns its
/// size in bytes.
pub fn check_size(message: &TeamsMessage) -> Result<usize, HitlError> {
    let size = webhook_payload(message).to_string().len();
    if size > MAX_MESSAGE_BYTES {
        return Err(invalid_message(format!(
            "the message is {size} bytes; Teams takes at most {MAX_MESSAGE_BYTES} (28 KB): shorten the text or facts"
        )));
    }
    Ok(size)
}

// ---------------------------------------------------------------------------------------------
// Use cases

/// The links of a request an earlier attempt of the same state created (same id, same expiry).
fn links_of(record: &ApprovalRecord, settings: &LinkSettings<'_>) -> CreateLinksOutput {
    let url = |decision| {
        let (id, at) = (&record.approval_id, record.expires_at);
        settings
            .signer
            .link_url(settings.base_url, id, decision, at, None)
    };
    CreateLinksOutput {
        approval_id: record.approval_id.clone(),
        approve_url: url(Decision::Approve),
        reject_url: url(Decision::Reject),
        expires_at: rfc3339(record.expires_at),
        title: record.title.clone(),
        description: record.description.clone(),
        links: Vec::new(),
    }
}

/// Teams Request Action: stores a pending approval (its decisions count as channel `teams`),
/// stores the task token, posts the card with the signed links, and leaves the Task waiting.
/// Every input check runs before anything is stored. With a `requestKey`, an ASL retry of the
/// same state reuses the first attempt's request and does not post its card twice.
pub async fn request_action(
    input: TeamsRequestActionInput,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    messenger: &dyn TeamsMessenger,
    approval_id: String,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let request = input.validate()?;
    let settings = LinkSettings {
        origin: Channel::Teams,
        ..*settings
    };
    let approval_id = match &request.request_key {
        Some(key) => keyed_approval_id(key),
        None => approval_id,
    };
    let earlier = match &request.request_key {
        Some(_) => store.get(&approval_id).await?,
        None => None,
    };
    // The card goes to a channel or chat everyone in it can read, so its links are not bound
    // to one approver (a bound link would record whoever clicks as that approver); the
    // confirmation page asks for the person's name instead.
    let links = match &earlier {
        Some(record) => links_of(record, &settings),
        None => {
            let input = CreateLinksInput {
                title: Some(request.title.clone()),
                description: request.text.clone(),
                expires_in_seconds: request.expires_in_seconds,
                approvers: None,
            };
            create_approval_links(input, &settings, store, approval_id, now).await?
        }
    };
    let card = approval_card(
        &links.title,
        links.description.as_deref(),
        &request.facts,
        &request.approvers,
        &links.approve_url,
        &links.reject_url,
        &links.expires_at,
    );
    let message = TeamsMessage::Card(card);
    check_size(&message)?;
    let record = store
        .attach_task_token(&links.approval_id, &request.task_token, now)
        .await?
        .ok_or_else(|| HitlError::NotFound(links.approval_id.clone()))?;
    if record.message.is_none() {
        let posted = messenger.post(&request.target, &message).await?;
        tracing::info!(
            approval_id = %links.approval_id,
            via = ?posted.via,
            message_id = posted.message_id.as_deref().unwrap_or(""),
            "Teams approval card posted"
        );
        // Marks the card as sent, so a retry of this state does not post it again.
        let sent = MessageRef {
            channel: "teams".into(),
            ts: posted.message_id.unwrap_or_else(|| "webhook".into()),
        };
        store.attach_message(&links.approval_id, &sent, &[]).await?;
    }
    Ok(TeamsRequestActionOutput {
        approval_id: links.approval_id,
        expires_at: links.expires_at,
        status: "waiting".into(),
    })
}

/// Teams Send Channel Message / Send Chat Message: posts a text or a card, waits for nothing.
pub async fn send_message(
    input: TeamsSendMessageInput,
    conversation: Conversation,
    messenger: &dyn TeamsMessenger,
) -> Result<TeamsSendMessageOutput, HitlError> {
    let ValidatedSendMessage { target, message } = input.validate(conversation)?;
    let posted = messenger.post(&target, &message).await?;
    Ok(TeamsSendMessageOutput {
        delivered: true,
        via: posted.via,
        message_id: posted.message_id,
    })
}

// ---------------------------------------------------------------------------------------------
// A fake for tests

/// Records every post; answers as a webhook (no id) or as Graph (an id), or fails.
#[derive(Default)]
pub struct RecordingTeams {
    pub posted: std::sync::Mutex<Vec<(TeamsTarget, TeamsMessage)>>,
    pub fail_with: std::sync::Mutex<Option<HitlError>>,
}

#[async_trait]
impl TeamsMessenger for RecordingTeams {
    async fn post(
        &self,
        target: &TeamsTarget,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        let mut posted = self.posted.lock().unwrap();
        posted.push((target.clone(), message.clone()));
        Ok(match target {
            TeamsTarget::Webhook => PostedMessage {
                via: Via::Webhook,
                message_id: None,
            },
            _ => PostedMessage {
                via: Via::Graph,
                message_id: Some(format!("{}", 1_700_000_000_000u64 + posted.len() as u64)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::in_memory::{InMemoryStore, RecordingResumer};
    use crate::service::{decide, view_link, ClientInfo, LinkView};
    use crate::LinkSigner;

    const NOW: i64 = 1_800_000_000;

    fn signer() -> LinkSigner {
        LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap()
    }

    fn request(json: Value) -> TeamsRequestActionInput {
        serde_json::from_value(json).unwrap()
    }

    fn send(json: Value) -> TeamsSendMessageInput {
        serde_json::from_value(json).unwrap()
    }

    async fn run_request(
        json: Value,
        store: &InMemoryStore,
        teams: &RecordingTeams,
    ) -> Result<TeamsRequestActionOutput, HitlError> {
        let signer = signer();
        let settings = LinkSettings {
            signer: &signer,
            base_url: "https://api.example.com",
            retention_days: 30,
            // request_action asks as Teams whatever it is given.
            origin: Channel::Email,
        };
        request_action(request(json), &settings, store, teams, "a-1".into(), NOW).await
    }

    #[tokio::test]
    async fn a_retry_with_the_same_request_key_does_not_post_the_card_twice() {
        let store = InMemoryStore::default();
        let teams = RecordingTeams::default();
        let input = |token: &str| json!({"title": "Stop db-1?", "taskToken": token, "requestKey": "exec-1/AskInTeams/db-1"});
        let first = run_request(input("token-1"), &store, &teams).await.unwrap();
        let retry = run_request(input("token-2"), &store, &teams).await.unwrap();
        assert_eq!(first, retry, "the same request");
        assert_eq!(teams.posted.lock().unwrap().len(), 1, "one card");
        let record = store.records.lock().unwrap()[&first.approval_id].clone();
        assert_eq!(record.task_token.as_deref(), Some("token-2"));
    }

    #[tokio::test]
    async fn request_action_stores_waits_and_posts_a_card_with_the_signed_links() {
        let store = InMemoryStore::default();
        let teams = RecordingTeams::default();
        let out = run_request(
            json!({
                "title": "Stop db-1?",
                "text": "Idle for 14 days.",
                "facts": [{"title": "Instance", "value": "db-1"}, {"title": "CPU %", "value": 0.4}],
                "approvers": ["Alice@Example.com"],
                "taskToken": "token-1",
                "unknown": "ignored"
            }),
            &store,
            &teams,
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"approvalId": "a-1", "expiresAt": "2027-01-16T08:00:00Z", "status": "waiting"})
        );
        let record = store.records.lock().unwrap()["a-1"].clone();
        assert_eq!(record.task_token.as_deref(), Some("token-1"));
        assert_eq!(record.origin, Channel::Teams);
        assert_eq!(record.description.as_deref(), Some("Idle for 14 days."));

        let posted = teams.posted.lock().unwrap();
        assert_eq!(posted.len(), 1);
        let (target, TeamsMessage::Card(card)) = &posted[0] else {
            panic!("a card was expected")
        };
        assert_eq!(target, &TeamsTarget::Webhook);
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["$schema"], CARD_SCHEMA);
        assert_eq!(card["version"], "1.4");
        assert_eq!(
            card["body"][0],
            json!({"type": "TextBlock", "text": "Stop db-1?", "weight": "bolder", "size": "medium", "wrap": true})
        );
        assert_eq!(
            card["body"][1],
            json!({"type": "TextBlock", "text": "Idle for 14 days.", "wrap": true})
        );
        assert_eq!(
            card["body"][2],
            json!({"type": "FactSet", "facts": [
                {"title": "Instance", "value": "db-1"},
                {"title": "CPU %", "value": "0.4"},
                {"title": "Approvers", "value": "alice@example.com"}
            ]})
        );
        let actions = card["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 2);
        assert!(actions.iter().all(|a| a["type"] == "Action.OpenUrl"));
        assert_eq!(actions[0]["title"], "Approve");
        assert_eq!(actions[0]["style"], "positive");
        assert_eq!(actions[1]["title"], "Reject");
        assert_eq!(actions[1]["style"], "destructive");
        assert!(find_unsupported_action(card).is_none());
        let approve = actions[0]["url"].as_str().unwrap();
        assert!(approve.starts_with("https://api.example.com/decisions/a-1?"));
        assert!(
            !approve.contains("token-1"),
            "the task token never goes in a link"
        );
    }

    #[tokio::test]
    async fn a_click_on_the_card_link_is_confirmed_then_decided_as_teams() {
        let store = InMemoryStore::default();
        let teams = RecordingTeams::default();
        run_request(
            json!({"title": "Stop db-1?", "taskToken": "token-1"}),
            &store,
            &teams,
        )
        .await
        .unwrap();
        let url = {
            let posted = teams.posted.lock().unwrap();
            let TeamsMessage::Card(card) = &posted[0].1 else {
                panic!()
            };
            card["actions"][0]["url"].as_str().unwrap().to_string()
        };
        let query = url.split_once('?').unwrap().1.to_string();
        let signer = signer();
        // GET decides nothing (scanners pre-fetch links).
        let view = view_link("a-1", &query, &signer, &store, NOW + 10).await;
        assert!(matches!(view, LinkView::Confirm { .. }), "{view:?}");
        assert!(store.records.lock().unwrap()["a-1"].decision.is_none());
        // POST from the confirmation page decides and resumes the waiting Task.
        let resumer = RecordingResumer::default();
        let form = format!("{query}&name=Alice");
        let view = decide(
            "a-1",
            &form,
            ClientInfo::default(),
            &signer,
            &store,
            &resumer,
            NOW + 20,
        )
        .await;
        assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
        let resumed = resumer.resumed.lock().unwrap();
        assert_eq!(resumed.len(), 1);
        assert_eq!(resumed[0].0, "token-1");
        assert_eq!(resumed[0].1.decision, "approve");
        assert_eq!(resumed[0].1.decided_by.channel, Channel::Teams);
        assert_eq!(resumed[0].1.decided_by.name, "Alice");
    }

    #[tokio::test]
    async fn request_action_checks_everything_before_storing() {
        let cases = [
            (json!({"taskToken": "t"}), "title"),
            (json!({"title": "  ", "taskToken": "t"}), "title"),
            (json!({"title": "t"}), "taskToken"),
            (
                json!({"title": "t", "taskToken": "t", "facts": (0..21).map(|i| json!({"title": format!("f{i}"), "value": "v"})).collect::<Vec<_>>()}),
                "facts",
            ),
            (
                json!({"title": "t", "taskToken": "t", "facts": {"title": "x"}}),
                "facts",
            ),
            (
                json!({"title": "t", "taskToken": "t", "facts": [{"value": "x"}]}),
                "facts[0].title",
            ),
            (
                json!({"title": "t", "taskToken": "t", "facts": [{"title": "x"}]}),
                "facts[0].value",
            ),
            (
                json!({"title": "t", "taskToken": "t", "target": {"teamId": "T"}}),
                "target.channelId",
            ),
            (
                json!({"title": "t", "taskToken": "t", "target": {"channelId": "C"}}),
                "target.teamId",
            ),
            (
                json!({"title": "t", "taskToken": "t", "target": {"teamId": "T", "channelId": "C", "chatId": "X"}}),
                "target",
            ),
            (
                json!({"title": "t", "taskToken": "t", "target": {}}),
                "target",
            ),
            (
                json!({"title": "t", "taskToken": "t", "target": "19:abc"}),
                "target",
            ),
            (
                json!({"title": "t", "taskToken": "t", "target": {"chatId": 5}}),
                "target.chatId",
            ),
            (
                json!({"title": "t", "taskToken": "t", "approvers": ["nope"]}),
                "approvers",
            ),
            (
                json!({"title": "t", "taskToken": "t", "expiresInSeconds": 1}),
                "expiresInSeconds",
            ),
            (
                json!({"title": "t", "taskToken": "t", "text": "x".repeat(MAX_TEXT_CHARS + 1)}),
                "text",
            ),
        ];
        for (input, field) in cases {
            let store = InMemoryStore::default();
            let teams = RecordingTeams::default();
            let err = run_request(input.clone(), &store, &teams)
                .await
                .unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidInput", "{input}: {err}");
            assert!(err.to_string().contains(field), "{input}: {err}");
            assert!(store.records.lock().unwrap().is_empty(), "{input}");
            assert!(teams.posted.lock().unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn request_action_posts_to_a_graph_target() {
        let store = InMemoryStore::default();
        let teams = RecordingTeams::default();
        run_request(
            json!({"title": "t", "taskToken": "t", "target": {"teamId": " T1 ", "channelId": "19:c@thread.tacv2"}}),
            &store,
            &teams,
        )
        .await
        .unwrap();
        assert_eq!(
            teams.posted.lock().unwrap()[0].0,
            TeamsTarget::Channel {
                team_id: "T1".into(),
                channel_id: "19:c@thread.tacv2".into()
            }
        );
    }

    #[tokio::test]
    async fn an_oversized_card_is_refused_before_posting() {
        let store = InMemoryStore::default();
        let teams = RecordingTeams::default();
        let facts: Vec<Value> = (0..MAX_FACTS)
            .map(|i| json!({"title": format!("fact {i}"), "value": "v".repeat(MAX_FACT_VALUE_CHARS)}))
            .collect();
        let err = run_request(
            json!({"title": "t", "taskToken": "t", "facts": facts}),
            &store,
            &teams,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "Teams.InvalidMessage");
        assert!(err.to_string().contains("28 KB"), "{err}");
        assert!(teams.posted.lock().unwrap().is_empty());
        // No task token was stored for a card that never went out.
        assert!(store.records.lock().unwrap()["a-1"].task_token.is_none());
    }

    #[tokio::test]
    async fn a_failed_post_fails_the_task_with_the_service_error() {
        let store = InMemoryStore::default();
        let teams = RecordingTeams::default();
        *teams.fail_with.lock().unwrap() = Some(HitlError::service(
            Service::Teams,
            ServiceErrorKind::RateLimited,
            "429",
        ));
        let err = run_request(json!({"title": "t", "taskToken": "t"}), &store, &teams)
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Teams.RateLimited");
    }

    #[tokio::test]
    async fn send_message_text_and_cards() {
        let teams = RecordingTeams::default();
        let out = send_message(
            send(json!({"text": " hello "})),
            Conversation::Channel,
            &teams,
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"delivered": true, "via": "webhook"})
        );
        let out = send_message(
            send(json!({"text": "hi", "title": "Heads up", "target": {"chatId": "19:x@unq.gbl.spaces"}})),
            Conversation::Chat,
            &teams,
        )
        .await
        .unwrap();
        assert_eq!(out.via, Via::Graph);
        assert!(out.message_id.is_some());
        let card = json!({"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "x"}]});
        send_message(
            send(json!({"card": card, "target": {"teamId": "T", "channelId": "C"}})),
            Conversation::Channel,
            &teams,
        )
        .await
        .unwrap();
        let posted = teams.posted.lock().unwrap();
        assert_eq!(
            posted[0],
            (TeamsTarget::Webhook, TeamsMessage::Text("hello".into()))
        );
        let TeamsMessage::Card(titled) = &posted[1].1 else {
            panic!()
        };
        assert_eq!(titled, &text_card(Some("Heads up"), "hi"));
        assert_eq!(titled["body"][0]["weight"], "bolder");
        let TeamsMessage::Card(raw) = &posted[2].1 else {
            panic!()
        };
        assert_eq!(raw["version"], "1.4", "a card without version gets 1.4");
    }

    #[tokio::test]
    async fn send_message_validation() {
        let cases: [(Value, Conversation, &str, &str); 8] = [
            (
                json!({}),
                Conversation::Channel,
                "Hitl.InvalidInput",
                "text or card",
            ),
            (
                json!({"text": "a", "card": {"type": "AdaptiveCard"}}),
                Conversation::Channel,
                "Hitl.InvalidInput",
                "not both",
            ),
            (
                json!({"card": {"type": "message"}}),
                Conversation::Channel,
                "Hitl.InvalidInput",
                "card.type",
            ),
            (
                json!({"card": "text"}),
                Conversation::Channel,
                "Hitl.InvalidInput",
                "card",
            ),
            (
                json!({"card": {"type": "AdaptiveCard", "version": "1.5"}}),
                Conversation::Channel,
                "Teams.InvalidMessage",
                "1.5",
            ),
            (
                json!({"card": {"type": "AdaptiveCard", "body": [{"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": "OK"}]}]}}),
                Conversation::Chat,
                "Teams.InvalidMessage",
                "Action.Submit",
            ),
            (
                json!({"text": "a", "target": {"chatId": "c"}}),
                Conversation::Channel,
                "Hitl.InvalidInput",
                "Send Chat Message",
            ),
            (
                json!({"text": "a", "target": {"teamId": "t", "channelId": "c"}}),
                Conversation::Chat,
                "Hitl.InvalidInput",
                "Send Channel Message",
            ),
        ];
        for (input, conversation, name, needle) in cases {
            let teams = RecordingTeams::default();
            let err = send_message(send(input.clone()), conversation, &teams)
                .await
                .unwrap_err();
            assert_eq!(err.name(), name, "{input}: {err}");
            assert!(err.to_string().contains(needle), "{input}: {err}");
            assert!(teams.posted.lock().unwrap().is_empty());
        }
    }

    #[test]
    fn the_28_kb_limit_counts_the_webhook_envelope() {
        let overhead = webhook_payload(&TeamsMessage::Text(String::new()))
            .to_string()
            .len();
        let fits = TeamsMessage::Text("a".repeat(MAX_MESSAGE_BYTES - overhead));
        assert_eq!(check_size(&fits).unwrap(), MAX_MESSAGE_BYTES);
        let over = TeamsMessage::Text("a".repeat(MAX_MESSAGE_BYTES - overhead + 1));
        assert_eq!(
            check_size(&over).unwrap_err().name(),
            "Teams.InvalidMessage"
        );
        // Through send_message, a long text trips the text limit first; a raw card the size one.
        let card = json!({"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "é".repeat(15_000)}]});
        let err = send(json!({"card": card}))
            .validate(Conversation::Channel)
            .unwrap_err();
        assert_eq!(err.name(), "Teams.InvalidMessage");
    }

    #[test]
    fn the_webhook_envelope_has_the_documented_shape() {
        let card = text_card(None, "hi");
        assert_eq!(
            webhook_envelope(&card),
            json!({"type": "message", "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": "1.4",
                    "body": [{"type": "TextBlock", "text": "hi", "wrap": true}]}
            }]})
        );
        assert_eq!(
            webhook_payload(&TeamsMessage::Text("hi".into())),
            webhook_envelope(&card)
        );
    }

    #[test]
    fn unsupported_actions_are_found_anywhere() {
        let nested = json!({"type": "AdaptiveCard", "body": [{"type": "Container", "selectAction": {"type": "Action.Execute"}}]});
        assert_eq!(find_unsupported_action(&nested), Some("Action.Execute"));
        let show = json!({"type": "AdaptiveCard", "actions": [{"type": "Action.ShowCard", "card": {"type": "AdaptiveCard", "actions": [{"type": "Action.Submit"}]}}]});
        assert_eq!(find_unsupported_action(&show), Some("Action.Submit"));
        let fine = json!({"type": "AdaptiveCard", "version": "1.2", "actions": [{"type": "Action.OpenUrl", "url": "https://x"}]});
        assert_eq!(prepare_card(fine.clone()).unwrap(), fine);
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target(None).unwrap(), TeamsTarget::Webhook);
        assert_eq!(
            parse_target(Some(&Value::Null)).unwrap(),
            TeamsTarget::Webhook
        );
        assert_eq!(
            parse_target(Some(&json!({"chatId": "19:a@unq.gbl.spaces", "other": 1}))).unwrap(),
            TeamsTarget::Chat {
                chat_id: "19:a@unq.gbl.spaces".into()
            }
        );
        assert!(parse_target(Some(&json!({"chatId": "has space"}))).is_err());
    }
}
