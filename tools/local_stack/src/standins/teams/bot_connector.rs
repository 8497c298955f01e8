//! The Bot Connector for Teams (`{serviceUrl}/v3/...`), its proactive 1:1 messaging as Teams
//! answers it (status codes and error codes of "Status codes from bot conversational APIs"):
//!
//! - Every call needs a Bot Connector token (scope `https://api.botframework.com/.default`):
//!   none, an unknown one or a Graph token is 401 `{"message": "Authorization has been denied
//!   for this request."}`.
//! - `POST /v3/conversations`: `isGroup` false or absent (Teams' own example leaves it out),
//!   exactly one member (the person's Entra object id), the bot's tenant (`tenantId` or
//!   `channelData.tenant.id`) and, if given, `bot.id` `28:{appId}`; else 400 `BadSyntax` /
//!   `BadArgument`, or 403 for another tenant. A person the app is not installed for: 403
//!   `Forbidden` ("ForbiddenOperationException"). Else 201 `{"id": "a:…"}`, the same id for the
//!   same person every time.
//! - `POST /v3/conversations/{id}/activities`: an unknown conversation is 404
//!   `ConversationNotFound`; a body over 100 KB 413 `MessageSizeTooBig`; an activity that is not
//!   a `message` with text or Adaptive Card attachments (version 1.5 at most) 400 `BadArgument`;
//!   the app removed since 403 `MessageWritesBlocked`; a forced rate limit 429 `Throttled`
//!   with `Retry-After`. Else 201 `{"id"}`, and the message is in the Teams snapshot
//!   (`"via": "bot"`, `"where": {"user", "conversationId"}`).

use std::sync::Arc;

use anyhow::anyhow;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::bot::{bearer_in, bot_of, Bot};
use super::webhook::CARD_CONTENT_TYPE;
use super::{now_rfc3339, TeamsStandIn};

/// What Teams takes in one bot message (the request body).
pub const MAX_BOT_MESSAGE_BYTES: usize = 100 * 1024;

fn connector_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn denied() -> Response {
    let body = json!({"message": "Authorization has been denied for this request."});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// The bot, if the request carries one of its Bot Connector tokens.
fn authorized<'a>(teams: &'a TeamsStandIn, headers: &HeaderMap) -> Result<&'a Bot, Box<Response>> {
    let bot = bot_of(teams)?;
    match bearer_in(headers, &bot.connector_tokens) {
        true => Ok(bot),
        false => Err(Box::new(denied())),
    }
}

/// Why a 1:1 conversation request is refused, if it is; else the member's object id.
fn conversation_member(bot: &Bot, request: &Value) -> Result<String, Box<Response>> {
    let (app_id, tenant_id) = {
        let c = bot.config.lock().unwrap();
        (c.app_id.clone(), c.tenant_id.clone())
    };
    let bad =
        |code: &str, text: &str| Box::new(connector_error(StatusCode::BAD_REQUEST, code, text));
    let forbidden =
        |text: &str| Box::new(connector_error(StatusCode::FORBIDDEN, "Forbidden", text));
    let members = request["members"].as_array().cloned().unwrap_or_default();
    if request["isGroup"] == true || members.len() != 1 {
        return Err(bad(
            "BadSyntax",
            "Incorrect conversation creation parameters",
        ));
    }
    let tenant = request["tenantId"]
        .as_str()
        .or(request["channelData"]["tenant"]["id"].as_str());
    match tenant {
        None => {
            return Err(bad(
                "BadArgument",
                "A tenant id is required to create a conversation in Teams",
            ))
        }
        Some(t) if t != tenant_id => {
            return Err(forbidden("The bot is not registered in this tenant"))
        }
        Some(_) => {}
    }
    if let Some(bot_id) = request["bot"]["id"].as_str() {
        if bot_id != format!("28:{app_id}") && bot_id != app_id {
            return Err(bad(
                "BadArgument",
                "The bot id does not match the bot of the token",
            ));
        }
    }
    let member = members[0]["id"].as_str().unwrap_or_default();
    let Some(user) = bot.user(member, false).filter(|u| u.object_id == member) else {
        return Err(bad(
            "BadArgument",
            "Invalid user identity in provided tenant",
        ));
    };
    if !user.installed {
        return Err(forbidden("ForbiddenOperationException: The bot is not installed for this user in personal scope. Install the app for the user before sending proactive messages."));
    }
    Ok(user.object_id)
}

pub(super) async fn create_conversation(
    State(teams): State<Arc<TeamsStandIn>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bot = match authorized(&teams, &headers) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return connector_error(StatusCode::BAD_REQUEST, "BadSyntax", "The body is not JSON");
    };
    let object_id = match conversation_member(bot, &request) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    // One 1:1 conversation per person: the same id every time.
    let id = format!("a:1{}", object_id.replace('-', ""));
    bot.conversations
        .lock()
        .unwrap()
        .insert(id.clone(), object_id);
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

/// The cards (or the text) of an activity, or why it is refused.
fn activity_contents(activity: &Value) -> anyhow::Result<(Option<Value>, Option<String>)> {
    if activity["type"] != "message" {
        return Err(anyhow!("the activity's type must be message"));
    }
    let attachments = activity["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(first) = attachments.first() {
        if first["contentType"] != CARD_CONTENT_TYPE || first["content"]["type"] != "AdaptiveCard" {
            return Err(anyhow!(
                "attachments[0] must be an Adaptive Card ({CARD_CONTENT_TYPE})"
            ));
        }
        let version = first["content"]["version"].as_str().unwrap_or("1.0");
        let parsed = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        if !matches!(parsed, Some(v) if v <= (1, 5)) {
            return Err(anyhow!(
                "Adaptive Card version {version} is not supported (1.5 at most)"
            ));
        }
        return Ok((Some(first["content"].clone()), None));
    }
    match activity["text"].as_str().filter(|t| !t.trim().is_empty()) {
        Some(text) => Ok((None, Some(text.to_string()))),
        None => Err(anyhow!("the message has no text and no attachment")),
    }
}

/// The connector's answer at its rate limit, with the seconds to wait.
fn throttled(retry_after: u64) -> Response {
    let mut response = connector_error(
        StatusCode::TOO_MANY_REQUESTS,
        "Throttled",
        "Too many requests.",
    );
    response
        .headers_mut()
        .insert("retry-after", retry_after.into());
    response
}

/// The connector's answer when the user is unknown or has not installed the bot: not its
/// usual error shape, but this one, with the details as a JSON string.
fn writes_blocked() -> Response {
    let blocked = json!({"errorCode": 209, "message": "{\r\n  \"subCode\": \"MessageWritesBlocked\",\r\n  \"details\": \"Thread is blocked from message writes.\"\r\n}"});
    (StatusCode::FORBIDDEN, Json(blocked)).into_response()
}

pub(super) async fn send_activity(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(conversation_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bot = match authorized(&teams, &headers) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    let Some(object_id) = bot
        .conversations
        .lock()
        .unwrap()
        .get(&conversation_id)
        .cloned()
    else {
        return connector_error(
            StatusCode::NOT_FOUND,
            "ConversationNotFound",
            "Conversation not found.",
        );
    };
    let mut data = teams.data.lock().unwrap();
    if let Some(retry_after) = data.forced_rate_limit() {
        return throttled(retry_after);
    }
    if body.len() > MAX_BOT_MESSAGE_BYTES {
        return connector_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "MessageSizeTooBig",
            "Message size too large.",
        );
    }
    let user = match bot.user(&object_id, false) {
        Some(user) if user.installed => user,
        _ => return writes_blocked(),
    };
    let activity: Value = serde_json::from_slice(&body).unwrap_or_default();
    let (card, text) = match activity_contents(&activity) {
        Ok(contents) => contents,
        Err(problem) => {
            return connector_error(StatusCode::BAD_REQUEST, "BadArgument", &problem.to_string())
        }
    };
    let id = data.next_id();
    data.messages.push(json!({
        "id": id,
        "via": "bot",
        "where": {"user": user.mail, "conversationId": conversation_id},
        "receivedAt": now_rfc3339(),
        "card": card,
        "text": text,
    }));
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}
