//! Microsoft Teams: approval requests as Adaptive Cards whose buttons open the same signed,
//! scanner-safe links the email flow uses, and plain notifications, all through a Workflows
//! webhook ("Post to a channel when a webhook request is received", bound to one channel or
//! chat).
//!
//! Microsoft Graph is not used: Graph takes channel and chat messages from an app-only
//! (client credentials) token only to import history into a team in migration mode, and
//! answers 401 "Message POST is allowed in application-only context only for import
//! purposes" to anything else. A webhook card cannot tell who clicks it, so Request Action
//! refuses `approvers` (`Teams.ApproversNeedBot`) rather than list names it cannot enforce,
//! and a decision made from the card is recorded as unverified (`decidedBy.verified: false`).
//!
//! What is ours lives here: the input contracts and their validation ([`input`]), the
//! Adaptive Card we post and Teams' limits ([`card`]: version 1.4, 28 KB, no `Action.Submit`).
//! Talking to the webhook is the [`TeamsMessenger`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::approval::rfc3339;
use crate::input::keyed_approval_id;
use crate::ports::ChatApprovals;
use crate::service::{create_approval_links, LinkSettings};
use crate::{
    ApprovalRecord, Channel, CreateLinksInput, CreateLinksOutput, Decision, HitlError, MessageRef,
};

pub mod card;
pub mod input;

pub use card::*;
pub use input::*;

// ---------------------------------------------------------------------------------------------
// The port

/// What is posted: an Adaptive Card (the card itself, not the envelope) or plain text.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamsMessage {
    Card(Value),
    Text(String),
}

/// How a message went out: always the Workflows webhook (kept in the outputs, `"via":
/// "webhook"`, so a later delivery path can be told apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Webhook,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedMessage {
    pub via: Via,
}

#[async_trait]
pub trait TeamsMessenger: Send + Sync {
    /// Posts `message` to the webhook's channel or chat.
    async fn post(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError>;
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
        approve_url: Some(url(Decision::Approve)),
        reject_url: Some(url(Decision::Reject)),
        expires_at: rfc3339(record.expires_at),
        title: record.title.clone(),
        description: record.description.clone(),
        links: Vec::new(),
    }
}

/// The request's links: an earlier attempt's (same `requestKey`), or new shared links.
async fn shared_links(
    request: &ValidatedRequestAction,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    approval_id: String,
    now: i64,
) -> Result<CreateLinksOutput, HitlError> {
    let approval_id = match &request.request_key {
        Some(key) => keyed_approval_id(key),
        None => approval_id,
    };
    let earlier = match &request.request_key {
        Some(_) => store.get(&approval_id).await?,
        None => None,
    };
    // The card goes to a channel or chat everyone in it can read and nobody who clicks is
    // identified, so its links are not bound to anyone; the confirmation page asks for a
    // name, recorded as given and marked unverified.
    match &earlier {
        Some(record) => Ok(links_of(record, settings)),
        None => {
            let input = CreateLinksInput {
                title: Some(request.title.clone()),
                description: request.text.clone(),
                expires_in_seconds: request.expires_in_seconds,
                approvers: None,
            };
            create_approval_links(input, settings, store, approval_id, now).await
        }
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
    let links = shared_links(&request, &settings, store, approval_id, now).await?;
    // A Teams request names no approvers: its links are the shared ones.
    let (Some(approve_url), Some(reject_url)) = (&links.approve_url, &links.reject_url) else {
        return Err(HitlError::invalid_input(
            "a Teams card shows shared links only",
        ));
    };
    let message = TeamsMessage::Card(approval_card(
        &links.title,
        links.description.as_deref(),
        &request.facts,
        approve_url,
        reject_url,
        &links.expires_at,
    ));
    check_size(&message)?;
    post_once(
        &links.approval_id,
        &request.task_token,
        &message,
        store,
        messenger,
        now,
    )
    .await?;
    Ok(TeamsRequestActionOutput {
        approval_id: links.approval_id,
        expires_at: links.expires_at,
        status: "waiting".into(),
    })
}

/// Stores the task token, then posts the card unless an earlier attempt did.
async fn post_once(
    approval_id: &str,
    task_token: &str,
    message: &TeamsMessage,
    store: &dyn ChatApprovals,
    messenger: &dyn TeamsMessenger,
    now: i64,
) -> Result<(), HitlError> {
    let record = store
        .attach_task_token(approval_id, task_token, now)
        .await?
        .ok_or_else(|| HitlError::NotFound(approval_id.to_string()))?;
    if record.message.is_some() {
        return Ok(());
    }
    let posted = messenger.post(message).await?;
    tracing::info!(%approval_id, via = ?posted.via, "Teams approval card posted");
    // Marks the card as sent, so a retry of this state does not post it again.
    let sent = MessageRef {
        channel: "teams".into(),
        ts: "webhook".into(),
    };
    store.attach_message(approval_id, &sent, &[]).await
}

/// Teams Send Channel Message / Send Chat Message: posts a text or a card to the webhook's
/// channel or chat, waits for nothing.
pub async fn send_message(
    input: TeamsSendMessageInput,
    messenger: &dyn TeamsMessenger,
) -> Result<TeamsSendMessageOutput, HitlError> {
    let message = input.validate()?;
    let posted = messenger.post(&message).await?;
    Ok(TeamsSendMessageOutput {
        delivered: true,
        via: posted.via,
    })
}

// ---------------------------------------------------------------------------------------------
// A fake for tests

/// Records every post and answers as the webhook does, or fails.
#[derive(Default)]
pub struct RecordingTeams {
    pub posted: std::sync::Mutex<Vec<TeamsMessage>>,
    pub fail_with: std::sync::Mutex<Option<HitlError>>,
}

#[async_trait]
impl TeamsMessenger for RecordingTeams {
    async fn post(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        self.posted.lock().unwrap().push(message.clone());
        Ok(PostedMessage { via: Via::Webhook })
    }
}

#[cfg(test)]
mod tests;
