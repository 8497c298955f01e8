//! The conversations the bot can write to, as Teams holds them: 1:1 chats (opened by the bot
//! with `POST /v3/conversations`), team channels and group chats (the bot's app installed
//! there by people; here made by a control call, and one of each at start with everyone of
//! the directory in it).
//!
//! - `POST /_control/bot/conversations {"type": "channel" | "groupChat", "name"?, "members"?:
//!   [email, sign-in name or object id] (default: the whole directory), "botInstalled"?: bool
//!   (default true)}`: 201 with the conversation; 400 for an unknown member or type.
//! - `GET /_control/bot/conversations`: every conversation with its members.
//! - Bot Connector `GET /v3/conversations/{id}/members` and `GET
//!   /v3/conversations/{id}/members/{member}` (member: Teams user id `29:…`, Entra object id
//!   or sign-in name), as Teams answers them (`TeamsChannelAccount`): how a bot learns the
//!   `29:` ids that an Adaptive Card's `refresh.userIds` must list.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::bot::{bot_of, Bot, BotUser};
use super::bot_connector::{authorized, connector_error};
use super::TeamsStandIn;

/// The team channel the stand-in starts with (the bot installed in its team, everyone in it).
pub const DEFAULT_CHANNEL_ID: &str = "19:5e1f0ca1b07a4c0e8a11c0ffee000001@thread.tacv2";
/// The group chat the stand-in starts with (the bot added, everyone in it).
pub const DEFAULT_GROUP_CHAT_ID: &str = "19:5e1f0ca1b07a4c0e8a11c0ffee000002@thread.v2";

/// Where a conversation is, as Teams' `conversation.conversationType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConversationType {
    Personal,
    Channel,
    GroupChat,
}

impl ConversationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationType::Personal => "personal",
            ConversationType::Channel => "channel",
            ConversationType::GroupChat => "groupChat",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub kind: ConversationType,
    pub name: String,
    /// Members' object ids.
    pub members: Vec<String>,
    /// Whether the bot's app is in the team or chat (a 1:1 chat follows the person's install).
    pub bot_installed: bool,
}

impl Conversation {
    fn to_json(&self, bot: &Bot) -> Value {
        let members: Vec<Value> = self
            .members
            .iter()
            .filter_map(|oid| bot.user(oid, false))
            .map(|u| json!({"objectId": u.object_id, "id": teams_user_id(&u.object_id), "name": u.name, "mail": u.mail}))
            .collect();
        json!({"id": self.id, "conversationType": self.kind.as_str(), "name": self.name,
            "botInstalled": self.bot_installed, "members": members})
    }
}

/// A person's Teams user id as a bot sees it (`29:…`, what `refresh.userIds` lists): derived
/// from the object id, the same on every run.
pub fn teams_user_id(object_id: &str) -> String {
    let digest = Sha256::digest(format!("hitl-local-teams:{object_id}").as_bytes());
    format!("29:1{}", hex::encode(&digest[..24]))
}

/// The conversations the bot starts with: a team channel and a group chat with everyone.
pub(super) fn defaults(users: &[BotUser]) -> Vec<Conversation> {
    let everyone: Vec<String> = users.iter().map(|u| u.object_id.clone()).collect();
    vec![
        Conversation {
            id: DEFAULT_CHANNEL_ID.into(),
            kind: ConversationType::Channel,
            name: "Approvals > General".into(),
            members: everyone.clone(),
            bot_installed: true,
        },
        Conversation {
            id: DEFAULT_GROUP_CHAT_ID.into(),
            kind: ConversationType::GroupChat,
            name: "Ops approvals (group chat)".into(),
            members: everyone,
            bot_installed: true,
        },
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateRequest {
    #[serde(rename = "type")]
    kind: ConversationType,
    name: Option<String>,
    members: Option<Vec<String>>,
    bot_installed: Option<bool>,
}

pub(super) async fn create(
    State(teams): State<Arc<TeamsStandIn>>,
    body: axum::body::Bytes,
) -> Response {
    let bot = match bot_of(&teams) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    let request: CreateRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let members = match &request.members {
        None => bot
            .config
            .lock()
            .unwrap()
            .users
            .iter()
            .map(|u| u.object_id.clone())
            .collect(),
        Some(keys) => {
            let mut ids = Vec::new();
            for key in keys {
                match bot.user(key, false).or_else(|| bot.user(key, true)) {
                    Some(u) => ids.push(u.object_id),
                    None => {
                        return (StatusCode::BAD_REQUEST, format!("no such user {key:?}"))
                            .into_response()
                    }
                }
            }
            ids
        }
    };
    let suffix = match request.kind {
        ConversationType::Channel => "thread.tacv2",
        ConversationType::GroupChat => "thread.v2",
        ConversationType::Personal => {
            return (
                StatusCode::BAD_REQUEST,
                "a 1:1 chat is opened by the bot (POST /v3/conversations)",
            )
                .into_response()
        }
    };
    let conversation = Conversation {
        id: format!("19:{}@{suffix}", uuid::Uuid::new_v4().simple()),
        kind: request.kind,
        name: request
            .name
            .unwrap_or_else(|| request.kind.as_str().to_string()),
        members,
        bot_installed: request.bot_installed.unwrap_or(true),
    };
    let answer = conversation.to_json(bot);
    bot.conversations
        .lock()
        .unwrap()
        .insert(conversation.id.clone(), conversation);
    (StatusCode::CREATED, Json(answer)).into_response()
}

pub(super) async fn list(State(teams): State<Arc<TeamsStandIn>>) -> Response {
    match bot_of(&teams) {
        Ok(bot) => Json(json!({"conversations": bot.conversations_json()})).into_response(),
        Err(response) => *response,
    }
}

impl Bot {
    /// Every conversation, sorted by id, with its members.
    pub(super) fn conversations_json(&self) -> Vec<Value> {
        let mut all: Vec<Conversation> = self
            .conversations
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all.iter().map(|c| c.to_json(self)).collect()
    }

    /// The conversation `id` names; a channel also as one of its threads
    /// (`19:…@thread.tacv2;messageid=<root>`, as Teams names a thread's conversation).
    pub(super) fn conversation(&self, id: &str) -> Option<Conversation> {
        let conversations = self.conversations.lock().unwrap();
        match id.split_once(";messageid=") {
            Some((channel, _)) => conversations
                .get(channel)
                .filter(|c| c.kind == ConversationType::Channel)
                .cloned(),
            None => conversations.get(id).cloned(),
        }
    }
}

/// Teams' `TeamsChannelAccount` of a member.
fn channel_account(user: &BotUser, tenant_id: &str) -> Value {
    json!({"id": teams_user_id(&user.object_id), "name": user.name, "aadObjectId": user.object_id,
        "email": user.mail, "userPrincipalName": user.user_principal_name, "tenantId": tenant_id,
        "userRole": "user"})
}

/// The conversation and its members, if the request carries a connector token.
fn members_of(
    teams: &TeamsStandIn,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Vec<BotUser>, String), Box<Response>> {
    let bot = authorized(teams, headers)?;
    let Some(conversation) = bot.conversation(id) else {
        return Err(Box::new(connector_error(
            StatusCode::NOT_FOUND,
            "ConversationNotFound",
            "Conversation not found.",
        )));
    };
    let tenant = bot.config.lock().unwrap().tenant_id.clone();
    let users = conversation
        .members
        .iter()
        .filter_map(|oid| bot.user(oid, false))
        .collect();
    Ok((users, tenant))
}

pub(super) async fn members(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match members_of(&teams, &headers, &id) {
        Ok((users, tenant)) => Json(
            users
                .iter()
                .map(|u| channel_account(u, &tenant))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(response) => *response,
    }
}

pub(super) async fn member(
    State(teams): State<Arc<TeamsStandIn>>,
    Path((id, member)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (users, tenant) = match members_of(&teams, &headers, &id) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let key = member.to_ascii_lowercase();
    let found = users.iter().find(|u| {
        u.object_id == key
            || u.user_principal_name.to_ascii_lowercase() == key
            || teams_user_id(&u.object_id) == member
    });
    match found {
        Some(user) => Json(channel_account(user, &tenant)).into_response(),
        None => connector_error(
            StatusCode::NOT_FOUND,
            "MemberNotFoundInConversation",
            "The member is not in this conversation.",
        ),
    }
}

impl Bot {
    /// The directory as the page and the tests see it: object id, Teams user id, names.
    pub(super) fn users_json(&self) -> Vec<Value> {
        let config = self.config.lock().unwrap();
        config
            .users
            .iter()
            .map(|u| json!({"objectId": u.object_id, "id": teams_user_id(&u.object_id), "name": u.name,
                "mail": u.mail, "userPrincipalName": u.user_principal_name, "installed": u.installed}))
            .collect()
    }
}
