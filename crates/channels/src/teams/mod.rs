//! Microsoft Teams: approval requests as Adaptive Cards whose buttons open the same signed,
//! scanner-safe links the email flow uses, and plain notifications, through a Workflows
//! webhook ("Post to a channel when a webhook request is received", bound to one channel or
//! chat), or to one person (`user`) as the bot's proactive 1:1 message ([`bot`]).
//!
//! Microsoft Graph is not used: Graph takes channel and chat messages from an app-only
//! (client credentials) token only to import history into a team in migration mode, and
//! answers 401 "Message POST is allowed in application-only context only for import
//! purposes" to anything else. A webhook card cannot tell who clicks it: without `approvers`
//! its buttons are shared links and a decision made from them is recorded as unverified
//! (`decidedBy.verified: false`); with `approvers` the card has no buttons and each approver
//! decides through the personal link emailed to them, recorded as that approver.
//!
//! What is ours lives here: the input contracts and their validation ([`input`]), the
//! Adaptive Card we post and Teams' limits ([`card`]: version 1.4, 28 KB, no `Action.Submit`).
//! Talking to the webhook (and, for one person by email address, to the bot: [`bot`]) is the
//! [`TeamsMessenger`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::email::{send_email, SendEmailInput};
use approvals::input::keyed_approval_id;
use approvals::ports::ChatApprovals;
use approvals::ports::EmailSender;
use approvals::use_cases::{create_links_with_buttons, links_of, LinkSettings, TaskStatus};
use approvals::{Channel, CreateLinksInput, CreateLinksOutput, HitlError, MessageRef};

pub mod bot;
pub mod buttons;
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

/// How a message went out (in the outputs): the Workflows webhook, or the bot's proactive 1:1
/// message to a `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Webhook,
    /// A proactive 1:1 message from the Bot Framework bot (`user`): see [`bot`].
    Bot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedMessage {
    pub via: Via,
}

#[async_trait]
pub trait TeamsMessenger: Send + Sync {
    /// Posts `message` to the webhook's channel or chat.
    async fn post(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError>;

    /// Posts `message` to the 1:1 chat of the person whose address is `email`, as the bot
    /// (a proactive message). A deployment without a bot refuses it (`Hitl.Config`).
    async fn post_to_user(
        &self,
        email: &str,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        let _ = (email, message);
        Err(HitlError::Config(bot::NO_BOT.into()))
    }
}

// ---------------------------------------------------------------------------------------------
// Use cases

/// The request's links: an earlier attempt's (same `requestKey`), or new ones.
pub(crate) async fn shared_links(
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
    // identified: without approvers its links are shared (the confirmation page asks for a
    // name, recorded unverified); with approvers each gets a personal link by email.
    match &earlier {
        Some(record) => Ok(links_of(record, settings)),
        None => {
            let approvers = Some(request.approvers.clone()).filter(|a| !a.is_empty());
            let input = CreateLinksInput {
                title: Some(request.title.clone()),
                description: request.text.clone(),
                expires_in_seconds: request.expires_in_seconds,
                approvers,
                follow_up: request.follow_up.clone(),
                execution_arn: request.execution_arn.clone(),
            };
            let buttons = request.buttons.clone();
            create_links_with_buttons(input, buttons, settings, store, approval_id, now).await
        }
    }
}

/// How named approvers get their personal links: the deployment's email sender.
pub struct ApproverMail<'a> {
    pub sender: &'a dyn EmailSender,
    /// The From address (`SENDER_EMAIL`).
    pub from: &'a str,
}

/// Teams Request Action: stores a pending approval (its decisions count as channel `teams`),
/// stores the task token, emails each named approver their personal links, posts the card,
/// and leaves the Task waiting. Without approvers the card's buttons are the shared links;
/// with approvers the card only says who may decide, since a webhook card cannot tell who
/// clicks it. Every input check runs before anything is stored. With a `requestKey`, an ASL
/// retry of the same state reuses the first attempt's request and posts nothing twice.
pub async fn request_action(
    input: TeamsRequestActionInput,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    messenger: &dyn TeamsMessenger,
    mail: &ApproverMail<'_>,
    approval_id: String,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let request = input.validate()?;
    let settings = LinkSettings {
        origin: Channel::Teams,
        ..*settings
    };
    if request.user.is_some() {
        // A 1:1 message from the bot: its links are personal to that person.
        return bot::request_action_to_user(request, &settings, store, messenger, approval_id, now)
            .await;
    }
    let links = shared_links(&request, &settings, store, approval_id, now).await?;
    let names: Vec<String> = links.links.iter().map(|l| l.approver.clone()).collect();
    let choices = buttons::card_buttons(&links);
    let deciders = match names.is_empty() && !choices.is_empty() {
        true => Deciders::Anyone(&choices),
        false => Deciders::Named(&names),
    };
    let message = TeamsMessage::Card(approval_card(
        &links.title,
        links.description.as_deref(),
        &request.facts,
        deciders,
        &links.expires_at,
    ));
    check_size(&message)?;
    let record = attach_token(&links, &request, store, now).await?;
    // An earlier attempt that posted the card also sent the emails.
    if record.message.is_none() {
        if !names.is_empty() {
            let emails = SendEmailInput {
                approval: Some(links.clone()),
                message: Some(
                    "You were asked in Microsoft Teams; this is your personal link.".into(),
                ),
                ..SendEmailInput::default()
            };
            send_email(emails, mail.from, mail.sender).await?;
        }
        post_once(&links.approval_id, &message, store, messenger).await?;
    }
    Ok(waiting(links))
}

/// Stores the Task's token on the request: the record as it is now.
pub(crate) async fn attach_token(
    links: &CreateLinksOutput,
    request: &ValidatedRequestAction,
    store: &dyn ChatApprovals,
    now: i64,
) -> Result<approvals::ApprovalRecord, HitlError> {
    store
        .attach_task_token(&links.approval_id, &request.task_token, now)
        .await?
        .ok_or_else(|| HitlError::NotFound(links.approval_id.clone()))
}

/// Marks the card as sent (`how`: through the webhook or the bot), so a retry of this state
/// does not send it again.
pub(crate) async fn mark_sent(
    approval_id: &str,
    how: &str,
    store: &dyn ChatApprovals,
) -> Result<(), HitlError> {
    let sent = MessageRef {
        channel: "teams".into(),
        ts: how.into(),
    };
    store.attach_message(approval_id, &sent, None).await
}

/// The Task's output while it waits for the decision.
pub(crate) fn waiting(links: CreateLinksOutput) -> TeamsRequestActionOutput {
    TeamsRequestActionOutput {
        approval_id: links.approval_id,
        expires_at: links.expires_at,
        status: TaskStatus::Waiting,
    }
}

/// Posts the card and marks it sent.
async fn post_once(
    approval_id: &str,
    message: &TeamsMessage,
    store: &dyn ChatApprovals,
    messenger: &dyn TeamsMessenger,
) -> Result<(), HitlError> {
    let posted = messenger.post(message).await?;
    tracing::info!(%approval_id, via = ?posted.via, "Teams approval card posted");
    mark_sent(approval_id, "webhook", store).await
}

/// Teams Send Channel Message / Send Chat Message: posts a text or a card to the webhook's
/// channel or chat, waits for nothing.
pub async fn send_message(
    input: TeamsSendMessageInput,
    messenger: &dyn TeamsMessenger,
) -> Result<TeamsSendMessageOutput, HitlError> {
    let user = bot::parse_user(input.user.as_ref())?;
    let message = input.validate()?;
    let posted = match &user {
        Some(user) => messenger.post_to_user(user, &message).await?,
        None => messenger.post(&message).await?,
    };
    Ok(TeamsSendMessageOutput {
        delivered: true,
        via: posted.via,
    })
}

#[cfg(test)]
mod tests;
