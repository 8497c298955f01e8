//! The Teams port: a Workflows webhook bound to one channel or chat, and the Bot Framework bot
//! for one person (`saas_adapters::teams`); and [`TeamsFormat`], what the Teams use cases need
//! rendered (Adaptive Cards, the approvers' emails), implemented in `channels::teams`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::OutgoingEmail;
use crate::{CreateLinksOutput, FollowUp, HitlError, MessageRef, RecipientLinks, TeamsUser};

/// Why a message to one person is refused when no bot is configured (`Hitl.Config`).
pub const NO_BOT: &str = "Teams: sending to a user needs the Teams bot, which is not configured: set the TeamsBotAppId, TeamsBotTenantId and TeamsBotAppSecret parameters (see the README, Teams bot)";

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
    /// A proactive 1:1 message from the Bot Framework bot (`user`).
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
        Err(HitlError::Config(NO_BOT.into()))
    }
}

/// A card's fact: a title and its value, shown as a two-column list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub title: String,
    pub value: String,
}

/// What the Teams use cases say, rendered for Teams and for the approvers' mailboxes.
pub trait TeamsFormat: Send + Sync {
    /// The card asking in the webhook's channel or chat (its size checked): buttons opening
    /// the shared links, or, with named approvers, who may decide.
    fn request_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
    ) -> Result<TeamsMessage, HitlError>;
    /// The card with one person's personal links, for their 1:1 chat with the bot.
    fn personal_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
        personal: &RecipientLinks,
    ) -> Result<TeamsMessage, HitlError>;
    /// The emails that carry each named approver's personal links, from `from`.
    fn approver_emails(
        &self,
        links: &CreateLinksOutput,
        from: &str,
    ) -> Result<Vec<OutgoingEmail>, HitlError>;
}

/// Where the bot sends a card: a conversation it is installed in (a channel, by its
/// conversation id `19:…@thread.tacv2`, or a group chat, `19:…@thread.v2`), or one person's
/// 1:1 chat with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotConversation {
    Conversation(String),
    User(TeamsUser),
}

/// A card the bot posted: where it landed, and the card as posted, which the bot may have
/// adapted to the conversation (`refresh.userIds` as its members' Teams user ids). This is the
/// card kept: a refresh answers it, the outcome card is made from it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentCard {
    pub message: MessageRef,
    pub card: Value,
}

/// The Bot Framework bot as the approval use cases need it (`saas_adapters::teams::bot`):
/// people resolved to their Entra identity, cards sent and brought up to date. A card's
/// [`MessageRef`] is its conversation id (`channel`) and activity id (`ts`).
#[async_trait]
pub trait TeamsBot: Send + Sync {
    /// The person named by `who` (an email address, a user principal name, or an Entra object
    /// id), in the bot's tenant (`Teams.UserNotFound` when there is none).
    async fn resolve_user(&self, who: &str) -> Result<TeamsUser, HitlError>;
    /// Sends `card` (an Adaptive Card, not its envelope) as the bot: where it landed, and
    /// the card as posted.
    async fn send_card(&self, to: &BotConversation, card: &Value) -> Result<SentCard, HitlError>;
    /// Replaces the card at `message` (the Bot Connector's `updateActivity`).
    async fn update_card(&self, message: &MessageRef, card: &Value) -> Result<(), HitlError>;
}

/// Why a card action changes nothing (each is answered with a card that says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardRefusal {
    /// The clicker is not one of the request's approvers.
    NotAllowed,
    /// Someone decided already (the recorded decision, shown).
    AlreadyDecided,
    /// The request expired before the click.
    Expired,
    /// The card was not sent by this bot for this request (unknown request, or another
    /// conversation or message than the one the bot sent it to).
    UnknownCard,
    /// A request with a quorum: the clicker voted already (their vote, shown); it stands.
    AlreadyVoted,
    /// A request with a quorum: the clicker asked for it (`requestedBy`) and does not vote.
    Requester,
    /// A request with a quorum: the clicker's slot was filled by an escalation target's vote.
    SlotFilled,
    /// A request with a quorum: every slot the clicker could fill has a vote already.
    NoSlotLeft,
}

/// What the bot's cards say, rendered as Adaptive Cards 1.4 with `Action.Execute`
/// (Universal Actions), implemented in `channels::teams`.
pub trait TeamsBotFormat: Send + Sync {
    /// The card asking: the request's title, text and facts, one `Action.Execute` per choice
    /// (verb `decide`, data `{approvalId, value}`), the follow-up question as inputs, and a
    /// `refresh` for `refresh_for` (the approvers' object ids, at most 60) so each sees the
    /// card as it is for them. `follow_up` is the request's question (the record's; the links
    /// do not carry it).
    fn bot_request_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
        follow_up: Option<&FollowUp>,
        refresh_for: &[TeamsUser],
    ) -> Result<Value, HitlError>;
    /// `shown` (the card as sent) without its actions and inputs, ending with `line` (who
    /// decided, or that it expired): what everyone sees once the outcome is final.
    fn bot_outcome_card(&self, shown: &Value, line: &str) -> Value;
    /// The outcome card of a request with a quorum: [`Self::bot_outcome_card`], then one line
    /// per vote (`votes`: who, what, when, where), as plain text.
    fn bot_votes_card(&self, shown: &Value, line: &str, votes: &[String]) -> Value;
    /// `shown` as it is, buttons kept, with `line` (the progress of a request with a quorum)
    /// at the end, in place of an earlier progress line: the card everyone sees while it is
    /// open.
    fn bot_progress_card(&self, shown: &Value, line: &str) -> Value;
    /// `shown` as it is, with a notice on top saying why `refusal` changed nothing; a bare
    /// card saying so when the card is unknown.
    fn bot_refusal_card(&self, shown: Option<&Value>, refusal: &CardRefusal) -> Value;
}
