//! The Bot Framework toward our bot: its OpenID metadata and signing keys, and the signed
//! `adaptiveCard/action` invoke Teams sends when a person clicks an `Action.Execute` button
//! of a card the bot sent (or when Teams refreshes the card for a person `refresh.userIds`
//! lists).
//!
//! - `GET /bot/openid/v1/.well-known/openidconfiguration`: `{"issuer":
//!   "https://api.botframework.com", "jwks_uri", "id_token_signing_alg_values_supported":
//!   ["RS256"], …}`; `GET /bot/openid/v1/.well-known/keys`: the JWKS (one RSA key, `kid`,
//!   `endorsements: ["msteams"]`).
//! - `POST /_control/click {"user": email | sign-in name | object id, "conversationId",
//!   "activityId", "action"?: a button's title on the card as the user sees it, "verb"?,
//!   "data"?: {...}, "inputs"?: {inputId: value}, "token"?: "valid" | "other-key" |
//!   "other-audience" | "expired" | "other-tenant" | "none", "trigger"?: "manual" |
//!   "automatic"}`: the invoke goes to the bot's messaging endpoint signed as `token` says;
//!   answered `{"status", "body", "activity", "authorization"}` (what the endpoint answered,
//!   what was sent). `action` takes the button's verb and data from the card; `verb:
//!   "refresh"` without `data` takes the card's `refresh.action`; `inputs` are merged into the
//!   data as Teams merges a card's input values. A card the endpoint answers becomes what this
//!   person sees of the message (the page shows it). 404 for an unknown conversation or
//!   activity, 403 for a user who is not in the conversation, 409 for a button the card does
//!   not show.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::bot::{bot_of, BotConfig, BotUser, JWKS_PATH};
use super::conversations::{teams_user_id, Conversation, ConversationType};
use super::signing::{BotSigner, TokenVariant};
use super::TeamsStandIn;

/// The tenant of the person who clicks with `"token": "other-tenant"`.
pub const OTHER_TENANT_ID: &str = "0e7e0a11-0000-4000-8000-00000000f00d";
/// Where Teams writes the card an invoke answers with (the endpoint's `type`).
pub const CARD_RESPONSE_TYPE: &str = "application/vnd.microsoft.card.adaptive";

pub(super) async fn openid_configuration(State(teams): State<Arc<TeamsStandIn>>) -> Response {
    match bot_of(&teams) {
        Ok(bot) => {
            let base = bot.config.lock().unwrap().public_url.clone();
            Json(BotSigner::openid_metadata(&format!("{base}{JWKS_PATH}"))).into_response()
        }
        Err(response) => *response,
    }
}

pub(super) async fn keys(State(teams): State<Arc<TeamsStandIn>>) -> Response {
    match bot_of(&teams) {
        Ok(bot) => Json(bot.signer.jwks()).into_response(),
        Err(response) => *response,
    }
}

/// A click (or a refresh) by a person, as the control call describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClickRequest {
    pub user: String,
    pub conversation_id: String,
    pub activity_id: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub verb: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub inputs: Map<String, Value>,
    #[serde(default)]
    pub token: TokenVariant,
    #[serde(default)]
    pub trigger: Option<String>,
}

/// What the messaging endpoint answered, and what was sent to it.
#[derive(Debug, Clone)]
pub struct ClickAnswer {
    pub status: u16,
    pub body: Value,
    pub activity: Value,
    pub authorization: Option<String>,
}

impl ClickAnswer {
    pub fn to_json(&self) -> Value {
        json!({"status": self.status, "body": self.body, "activity": self.activity,
            "authorization": self.authorization})
    }

    /// The card the endpoint answered with, if it answered one.
    pub fn card(&self) -> Option<&Value> {
        (self.status == 200 && self.body["type"] == CARD_RESPONSE_TYPE)
            .then_some(&self.body["value"])
            .filter(|card| card["type"] == "AdaptiveCard")
    }
}

/// A refused click: the status of the control call and why.
pub type ClickRefusal = (StatusCode, String);

pub(super) async fn click_route(State(teams): State<Arc<TeamsStandIn>>, body: Bytes) -> Response {
    let request: ClickRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    match teams.click(&request).await {
        Ok(answer) => Json(answer.to_json()).into_response(),
        Err((status, message)) => (status, message).into_response(),
    }
}

/// Who clicks where, on what.
pub(super) struct InvokeContext<'a> {
    pub config: &'a BotConfig,
    pub user: &'a BotUser,
    pub conversation: &'a Conversation,
    pub activity_id: &'a str,
    pub action: Value,
    pub trigger: &'a str,
    pub tenant_id: &'a str,
}

/// The `invoke` activity Teams sends for a click on an `Action.Execute` (or a refresh).
pub(super) fn invoke_activity(ctx: &InvokeContext) -> Value {
    let c = ctx.conversation;
    // In a channel, the card is the root of a thread, and Teams names the conversation of
    // anything said in a thread with the root message's id.
    let conversation_id = match c.kind {
        ConversationType::Channel => format!("{};messageid={}", c.id, ctx.activity_id),
        _ => c.id.clone(),
    };
    let mut conversation = json!({"conversationType": c.kind.as_str(), "tenantId": ctx.tenant_id,
        "id": conversation_id});
    let mut channel_data = json!({"tenant": {"id": ctx.tenant_id}, "source": {"name": "message"},
        "legacy": {"replyToId": ctx.activity_id}});
    if c.kind != ConversationType::Personal {
        conversation["isGroup"] = json!(true);
    }
    if c.kind == ConversationType::Channel {
        channel_data["channel"] = json!({"id": c.id});
        channel_data["team"] = json!({"id": c.id});
    }
    let now = teams_timestamp();
    json!({
        "name": "adaptiveCard/action",
        "type": "invoke",
        "timestamp": now,
        "localTimestamp": now,
        "id": format!("f:{}", uuid::Uuid::new_v4().as_u128() % 10u128.pow(19)),
        "channelId": "msteams",
        "serviceUrl": ctx.config.service_url(),
        "from": {"id": teams_user_id(&ctx.user.object_id), "name": ctx.user.name,
            "aadObjectId": ctx.user.object_id},
        "conversation": conversation,
        "recipient": {"id": format!("28:{}", ctx.config.app_id), "name": "hitl approvals"},
        "entities": [{"locale": "en-US", "country": "US", "platform": "Web",
            "timezone": "Europe/London", "type": "clientInfo"}],
        "channelData": channel_data,
        "replyToId": ctx.activity_id,
        "value": {"action": ctx.action, "trigger": ctx.trigger},
        "locale": "en-US",
    })
}

/// Now as Teams writes an activity's time: UTC, milliseconds (`2017-02-01T21:10:07.437Z`).
fn teams_timestamp() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

/// The `value.action` of a click: the button's (by title), the card's refresh action, or
/// the request's verb and data; the inputs merged into its data.
pub(super) fn chosen_action(shown: &Value, request: &ClickRequest) -> Result<Value, ClickRefusal> {
    let mut action = match (&request.action, request.verb.as_deref(), &request.data) {
        (Some(title), _, _) => find_execute(shown, title).ok_or((
            StatusCode::CONFLICT,
            format!("the card shows no Action.Execute {title:?}"),
        ))?,
        (None, Some("refresh"), None) => match shown["refresh"]["action"].clone() {
            Value::Null => return Err((StatusCode::CONFLICT, "the card has no refresh".into())),
            action => action,
        },
        (None, Some(verb), data) => {
            json!({"type": "Action.Execute", "verb": verb, "data": data.clone().unwrap_or(json!({}))})
        }
        (None, None, _) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "give an action (a button's title) or a verb".into(),
            ))
        }
    };
    // Teams sends the action's type, id, verb and data (title and style stay on the card).
    action = json!({"type": "Action.Execute", "id": action.get("id").cloned(), "verb": action["verb"],
        "data": action.get("data").cloned().unwrap_or(json!({}))});
    if action["id"].is_null() {
        action.as_object_mut().map(|a| a.remove("id"));
    }
    if !request.inputs.is_empty() {
        let Some(data) = action["data"].as_object_mut() else {
            return Err((
                StatusCode::BAD_REQUEST,
                "the action's data is not an object: inputs cannot be merged".into(),
            ));
        };
        data.extend(request.inputs.clone());
    }
    Ok(action)
}

/// The `Action.Execute` titled `title` anywhere in the card (its actions, action sets).
fn find_execute(card: &Value, title: &str) -> Option<Value> {
    match card {
        Value::Object(map)
            if map.get("type").and_then(Value::as_str) == Some("Action.Execute")
                && map.get("title").and_then(Value::as_str) == Some(title) =>
        {
            Some(card.clone())
        }
        // The refresh action is not a button.
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| *k != "refresh")
            .find_map(|(_, v)| find_execute(v, title)),
        Value::Array(items) => items.iter().find_map(|v| find_execute(v, title)),
        _ => None,
    }
}

/// The bot, the clicker and the conversation of a click, and the card the clicker sees.
struct Scene<'a> {
    bot: &'a super::bot::Bot,
    config: BotConfig,
    conversation: Conversation,
    user: BotUser,
    shown: Value,
    version: u64,
}

impl TeamsStandIn {
    /// `request.user` clicks (or refreshes) the bot's message: the signed invoke is sent to
    /// the bot's messaging endpoint; a card it answers becomes what this person sees.
    pub async fn click(&self, request: &ClickRequest) -> Result<ClickAnswer, ClickRefusal> {
        let scene = self.scene(request)?;
        let action = chosen_action(&scene.shown, request)?;
        let tenant_id = match request.token {
            TokenVariant::OtherTenant => OTHER_TENANT_ID.to_string(),
            _ => scene.config.tenant_id.clone(),
        };
        let verb = action["verb"].as_str().unwrap_or_default().to_string();
        let activity = invoke_activity(&InvokeContext {
            config: &scene.config,
            user: &scene.user,
            conversation: &scene.conversation,
            activity_id: &request.activity_id,
            action,
            trigger: request.trigger.as_deref().unwrap_or("manual"),
            tenant_id: &tenant_id,
        });
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (config, signer) = (&scene.config, &scene.bot.signer);
        let authorization =
            signer.authorization(request.token, &config.app_id, &config.service_url(), now);
        let sent = self.next_invoke();
        let (status, body) = post_invoke(scene.bot, config, &activity, authorization.as_deref())
            .await
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
        let answer = ClickAnswer {
            status,
            body,
            activity,
            authorization,
        };
        let oid = &scene.user.object_id;
        let order = (scene.version, sent);
        self.record_view(&request.activity_id, oid, order, &verb, &answer);
        Ok(answer)
    }

    /// Who clicks what where, or why the click cannot happen (no such conversation, person or
    /// card; a person who is not in the conversation).
    fn scene(&self, request: &ClickRequest) -> Result<Scene<'_>, ClickRefusal> {
        let refuse = |status: StatusCode, text: String| (status, text);
        let bot = bot_of(self).map_err(|_| {
            refuse(
                StatusCode::NOT_FOUND,
                "no Teams bot in this stand-in".into(),
            )
        })?;
        let config = bot.config.lock().unwrap().clone();
        let id = &request.conversation_id;
        let conversation = bot
            .conversation(id)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("no conversation {id}")))?;
        let key = &request.user;
        let user = bot
            .user(key, false)
            .or_else(|| bot.user(key, true))
            .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, format!("no such user {key:?}")))?;
        if !conversation.members.contains(&user.object_id) {
            let text = format!("{} is not in {id}", user.mail);
            return Err(refuse(StatusCode::FORBIDDEN, text));
        }
        let activity = &request.activity_id;
        let (shown, version) = self
            .card_seen_by(&conversation.id, activity, &user.object_id)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("no card {activity} in {id}")))?;
        Ok(Scene {
            bot,
            config,
            conversation,
            user,
            shown,
            version,
        })
    }
}

/// POSTs the invoke to the bot's messaging endpoint as the Bot Framework does; its status and
/// body (JSON, or the text as a string).
async fn post_invoke(
    bot: &super::bot::Bot,
    config: &BotConfig,
    activity: &Value,
    authorization: Option<&str>,
) -> reqwest::Result<(u16, Value)> {
    let mut post = bot
        .http
        .post(&config.messaging_url)
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "user-agent",
            "Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)",
        )
        .body(activity.to_string());
    if let Some(value) = authorization {
        post = post.header("authorization", value);
    }
    let answer = post.send().await?;
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap_or_default();
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

#[cfg(test)]
#[path = "click_tests.rs"]
mod tests;
