//! Teams Request Action and Send Channel / Chat Message, over the [`TeamsMessenger`] port. The
//! inputs are read and checked in `channels::teams` (a [`TeamsRequest`], or the message to
//! post), and the cards and the approvers' emails are rendered through [`TeamsFormat`].
//!
//! A webhook card cannot tell who clicks it: without approvers its buttons are shared links and
//! a decision made from them is recorded as unverified; with approvers the card has no buttons
//! and each approver decides through the personal link emailed to them.

use serde::{Deserialize, Serialize};

use crate::approval::team::TeamFields;
use crate::input::keyed_approval_id;
use crate::ports::{
    ChatApprovals, EmailSender, Fact, TeamsFormat, TeamsMessage, TeamsMessenger, Via,
};
use crate::use_cases::email::send_emails;
use crate::use_cases::{create_links_with_buttons, links_of, LinkSettings, TaskStatus};
use crate::{ApprovalId, ApproverAddress};
use crate::{
    ApprovalRecord, Channel, ChoiceButton, CreateLinksInput, CreateLinksOutput, FollowUpInput,
    HitlError, MessageRef, TaskToken,
};

mod bot_card;
mod companion;
pub use bot_card::{request_action_via_bot, BotChat, MAX_REFRESH_USERS};
pub use companion::{
    post_to_request, CompanionDestination, TeamsCompanionRequest, NO_BOT_COMPANION,
};

/// The `ts` a request's record keeps once its card went to a person's 1:1 chat with the bot.
pub const BOT_MESSAGE_TS: &str = "bot";

/// Why `conversationId` is refused when no bot is configured (`Hitl.Config`).
pub const NO_BOT_CONVERSATION: &str = "Teams: conversationId needs the Teams bot (it sends the card to that channel or chat), which is not configured: set the TeamsBotAppId, TeamsBotTenantId and TeamsBotAppSecret parameters (see the README, Teams bot), or leave conversationId out to post through the Workflows webhook";

/// A checked Teams Request Action.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamsRequest {
    pub title: String,
    pub text: Option<String>,
    pub facts: Vec<Fact>,
    pub expires_in_seconds: Option<i64>,
    pub task_token: TaskToken,
    pub request_key: Option<String>,
    pub execution_arn: Option<String>,
    /// Checked, without duplicates; empty: anyone who sees the card may decide.
    pub approvers: Vec<ApproverAddress>,
    /// The person the bot asks 1:1 (normalized); then `approvers` is that person alone.
    pub user: Option<String>,
    /// A channel or group chat the bot is installed in (`19:…`): the bot sends the card there
    /// (not with `user`). Needs the bot: see [`request_action_via_bot`].
    pub conversation_id: Option<String>,
    /// Approvers named by Entra object id (only with `conversation_id`), resolved by the bot
    /// like the addresses in `approvers`.
    pub approver_ids: Vec<String>,
    /// Checked with the links' choices; kept as given for the links' own check.
    pub follow_up: Option<FollowUpInput>,
    /// The request's own buttons; empty: Approve / Reject.
    pub buttons: Vec<ChoiceButton>,
    /// `quorum`, `requestedBy`, `reminders`, the people named normalized (with
    /// `conversation_id` they may be object ids: the bot resolves them with the approvers).
    pub team: TeamFields,
}

/// Output of Teams Request Action (Step Functions replaces it with the decision); with
/// `approvalId`, the Task's own result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamsRequestActionOutput {
    pub approval_id: String,
    pub expires_at: String,
    pub status: TaskStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamsSendMessageOutput {
    pub delivered: bool,
    pub via: Via,
}

/// How named approvers get their personal links: the deployment's email sender.
pub struct ApproverMail<'a> {
    pub sender: &'a dyn EmailSender,
    /// The From address (`SENDER_EMAIL`).
    pub from: &'a str,
}

impl TeamsRequest {
    /// The request's id: its `requestKey`'s (so an ASL retry finds the first attempt's), else
    /// the `fresh` one.
    fn keyed_id(&self, fresh: String) -> String {
        match &self.request_key {
            Some(key) => keyed_approval_id(key),
            None => fresh,
        }
    }

    /// The request as Create Approval Links takes it (its buttons apart).
    fn links_input(&self) -> CreateLinksInput {
        let approvers = Some(self.approvers.iter().map(|a| a.to_string()).collect())
            .filter(|a: &Vec<String>| !a.is_empty());
        CreateLinksInput {
            title: Some(self.title.clone()),
            description: self.text.clone(),
            expires_in_seconds: self.expires_in_seconds,
            approvers,
            follow_up: self.follow_up.clone(),
            execution_arn: self.execution_arn.clone(),
            execution_input: None,
            quorum: self.team.quorum.clone(),
            requested_by: self.team.requested_by.clone(),
            reminders: self.team.reminders.clone(),
        }
    }
}

/// What an earlier attempt of the same `requestKey` stored as `approval_id`, if any.
async fn earlier_attempt(
    request: &TeamsRequest,
    approval_id: &str,
    store: &dyn ChatApprovals,
) -> Result<Option<ApprovalRecord>, HitlError> {
    match &request.request_key {
        Some(_) => store.get(&approval_id.into()).await,
        None => Ok(None),
    }
}

/// The request's links: an earlier attempt's (same `requestKey`), or new ones.
async fn shared_links(
    request: &TeamsRequest,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    approval_id: String,
    now: i64,
) -> Result<CreateLinksOutput, HitlError> {
    let approval_id = request.keyed_id(approval_id);
    // The card goes to a channel or chat everyone in it can read and nobody who clicks is
    // identified: without approvers its links are shared (the confirmation page asks for a
    // name, recorded unverified); with approvers each gets a personal link by email.
    match earlier_attempt(request, &approval_id, store).await? {
        Some(record) => Ok(links_of(&record, settings)),
        None => {
            let (input, buttons) = (request.links_input(), request.buttons.clone());
            create_links_with_buttons(input, buttons, settings, store, approval_id, now).await
        }
    }
}

/// The Teams port and what is said on it, as Request Action uses them.
#[derive(Clone, Copy)]
pub struct TeamsChat<'a> {
    pub messenger: &'a dyn TeamsMessenger,
    pub format: &'a dyn TeamsFormat,
}

/// Teams Request Action: stores a pending approval (its decisions count as channel `teams`),
/// stores the task token, emails each named approver their personal links, posts the card,
/// and leaves the Task waiting. Without approvers the card's buttons are the shared links;
/// with approvers the card only says who may decide. Every input check runs before anything
/// is stored (in `channels::teams`). With a `requestKey`, an ASL retry of the same state
/// reuses the first attempt's request and posts nothing twice.
pub async fn request_action(
    request: TeamsRequest,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    chat: TeamsChat<'_>,
    mail: &ApproverMail<'_>,
    approval_id: String,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    if request.conversation_id.is_some() {
        return Err(HitlError::Config(NO_BOT_CONVERSATION.into()));
    }
    let settings = LinkSettings {
        origin: Channel::Teams,
        ..*settings
    };
    if request.user.is_some() {
        // A 1:1 message from the bot: its links are personal to that person.
        return request_action_to_user(request, &settings, store, chat, approval_id, now).await;
    }
    let links = shared_links(&request, &settings, store, approval_id, now).await?;
    let message = chat.format.request_card(&links, &request.facts)?;
    let record = attach_token(&links, &request, store, now).await?;
    // An earlier attempt that posted the card also sent the emails.
    if record.message.is_none() {
        if !links.links.is_empty() {
            let emails = chat.format.approver_emails(&links, mail.from)?;
            send_emails(&emails, mail.sender).await?;
        }
        let posted = chat.messenger.post(&message).await?;
        tracing::info!(approval_id = %links.approval_id, via = ?posted.via, "Teams approval card posted");
        mark_sent(&links.approval_id, "webhook", store).await?;
    }
    Ok(waiting(links))
}

/// Request Action to one person (`request.user`): stores the request with that person as its
/// one approver, stores the task token, and posts the card with their personal links to their
/// 1:1 chat with the bot. With a `requestKey`, a retry reuses the request and posts nothing
/// twice.
async fn request_action_to_user(
    request: TeamsRequest,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    chat: TeamsChat<'_>,
    approval_id: String,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let links = shared_links(&request, settings, store, approval_id, now).await?;
    let personal = links.links.first().ok_or_else(|| {
        HitlError::invalid_input("the request has no personal links for user (it was first stored without user: use another requestKey)")
    })?;
    let message = chat
        .format
        .personal_card(&links, &request.facts, personal)?;
    let record = attach_token(&links, &request, store, now).await?;
    if record.message.is_none() {
        let posted = chat
            .messenger
            .post_to_user(&personal.approver, &message)
            .await?;
        tracing::info!(approval_id = %links.approval_id, via = ?posted.via, "Teams approval card sent to the user's 1:1 chat");
        mark_sent(&links.approval_id, BOT_MESSAGE_TS, store).await?;
    }
    Ok(waiting(links))
}

/// Stores the Task's token on the request: the record as it is now.
async fn attach_token(
    links: &CreateLinksOutput,
    request: &TeamsRequest,
    store: &dyn ChatApprovals,
    now: i64,
) -> Result<ApprovalRecord, HitlError> {
    store
        .attach_task_token(&links.approval_id.as_str().into(), &request.task_token, now)
        .await?
        .ok_or_else(|| HitlError::NotFound(links.approval_id.clone()))
}

/// Marks the card as sent (`how`: through the webhook or the bot), so a retry of this state
/// does not send it again.
async fn mark_sent(
    approval_id: &str,
    how: &str,
    store: &dyn ChatApprovals,
) -> Result<(), HitlError> {
    let sent = MessageRef {
        channel: "teams".into(),
        ts: how.into(),
    };
    store
        .attach_message(&ApprovalId::from(approval_id), &sent, None)
        .await
}

/// The Task's output while it waits for the decision.
fn waiting(links: CreateLinksOutput) -> TeamsRequestActionOutput {
    TeamsRequestActionOutput {
        approval_id: links.approval_id,
        expires_at: links.expires_at,
        status: TaskStatus::Waiting,
    }
}

/// Teams Send Channel Message / Send Chat Message: posts a text or a card to the webhook's
/// channel or chat, or to `user`'s 1:1 chat with the bot; waits for nothing.
pub async fn send_message(
    user: Option<String>,
    message: TeamsMessage,
    messenger: &dyn TeamsMessenger,
) -> Result<TeamsSendMessageOutput, HitlError> {
    let posted = match &user {
        Some(user) => messenger.post_to_user(user, &message).await?,
        None => messenger.post(&message).await?,
    };
    Ok(TeamsSendMessageOutput {
        delivered: true,
        via: posted.via,
    })
}
