//! What the bot's messaging endpoint reads from an activity Teams sent (after its Bot
//! Framework token verified: `saas_adapters::teams::bot_auth`): a click on one of our cards'
//! `Action.Execute` buttons or a card refresh (an `invoke` named `adaptiveCard/action`), or
//! the bot being added to a conversation (a `conversationUpdate`, whose conversation id an
//! operator puts in `conversationId`). Every other activity is none of our business.
//!
//! Inputs are strict: a malformed action of ours is refused naming the field
//! (`Hitl.InvalidInput`), never guessed at and never a panic. The tenant is not read from the
//! activity: the caller passes the one its verification established.

use serde_json::{json, Map, Value};

use super::card::CARD_CONTENT_TYPE;
use super::universal::{DECIDE_VERB, REFRESH_VERB};
use approvals::ids::{plausible_approval_id, MAX_APPROVAL_ID_CHARS};
use approvals::use_cases::teams_card::{CardAction, CardVerb};
use approvals::{ApprovalId, HitlError, TeamsUser};

/// The invoke that carries a Universal Actions click or refresh.
pub const CARD_ACTION_INVOKE: &str = "adaptiveCard/action";
/// Our approval ids: 1 to 64 ASCII letters, digits, `-`, `_`, `.` (as
/// `lambda_kit::correlation::plausible_approval_id` checks them).
/// A button value (the longest a request may have: a link value's 64).
const MAX_VALUE_CHARS: usize = 64;
/// The longest display name taken from `from.name`.
const MAX_NAME_CHARS: usize = 256;
/// Teams conversation and activity ids run to a couple of hundred characters.
const MAX_ID_CHARS: usize = 1024;

/// The card action in `activity`, for the verified `tenant_id`; `None` for an activity that is
/// not an `adaptiveCard/action` invoke (a message, a `conversationUpdate`, another invoke).
pub fn parse_card_action(
    activity: &Value,
    tenant_id: &str,
) -> Result<Option<CardAction>, HitlError> {
    if activity.get("type").and_then(Value::as_str) != Some("invoke")
        || activity.get("name").and_then(Value::as_str) != Some(CARD_ACTION_INVOKE)
    {
        return Ok(None);
    }
    let action = object_at(activity, "/value/action", "value.action")?;
    if action.get("type").and_then(Value::as_str) != Some("Action.Execute") {
        return Err(invalid("value.action.type must be \"Action.Execute\""));
    }
    let data = match action.get("data") {
        Some(Value::Object(data)) => data,
        _ => return Err(invalid("value.action.data must be an object")),
    };
    let approval_id = approval_id(data)?;
    let verb = verb(action, data)?;
    let inputs: Map<String, Value> = data
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "approvalId" | "value"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(Some(CardAction {
        approval_id,
        verb,
        inputs,
        user: clicker(activity, tenant_id)?,
        conversation_id: text_at(
            activity,
            "/conversation/id",
            "conversation.id",
            MAX_ID_CHARS,
        )?,
        card_activity_id: optional_text(activity, "replyToId", MAX_ID_CHARS)?,
    }))
}

/// The HTTP body answering an `adaptiveCard/action` invoke with `card`: the card the clicker
/// sees in place of the one clicked.
pub fn invoke_response(card: &Value) -> Value {
    json!({"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card})
}

/// The conversation the bot was just added to (its id and `conversationType`: `channel`,
/// `groupChat` or `personal`), when `activity` is a `conversationUpdate` whose `membersAdded`
/// holds the bot (the activity's `recipient`); `None` for anything else.
pub fn conversation_installed(activity: &Value) -> Option<(String, String)> {
    if activity.get("type").and_then(Value::as_str) != Some("conversationUpdate") {
        return None;
    }
    let bot = activity.pointer("/recipient/id").and_then(Value::as_str)?;
    let added = activity.get("membersAdded").and_then(Value::as_array)?;
    if !added
        .iter()
        .any(|m| m.get("id").and_then(Value::as_str) == Some(bot))
    {
        return None;
    }
    let id = activity
        .pointer("/conversation/id")
        .and_then(Value::as_str)?;
    if id.is_empty() {
        return None;
    }
    let kind = activity
        .pointer("/conversation/conversationType")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    Some((id.to_string(), kind.to_string()))
}

fn verb(action: &Map<String, Value>, data: &Map<String, Value>) -> Result<CardVerb, HitlError> {
    match action.get("verb").and_then(Value::as_str) {
        Some(DECIDE_VERB) => match data.get("value") {
            Some(Value::String(value))
                if !value.is_empty() && value.chars().count() <= MAX_VALUE_CHARS =>
            {
                Ok(CardVerb::Decide {
                    value: value.clone(),
                })
            }
            _ => Err(invalid(format!(
                "value.action.data.value must be the button's value (1 to {MAX_VALUE_CHARS} characters) for verb \"{DECIDE_VERB}\""
            ))),
        },
        Some(REFRESH_VERB) => Ok(CardVerb::Refresh),
        _ => Err(invalid(format!(
            "value.action.verb must be \"{DECIDE_VERB}\" or \"{REFRESH_VERB}\""
        ))),
    }
}

fn approval_id(data: &Map<String, Value>) -> Result<ApprovalId, HitlError> {
    match data.get("approvalId").and_then(Value::as_str) {
        Some(id) if plausible_approval_id(id) => Ok(ApprovalId::from(id.to_string())),
        _ => Err(invalid(format!(
            "value.action.data.approvalId must be an approval id (1 to {MAX_APPROVAL_ID_CHARS} letters, digits, '-', '_' or '.')"
        ))),
    }
}

/// Who clicked: `from.aadObjectId` (required: a click we cannot tie to a person decides
/// nothing), `from.name` (the object id when Teams sends none), in the verified tenant.
fn clicker(activity: &Value, tenant_id: &str) -> Result<TeamsUser, HitlError> {
    let object_id = match activity
        .pointer("/from/aadObjectId")
        .and_then(Value::as_str)
    {
        // A GUID, as Entra object ids are: never `link` or anything else that could read as
        // an unverified decider.
        Some(id) if super::input::is_object_id(id) => id.to_string(),
        _ => {
            return Err(invalid(
                "from.aadObjectId must be the clicker's Entra object id",
            ))
        }
    };
    let name = match activity.pointer("/from/name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if name.chars().count() <= MAX_NAME_CHARS => Some(name.trim())
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        Some(_) => {
            return Err(invalid(format!(
                "from.name must be a name of at most {MAX_NAME_CHARS} characters"
            )))
        }
    };
    Ok(TeamsUser {
        name: name.unwrap_or_else(|| object_id.clone()),
        object_id,
        user_principal_name: None,
        tenant_id: tenant_id.to_string(),
    })
}

fn object_at<'a>(
    activity: &'a Value,
    pointer: &str,
    field: &str,
) -> Result<&'a Map<String, Value>, HitlError> {
    match activity.pointer(pointer) {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(invalid(format!("{field} must be an object"))),
    }
}

fn text_at(activity: &Value, pointer: &str, field: &str, max: usize) -> Result<String, HitlError> {
    match activity.pointer(pointer).and_then(Value::as_str) {
        Some(text) if !text.is_empty() && text.len() <= max => Ok(text.to_string()),
        _ => Err(invalid(format!(
            "{field} must be a non-empty string of at most {max} bytes"
        ))),
    }
}

fn optional_text(activity: &Value, key: &str, max: usize) -> Result<Option<String>, HitlError> {
    match activity.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) if text.len() <= max => Ok(Some(text.clone())),
        Some(_) => Err(invalid(format!(
            "{key} must be a string of at most {max} bytes"
        ))),
    }
}

fn invalid(message: impl Into<String>) -> HitlError {
    HitlError::invalid_input(format!("Teams card action: {}", message.into()))
}
