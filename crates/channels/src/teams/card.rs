//! The Adaptive Cards we post (version 1.4, the highest a Workflows webhook renders), the
//! webhook envelope, and Teams' limits (28 KB per message, no `Action.Submit`).

use serde_json::{json, Value};

use super::{Fact, TeamsMessage};
use approvals::approval::MAX_DESCRIPTION_CHARS;
use approvals::ButtonLink;
use approvals::{HitlError, Retry};

/// Teams refuses messages over about 28 KB (webhooks answer 413); we check the webhook
/// envelope's serialized size before sending.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
pub const MAX_FACTS: usize = 20;
pub const MAX_FACT_TITLE_CHARS: usize = 200;
pub const MAX_FACT_VALUE_CHARS: usize = 2000;
/// A notification's text (the card's or the plain message's).
pub const MAX_TEXT_CHARS: usize = MAX_DESCRIPTION_CHARS;
/// The Adaptive Card version we write, and the highest we accept: Workflows webhooks render 1.4.
pub const CARD_VERSION: &str = "1.4";
pub const CARD_SCHEMA: &str = "http://adaptivecards.io/schemas/adaptive-card.json";
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// Actions that need a bot to receive them; a Workflows webhook card cannot.
const UNSUPPORTED_ACTIONS: [&str; 2] = ["Action.Submit", "Action.Execute"];

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

/// What every request card opens with, whoever sends it: the bold title, the text, the facts.
pub(crate) fn request_head(title: &str, text: Option<&str>, facts: &[Fact]) -> Vec<Value> {
    let mut body = vec![title_block(title)];
    if let Some(text) = text {
        body.push(text_block(text));
    }
    if !facts.is_empty() {
        let facts: Vec<Value> = facts
            .iter()
            .map(|f| json!({"title": f.title, "value": f.value}))
            .collect();
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    body
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

/// How the people who see a card can decide.
pub enum Deciders<'a> {
    /// Anyone who sees the card, through its buttons (shared links: Approve / Reject, or the
    /// request's own buttons), each an `Action.OpenUrl` in its style.
    Anyone(&'a [ButtonLink]),
    /// Only the named approvers, each through the personal link sent to them by email: the
    /// card has no buttons, since a webhook card cannot tell who clicks it.
    Named(&'a [String]),
}

/// The card of Request Action: title, text, facts, and buttons that open the signed links
/// (which only show a confirmation page), or who may decide.
pub fn approval_card(
    title: &str,
    text: Option<&str>,
    facts: &[Fact],
    deciders: Deciders<'_>,
    expires_at: &str,
) -> Value {
    let mut body = request_head(title, text, facts);
    let (note, actions) = match deciders {
        Deciders::Anyone(buttons) => (
            format!("Anyone who can see this card may decide. The links expire at {expires_at}."),
            super::buttons::link_actions(buttons),
        ),
        Deciders::Named(approvers) => (
            format!(
                "Only {} may decide, each with the personal link sent to them by email. The links expire at {expires_at}.",
                approvers.join(", ")
            ),
            Vec::new(),
        ),
    };
    body.push(json!({
        "type": "TextBlock",
        "text": note,
        "wrap": true,
        "isSubtle": true,
        "size": "small",
    }));
    adaptive_card(body, actions)
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

/// A card Teams would refuse, refused before it is sent under the name the Teams adapter
/// gives Teams' own refusal (`saas_adapters::teams::TeamsErrorKind::InvalidMessage`), so one
/// `Catch` handles both. These are Teams' format rules, which this crate owns.
fn invalid_message(message: impl Into<String>) -> HitlError {
    HitlError::failed_dependency("Teams.InvalidMessage", message, Retry::Never)
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
