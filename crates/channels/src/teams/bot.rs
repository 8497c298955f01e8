//! Teams to one person, by email address (`user`): a proactive 1:1 message from a Bot Framework
//! bot, the delivery path that works on real tenants (Graph refuses app-only chat posts; a
//! Workflows webhook is bound to one channel or chat). The adapter resolves the address to the
//! person's Entra object id, opens (or finds) the bot's 1:1 conversation with them and posts the
//! message there; see `saas_adapters::teams_bot`.
//!
//! Request Action to a `user`: the card's buttons are the same signed, scanner-safe
//! `Action.OpenUrl` links as everywhere, and since the 1:1 chat reaches only that person they
//! are **personal links bound to them** (approver index 0), as an email approver's are: the
//! decision is recorded as that address, `decidedBy.verified: true`. `user` and `approvers`
//! together are refused: the card reaches only `user`, so other approvers would never see it
//! (ask them with `approvers` alone, by email, or in a Task of their own).

use serde_json::{json, Value};

use super::buttons::link_actions;
use super::card::{adaptive_card, open_url_action};
use approvals::approval::normalize_email;
use approvals::ports::Fact;
/// Why a `user` cannot be reached when the deployment has no bot (`Hitl.Config`).
pub use approvals::ports::NO_BOT;
/// What marks a card as sent to a person's 1:1 chat, so a retry does not post it again.
pub use approvals::use_cases::teams::BOT_MESSAGE_TS;
use approvals::{HitlError, RecipientLinks};

/// `user`: absent, null, or one email address (normalized).
pub fn parse_user(user: Option<&Value>) -> Result<Option<String>, HitlError> {
    match user {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(address)) => normalize_email(address)
            .map(Some)
            .map_err(|_| HitlError::invalid_input(format!(
                "user must be the email address of a person in your Microsoft 365 tenant (e.g. \"alice@corp.com\"), not {address:?}"
            ))),
        Some(_) => Err(HitlError::invalid_input(
            "user must be one email address (a string such as \"alice@corp.com\")",
        )),
    }
}

/// The approvers of a request to `user`: that person alone. `user` with `approvers` is refused
/// (the 1:1 card reaches only `user`).
pub fn approvers_with_user(
    user: Option<&str>,
    approvers: Option<Vec<String>>,
) -> Result<Option<Vec<String>>, HitlError> {
    match (user, approvers) {
        (Some(_), Some(_)) => Err(HitlError::invalid_input(
            "give either user or approvers, not both: a card sent to user reaches only that person's 1:1 chat, so other approvers would never see it (use approvers alone to ask several people by email, or one Task per person)",
        )),
        (Some(user), None) => Ok(Some(vec![user.to_string()])),
        (None, approvers) => Ok(approvers),
    }
}

/// The card sent to one person: title, text, facts, and the buttons (the request's own, or
/// Approve / Reject), each opening a personal link bound to them.
pub fn personal_approval_card(
    title: &str,
    text: Option<&str>,
    facts: &[Fact],
    personal: &RecipientLinks,
    expires_at: &str,
) -> Value {
    let mut body = super::card::request_head(title, text, facts);
    body.push(json!({
        "type": "TextBlock",
        "text": format!("You were asked personally: these buttons decide as you. The links expire at {expires_at}."),
        "wrap": true,
        "isSubtle": true,
        "size": "small",
    }));
    let actions = if personal.buttons.is_empty() {
        vec![
            open_url_action("Approve", &personal.approve_url, "positive"),
            open_url_action("Reject", &personal.reject_url, "destructive"),
        ]
    } else {
        link_actions(&personal.buttons)
    };
    adaptive_card(body, actions)
}

#[cfg(test)]
#[path = "tests/bot.rs"]
mod tests;
