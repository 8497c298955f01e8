//! The Teams port: a Workflows webhook bound to one channel or chat, and the Bot Framework bot
//! for one person (`saas_adapters::teams`); and [`TeamsFormat`], what the Teams use cases need
//! rendered (Adaptive Cards, the approvers' emails), implemented in `channels::teams`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::OutgoingEmail;
use crate::{CreateLinksOutput, HitlError, RecipientLinks};

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
