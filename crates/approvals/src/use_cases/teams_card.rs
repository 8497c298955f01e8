//! Deciding inside Teams: a card the bot sent carries `Action.Execute` buttons, and Teams sends
//! each click to the bot's messaging endpoint as an `adaptiveCard/action` invoke, signed by the
//! Bot Framework. The endpoint verifies the token (`saas_adapters::teams::bot_auth`), reads the
//! action (`channels::teams`) and hands it here as a [`CardAction`]: who clicked is known, so
//! a decision made here is recorded as that person, verified.

use serde_json::{Map, Value};

use crate::{ApprovalId, TeamsUser};

/// What a card action asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardVerb {
    /// A choice button (verb `decide`): the button's value.
    Decide { value: String },
    /// Teams asking for the card as this user should see it now (verb `refresh`: an approver
    /// opening the conversation, or the card's own refresh).
    Refresh,
}

/// One verified card action: the Bot Framework token checked (signature, issuer, audience,
/// expiry, service URL, our tenant) before it is built.
#[derive(Debug, Clone, PartialEq)]
pub struct CardAction {
    /// The request the card asks about (the action's `data.approvalId`).
    pub approval_id: ApprovalId,
    pub verb: CardVerb,
    /// The card's input values by input id (the follow-up question's answer, when asked).
    pub inputs: Map<String, Value>,
    /// Who clicked: `from.aadObjectId`, `from.name`, the conversation's tenant.
    pub user: TeamsUser,
    /// The conversation the card is in (`conversation.id`).
    pub conversation_id: String,
    /// The card's activity id (`replyToId`), when Teams sends it.
    pub card_activity_id: Option<String>,
}
