//! Slack Request Action, Send Message and Update Message, over the [`SlackMessenger`] port and
//! the [`ChatApprovals`] stores. Their inputs are read and checked in `channels::slack` (Slack's
//! limits, Block Kit), which hands over a [`SlackRequest`], a [`SlackPost`] or a message to put
//! in place of another, with the message already rendered.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::approval::rfc3339;
use crate::ports::{ChatApprovals, SlackMessage, SlackMessenger};
use crate::{ApprovalId, ApprovalRecord, Channel, FollowUp, HitlError, MessageRef, TaskToken};

mod companion;
mod sweep;
pub use companion::*;
pub use sweep::*;

/// Where to post, as the input named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A channel id, `#name`, or a user id (the bot's DM with them).
    Conversation(String),
    /// A person by their email address: looked up, then their DM.
    Email(String),
}

/// What `chat.postMessage` gets as `channel`: the conversation as given, or the user id of
/// the person with that address (posting to a user id reaches the bot's DM with them).
async fn resolve(
    destination: Destination,
    slack: &dyn SlackMessenger,
) -> Result<String, HitlError> {
    match destination {
        Destination::Conversation(channel) => Ok(channel),
        Destination::Email(email) => slack.lookup_user_by_email(&email).await,
    }
}

/// A checked Request Action: the request to store and the message that asks, rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackRequest {
    /// The request's id: keyed by its `requestKey` when it has one.
    pub approval_id: String,
    /// Whether a `requestKey` named it (a retry of the same state finds the first attempt).
    pub keyed: bool,
    pub destination: Destination,
    pub title: String,
    pub description: String,
    pub message: SlackMessage,
    pub approvers: Vec<String>,
    pub follow_up: Option<FollowUp>,
    pub expires_in_seconds: i64,
    pub task_token: TaskToken,
    pub execution_arn: Option<String>,
    /// Quorum, requester and reminders, checked against `approvers` (Slack user ids).
    pub team: crate::quorum::TeamRules,
}

/// What Request Action returns to its (waiting) Task; the Task's real output is the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestActionOutput {
    pub approval_id: String,
    pub channel: String,
    pub ts: String,
    pub expires_at: String,
}

/// Output of Slack Send Message; the input of Update Message and Wait For User Action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    pub channel: String,
    pub ts: String,
    /// Set when the message has buttons: Wait For User Action can wait on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
}

impl SentMessage {
    fn new(message: MessageRef, approval_id: Option<String>) -> Self {
        SentMessage {
            channel: message.channel,
            ts: message.ts,
            approval_id,
        }
    }
}

/// The approval id of a message a workflow may wait on: derived from where it is, so a click
/// that comes before the wait finds the same record.
pub fn message_approval_id(message: &MessageRef) -> String {
    format!("slack-{}-{}", message.channel, message.ts)
}

/// Stores `record`, or, under an idempotency key, finds the request a failed attempt of the
/// same state already made and gives it this attempt's task token. `Some(message)` when that
/// attempt's message went out (it is not posted again).
async fn create_or_resume(
    record: &ApprovalRecord,
    keyed: bool,
    store: &dyn ChatApprovals,
    now: i64,
) -> Result<(ApprovalRecord, Option<MessageRef>), HitlError> {
    match store.create(record).await {
        Ok(()) => Ok((record.clone(), None)),
        Err(HitlError::AlreadyExists(id)) if keyed => {
            let existing = match &record.task_token {
                Some(token) => {
                    store
                        .attach_task_token(&id.clone().into(), token, now)
                        .await?
                }
                None => store.get(&id.clone().into()).await?,
            }
            .ok_or(HitlError::NotFound(id))?;
            let posted = existing.message.clone();
            Ok((existing, posted))
        }
        Err(err) => Err(err),
    }
}

/// Posts the request and stores the task token; the click resumes the workflow. With a
/// `requestKey`, a retry of the same state reuses the first attempt's message.
pub async fn request_action(
    request: SlackRequest,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    retention_days: i64,
    now: i64,
) -> Result<RequestActionOutput, HitlError> {
    let SlackRequest {
        approval_id,
        keyed,
        destination,
        message,
        ..
    } = request;
    let destination = resolve(destination, slack).await?;
    let mut record = ApprovalRecord::new(
        approval_id.clone(),
        request.title,
        Channel::Slack,
        now,
        now + request.expires_in_seconds,
        retention_days,
    );
    record.description = Some(request.description);
    record.approvers = request.approvers;
    record.task_token = Some(request.task_token);
    record.follow_up = request.follow_up;
    record.execution_arn = request.execution_arn;
    record.set_team_rules(request.team);
    let (record, posted) = create_or_resume(&record, keyed, store, now).await?;
    let posted = match posted {
        Some(posted) => posted,
        None => {
            post_request(
                &approval_id.as_str().into(),
                &destination,
                &message,
                store,
                slack,
            )
            .await?
        }
    };
    Ok(RequestActionOutput {
        approval_id,
        channel: posted.channel,
        ts: posted.ts,
        expires_at: rfc3339(record.expires_at),
    })
}

/// Posts the request's message and keeps what it showed (for the message's later updates).
async fn post_request(
    approval_id: &ApprovalId,
    destination: &str,
    message: &SlackMessage,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
) -> Result<MessageRef, HitlError> {
    let posted = slack.post(destination, message).await?;
    let shown = message.blocks.as_deref().and_then(shown_blocks);
    store
        .attach_message(approval_id, &posted, shown.as_deref())
        .await?;
    Ok(posted)
}

/// A checked Send Message: where, the message, and whether a Wait For User Action can wait on
/// it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackPost {
    pub destination: Destination,
    pub message: SlackMessage,
    pub title: String,
    /// The message has elements that can answer: it is registered for a wait.
    pub interactive: bool,
    /// The `action_id`s whose actions count (empty: all).
    pub action_ids: Vec<String>,
    pub approvers: Vec<String>,
    pub expires_in_seconds: i64,
    /// The id of the marker record a `requestKey` keeps (a retry finds the first post).
    pub keyed_id: Option<String>,
}

/// Posts a message; when it has buttons, also registers it so a Wait For User Action can wait
/// on it (and a click that comes first is kept). With a `requestKey`, a retry of the same
/// state returns the first attempt's message instead of posting again.
pub async fn send_message(
    post: SlackPost,
    store: &dyn ChatApprovals,
    slack: &dyn SlackMessenger,
    retention_days: i64,
    now: i64,
) -> Result<SentMessage, HitlError> {
    let expires_at = now + post.expires_in_seconds;
    let new_record = |id: String| {
        let title = post.title.clone();
        ApprovalRecord::new(id, title, Channel::Slack, now, expires_at, retention_days)
    };
    // Under a key, a marker record guards the post: a retry finds what the first attempt sent.
    if let Some(key) = &post.keyed_id {
        if let (_, Some(sent)) =
            create_or_resume(&new_record(key.clone()), true, store, now).await?
        {
            let approval_id = post.interactive.then(|| message_approval_id(&sent));
            return Ok(SentMessage::new(sent, approval_id));
        }
    }
    let destination = resolve(post.destination.clone(), slack).await?;
    let posted = slack.post(&destination, &post.message).await?;
    let blocks = post.message.blocks.as_deref().unwrap_or_default();
    if let Some(key) = &post.keyed_id {
        store
            .attach_message(&key.as_str().into(), &posted, None)
            .await?;
    }
    let approval_id = match post.interactive {
        true => {
            let mut record = new_record(message_approval_id(&posted));
            record.approvers = post.approvers.clone();
            record.action_ids = post.action_ids.clone();
            Some(register_for_waiting(record, &posted, blocks, store).await?)
        }
        false => None,
    };
    Ok(SentMessage::new(posted, approval_id))
}

/// What a message showed, as the open-message store keeps it: its blocks as JSON (none for a
/// message without blocks, which has nothing to close).
fn shown_blocks(blocks: &[Value]) -> Option<String> {
    (!blocks.is_empty()).then(|| Value::from(blocks.to_vec()).to_string())
}

/// Stores a message with buttons as a request a Wait For User Action can wait on (a click
/// that comes first is kept); returns its approval id.
async fn register_for_waiting(
    mut record: ApprovalRecord,
    posted: &MessageRef,
    blocks: &[Value],
    store: &dyn ChatApprovals,
) -> Result<String, HitlError> {
    record.message = Some(posted.clone());
    store.create(&record).await?;
    store
        .attach_message(&record.approval_id, posted, shown_blocks(blocks).as_deref())
        .await?;
    Ok(record.approval_id.into_string())
}

/// Puts `message` in place of the message at `target`.
pub async fn update_message(
    target: MessageRef,
    message: SlackMessage,
    slack: &dyn SlackMessenger,
) -> Result<SentMessage, HitlError> {
    slack.update(&target, &message).await?;
    Ok(SentMessage::new(target, None))
}
