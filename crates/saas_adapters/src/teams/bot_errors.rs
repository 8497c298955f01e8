//! The Teams bot's answers, read once: tokens, the Graph lookup, the Bot Connector's
//! conversation and activity calls, each status mapped to one named error (`Teams.*`).

use approvals::HitlError;
use serde_json::Value;

use super::{TeamsError, TeamsErrorKind};
use crate::service_calls::Reply;

pub const TOKEN: &str = "request a Teams bot token";
/// What to check when the identity platform refuses the bot's credentials.
pub const CHECK_APP: &str = "TeamsBotAppId, TeamsBotTenantId and the teams-bot-app-secret secret";
const ADD_TO_CONVERSATION: &str = "add the Teams app that holds the bot to that team or group chat (in Teams: the team's or chat's Manage apps / Apps > Add), and name the conversation by the id the bot logs when it is added (its conversationUpdate)";
const INSTALL: &str = "install the Teams app that holds the bot for that person (Teams admin center: Manage apps > the app > Install for users, an app setup policy, or Graph POST /users/{id}/teamwork/installedApps with TeamsAppInstallation.ReadWriteSelfForUser.All), or ask them to add it; a person who blocked the bot must unblock it";

/// The calls the bot makes with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotCall {
    /// Microsoft Graph (the user lookup): its own token.
    Graph,
    CreateConversation,
    SendActivity,
    /// A card sent as the bot (`TeamsBot::send_card`).
    PostCard,
    /// A card replaced (`TeamsBot::update_card`): idempotent.
    UpdateCard,
    /// A member of a conversation looked up (`GET .../members/{id}`), for a card's refresh.
    GetMember,
}

/// Whom a Bot Connector call addresses, as its errors say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee<'a> {
    /// One person's 1:1 chat: their address or name.
    Person(&'a str),
    /// A channel or group chat: its conversation id.
    Conversation(&'a str),
}

/// The person Graph answered: object id, display name, user principal name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphUser {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
}

impl BotCall {
    pub fn what(self) -> &'static str {
        match self {
            BotCall::Graph => "look the Teams user up in Microsoft Graph",
            BotCall::CreateConversation => "open the Teams bot's 1:1 chat",
            BotCall::SendActivity => "post to the Teams bot's 1:1 chat",
            BotCall::PostCard => "post the Teams bot's card",
            BotCall::UpdateCard => "update the Teams bot's card",
            BotCall::GetMember => "look the approver up in the Teams conversation",
        }
    }
}

fn error(kind: TeamsErrorKind, message: impl Into<String>) -> HitlError {
    TeamsError::new(kind, message).into()
}

/// `(code, message)` of an error body: Bot Connector's and Graph's `{"error": {"code",
/// "message"}}`, Teams' `{"errorCode", "message"}` (whose message may hold a `subCode`), or
/// the body's start.
pub fn error_of(body: &str) -> (String, String) {
    let value: Value = serde_json::from_str(body).unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let message = text(&value["error"]["message"])
        .or_else(|| text(&value["message"]))
        .unwrap_or_else(|| body.chars().take(200).collect());
    let code = text(&value["error"]["code"])
        .or_else(|| {
            ["MessageWritesBlocked", "ForbiddenOperationException"]
                .into_iter()
                .find(|c| message.contains(c))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "error".into());
    (code, message.chars().take(300).collect())
}

fn graph_user(value: &Value) -> Option<GraphUser> {
    let text = |field: &str| value[field].as_str().map(str::to_string);
    Some(GraphUser {
        id: text("id")?,
        display_name: text("displayName"),
        user_principal_name: text("userPrincipalName"),
    })
}

/// The one user Graph answered (`/users/{id}` or a `$filter` list), or why there is none;
/// `email` is how the person was named.
pub fn graph_user_answer(reply: &Reply, email: &str) -> Result<GraphUser, HitlError> {
    let what = BotCall::Graph.what();
    let (code, message) = error_of(&reply.body);
    let value: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    match reply.status {
        200 => {
            // One user, or a `$filter` list of them.
            let ids: Vec<GraphUser> = match value["value"].as_array() {
                Some(list) => list.iter().filter_map(graph_user).collect(),
                None => graph_user(&value).into_iter().collect(),
            };
            match ids.as_slice() {
                [user] => Ok(user.clone()),
                [] => Err(error(
                    TeamsErrorKind::UserNotFound,
                    format!("no one in the Microsoft 365 tenant has the address {email} (neither as sign-in name nor as mail)"),
                )),
                _ => Err(error(
                    TeamsErrorKind::UserNotFound,
                    format!("{} directory users have the address {email}: name one by their sign-in address", ids.len()),
                )),
            }
        }
        404 => Err(error(
            TeamsErrorKind::UserNotFound,
            format!("no one in the Microsoft 365 tenant has the address {email} ({code})"),
        )),
        401 | 403 => Err(error(
            TeamsErrorKind::Unauthorized,
            format!("{what}: HTTP {} {code}: {message} (the bot's app registration needs the User.Read.All application permission, with admin consent)", reply.status),
        )),
        400 => Err(error(
            TeamsErrorKind::ApiError,
            format!("{what}: HTTP 400 {code}: {message}"),
        )),
        status => Err(error(
            TeamsErrorKind::ApiError,
            format!("{what}: HTTP {status} {code}: {message}"),
        )),
    }
}

/// A refusal shared by the Bot Connector calls.
pub fn connector_error(reply: &Reply, call: BotCall, to: Addressee) -> HitlError {
    let what = call.what();
    let (code, message) = error_of(&reply.body);
    let detail = format!("{what}: HTTP {} {code}: {message}", reply.status);
    match (reply.status, to) {
        (403, Addressee::Person(email)) => error(
            TeamsErrorKind::BotNotInstalled,
            format!("the Teams bot cannot message {email} ({detail}): {INSTALL}"),
        ),
        (403, Addressee::Conversation(id)) => error(
            TeamsErrorKind::BotNotInstalled,
            format!("the Teams bot cannot post in the Teams conversation {id} ({detail}): {ADD_TO_CONVERSATION}"),
        ),
        // The card (or the whole conversation, or the bot's place in it) is gone.
        (404, _) if call == BotCall::UpdateCard => error(
            TeamsErrorKind::MessageNotFound,
            format!("{detail}: the card is no longer there to update"),
        ),
        (404, Addressee::Conversation(id)) => error(
            TeamsErrorKind::ChannelNotFound,
            format!("{detail}: no Teams conversation {id} has the bot in it"),
        ),
        (status, _) => status_error(status, detail),
    }
}

fn status_error(status: u16, detail: String) -> HitlError {
    match status {
        401 => error(
            TeamsErrorKind::Unauthorized,
            format!("{detail} (check that TeamsBotAppId is the Azure Bot's Microsoft App ID, that the bot has the Microsoft Teams channel, and that TeamsBotTenantId is its tenant)"),
        ),
        413 => error(
            TeamsErrorKind::InvalidMessage,
            format!("{detail}: the message is too large for Teams"),
        ),
        400 => error(TeamsErrorKind::InvalidMessage, detail),
        404 => error(TeamsErrorKind::ChannelNotFound, detail),
        _ => error(TeamsErrorKind::ApiError, detail),
    }
}

/// The conversation id `POST /v3/conversations` answered.
pub fn conversation_answer(reply: &Reply, email: &str) -> Result<String, HitlError> {
    if !reply.is_success() {
        let to = Addressee::Person(email);
        return Err(connector_error(reply, BotCall::CreateConversation, to));
    }
    let value: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    value["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            error(
                TeamsErrorKind::ApiError,
                "open the Teams bot's 1:1 chat: an answer without a conversation id",
            )
        })
}

/// `POST /v3/conversations/{id}/activities`: 200/201 with the activity's id.
pub fn activity_answer(reply: &Reply, email: &str) -> Result<(), HitlError> {
    match reply.is_success() {
        true => Ok(()),
        false => Err(connector_error(
            reply,
            BotCall::SendActivity,
            Addressee::Person(email),
        )),
    }
}

/// The activity id a card post answered (`{"id": ...}`): how the card is updated later.
pub fn posted_answer(reply: &Reply, to: Addressee) -> Result<String, HitlError> {
    if !reply.is_success() {
        return Err(connector_error(reply, BotCall::PostCard, to));
    }
    let value: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    value["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            // Posted, but it cannot be updated: not worth a retry, which would post it again.
            error(
                TeamsErrorKind::ApiError,
                "post the Teams bot's card: it was posted, but the answer has no activity id (it was not sent again)",
            )
        })
}

/// `PUT /v3/conversations/{id}/activities/{activityId}`: any 2xx.
pub fn update_answer(reply: &Reply, to: Addressee) -> Result<(), HitlError> {
    match reply.is_success() {
        true => Ok(()),
        false => Err(connector_error(reply, BotCall::UpdateCard, to)),
    }
}
