//! The Teams bot's answers, read once: tokens, the Graph lookup, the Bot Connector's
//! conversation and activity calls, each status mapped to one named error (`Teams.*`).

use approvals::HitlError;
use serde_json::Value;

use super::{TeamsError, TeamsErrorKind};
use crate::service_calls::Reply;

pub const TOKEN: &str = "request a Teams bot token";
/// What to check when the identity platform refuses the bot's credentials.
pub const CHECK_APP: &str = "TeamsBotAppId, TeamsBotTenantId and the teams-bot-app-secret secret";
const INSTALL: &str = "install the Teams app that holds the bot for that person (Teams admin center: Manage apps > the app > Install for users, an app setup policy, or Graph POST /users/{id}/teamwork/installedApps with TeamsAppInstallation.ReadWriteSelfForUser.All), or ask them to add it; a person who blocked the bot must unblock it";

/// The calls the bot makes with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotCall {
    /// Microsoft Graph (the user lookup): its own token.
    Graph,
    CreateConversation,
    SendActivity,
}

impl BotCall {
    pub fn what(self) -> &'static str {
        match self {
            BotCall::Graph => "look the Teams user up in Microsoft Graph",
            BotCall::CreateConversation => "open the Teams bot's 1:1 chat",
            BotCall::SendActivity => "post to the Teams bot's 1:1 chat",
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

/// The object id Graph answered, or why there is none.
pub fn user_answer(reply: &Reply, email: &str) -> Result<String, HitlError> {
    let what = BotCall::Graph.what();
    let (code, message) = error_of(&reply.body);
    let value: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    match reply.status {
        200 => {
            // One user, or a `$filter` list of them.
            let ids: Vec<&str> = match value["value"].as_array() {
                Some(list) => list.iter().filter_map(|u| u["id"].as_str()).collect(),
                None => value["id"].as_str().into_iter().collect(),
            };
            match ids.as_slice() {
                [id] => Ok(id.to_string()),
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

/// A refusal shared by both Bot Connector calls.
fn connector_error(reply: &Reply, call: BotCall, email: &str) -> HitlError {
    let what = call.what();
    let (code, message) = error_of(&reply.body);
    let detail = format!("{what}: HTTP {} {code}: {message}", reply.status);
    match reply.status {
        403 => error(
            TeamsErrorKind::BotNotInstalled,
            format!("the Teams bot cannot message {email} ({detail}): {INSTALL}"),
        ),
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
        return Err(connector_error(reply, BotCall::CreateConversation, email));
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
        false => Err(connector_error(reply, BotCall::SendActivity, email)),
    }
}
