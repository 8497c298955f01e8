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
//! - `POST /v3/conversations/{id}/activities` (a 1:1 chat, or a channel or group chat of
//!   [`super::conversations`]): an unknown conversation is 404 `ConversationNotFound`; a body
//!   over 100 KB 413 `MessageSizeTooBig` (Teams' current bot message limit; 28 KB is the
//!   webhook's); an activity that is not a `message` with text or Adaptive Card attachments
//!   (version 1.5 at most) 400 `BadArgument`; a 1:1 chat whose person removed the app 403
//!   `MessageWritesBlocked`, a channel or group chat the bot is not in 403
//!   `BotNotInConversationRoster`; a forced rate limit 429 `Throttled` with `Retry-After`.
//!   Else 201 `{"id"}`, and the message is in the Teams snapshot (`"via": "bot"`, `"where":
//!   {"conversationId", "conversationType", "name", "user" (1:1)}`, `"updates": 0`).
//! - A channel's conversation id may name one of its threads (`…;messageid=<root id>`, as
//!   Teams sends it in activities from a thread): the message is the channel's.
//! - `PUT /v3/conversations/{id}/activities/{activityId}`: the same checks, and 404
//!   `ActivityNotFound` for an activity the bot did not send there; else 200 `{"id"}`, the
//!   snapshot's card is the new one (`"updates"` counts them).

use std::sync::Arc;

use anyhow::anyhow;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::bot::{bearer_in, bot_of, Bot};
use super::conversations::{Conversation, ConversationType};
use super::webhook::CARD_CONTENT_TYPE;
use super::{now_rfc3339, TeamsStandIn};

/// What Teams takes in one bot message (the request body).
pub const MAX_BOT_MESSAGE_BYTES: usize = 100 * 1024;

pub(super) fn connector_error(status: StatusCode, code: &str, message: &str) -> Response {
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
pub(super) fn authorized<'a>(
    teams: &'a TeamsStandIn,
    headers: &HeaderMap,
) -> Result<&'a Bot, Box<Response>> {
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
    let name = bot
        .user(&object_id, false)
        .map(|u| u.mail)
        .unwrap_or_default();
    let conversation = Conversation {
        id: id.clone(),
        kind: ConversationType::Personal,
        name,
        members: vec![object_id],
        bot_installed: true,
    };
    bot.conversations
        .lock()
        .unwrap()
        .insert(id.clone(), conversation);
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
    for (i, attachment) in attachments.iter().enumerate() {
        if attachment["contentType"] != CARD_CONTENT_TYPE
            || attachment["content"]["type"] != "AdaptiveCard"
        {
            return Err(anyhow!(
                "attachments[{i}] must be an Adaptive Card ({CARD_CONTENT_TYPE})"
            ));
        }
        let version = attachment["content"]["version"].as_str().unwrap_or("1.0");
        let parsed = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        if !matches!(parsed, Some(v) if v <= (1, 5)) {
            return Err(anyhow!(
                "Adaptive Card version {version} is not supported (1.5 at most)"
            ));
        }
    }
    if let Some(first) = attachments.first() {
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

/// Why the bot may not write to the conversation `id` now, if it may not; else the
/// conversation and, for a 1:1 chat, its person's mail.
fn writable(bot: &Bot, id: &str) -> Result<(Conversation, Option<String>), Box<Response>> {
    let Some(conversation) = bot.conversation(id) else {
        return Err(Box::new(connector_error(
            StatusCode::NOT_FOUND,
            "ConversationNotFound",
            "Conversation not found.",
        )));
    };
    if conversation.kind != ConversationType::Personal {
        if !conversation.bot_installed {
            return Err(Box::new(connector_error(
                StatusCode::FORBIDDEN,
                "BotNotInConversationRoster",
                "The bot is not part of the conversation roster.",
            )));
        }
        return Ok((conversation, None));
    }
    let member = conversation.members.first().cloned().unwrap_or_default();
    match bot.user(&member, false) {
        Some(user) if user.installed => Ok((conversation, Some(user.mail))),
        _ => Err(Box::new(writes_blocked())),
    }
}

/// The card (or text) of a request body the connector takes, or its refusal.
fn checked_body(body: &[u8]) -> Result<(Option<Value>, Option<String>), Box<Response>> {
    if body.len() > MAX_BOT_MESSAGE_BYTES {
        return Err(Box::new(connector_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "MessageSizeTooBig",
            "Message size too large.",
        )));
    }
    let activity: Value = serde_json::from_slice(body).unwrap_or_default();
    activity_contents(&activity).map_err(|problem| {
        Box::new(connector_error(
            StatusCode::BAD_REQUEST,
            "BadArgument",
            &problem.to_string(),
        ))
    })
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
    let (conversation, user) = match writable(bot, &conversation_id) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let mut data = teams.data.lock().unwrap();
    if let Some(retry_after) = data.forced_rate_limit() {
        return throttled(retry_after);
    }
    let (card, text) = match checked_body(&body) {
        Ok(contents) => contents,
        Err(response) => return *response,
    };
    let id = data.next_id();
    let mut place = json!({"conversationId": conversation.id,
        "conversationType": conversation.kind.as_str(), "name": conversation.name});
    if let Some(mail) = user {
        place["user"] = json!(mail);
    }
    data.messages.push(json!({
        "id": id,
        "via": "bot",
        "where": place,
        "receivedAt": now_rfc3339(),
        "card": card,
        "text": text,
        "updates": 0,
    }));
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

/// `PUT /v3/conversations/{id}/activities/{activityId}`: the bot replaces its message.
pub(super) async fn update_activity(
    State(teams): State<Arc<TeamsStandIn>>,
    Path((conversation_id, activity_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bot = match authorized(&teams, &headers) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    let conversation = match writable(bot, &conversation_id) {
        Ok((conversation, _)) => conversation,
        Err(response) => return *response,
    };
    let mut data = teams.data.lock().unwrap();
    if let Some(retry_after) = data.forced_rate_limit() {
        return throttled(retry_after);
    }
    let (card, text) = match checked_body(&body) {
        Ok(contents) => contents,
        Err(response) => return *response,
    };
    let Some(message) = data.messages.iter_mut().find(|m| {
        m["via"] == "bot"
            && m["id"] == activity_id
            && m["where"]["conversationId"] == conversation.id
    }) else {
        return connector_error(
            StatusCode::NOT_FOUND,
            "ActivityNotFound",
            "The activity was not found in this conversation.",
        );
    };
    message["card"] = json!(card);
    message["text"] = json!(text);
    message["updatedAt"] = json!(now_rfc3339());
    message["updates"] = json!(message["updates"].as_u64().unwrap_or(0) + 1);
    (StatusCode::OK, Json(json!({"id": activity_id}))).into_response()
}
