//! The Teams bot's side of Microsoft: a single-tenant bot's token endpoint, Microsoft Graph's
//! user lookup, and the Bot Connector's proactive 1:1 messaging ([`super::bot_connector`]),
//! refusing what the real services refuse:
//!
//! - Token `POST /bot/login/{tenant}/oauth2/v2.0/token`: the bot's tenant only (another is 400
//!   `invalid_request` AADSTS90002 "Tenant not found"); the bot's app id and secret (401
//!   `invalid_client`); scope `https://api.botframework.com/.default` (a Bot Connector token) or
//!   `https://graph.microsoft.com/.default` (a Graph token; locally the stand-in's Graph URL +
//!   `/.default`), anything else 400 `invalid_scope`.
//! - Graph `GET /bot/graph/v1.0/users/{id | userPrincipalName}` and `GET
//!   /bot/graph/v1.0/users?$filter=mail eq '{address}'`: a Graph token or 401
//!   `InvalidAuthenticationToken` (a Bot Connector token has the wrong audience); 404
//!   `Request_ResourceNotFound` for nobody; any other `$filter` 400 `BadRequest`.
//! - The directory: a few people, each with an object id, a sign-in name (UPN), a mail address,
//!   a display name and whether the bot's app is installed for them (`POST
//!   /_control/bot/install`).
//! - The Bot Framework's side toward the bot (its signing keys, clicks): [`super::bot_framework`];
//!   the channels and group chats the bot is in: [`super::conversations`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

use super::conversations::Conversation;
use super::signing::BotSigner;
use super::{TeamsStandIn, GRAPH_SCOPE};
use crate::standins::identity::{self, graph_error};

pub const BOT_FRAMEWORK_SCOPE: &str = "https://api.botframework.com/.default";

/// A person of the stand-in's tenant.
#[derive(Debug, Clone)]
pub struct BotUser {
    pub object_id: String,
    pub user_principal_name: String,
    pub mail: String,
    /// What Teams shows (and sends as `from.name`).
    pub name: String,
    /// Whether the app that holds the bot is installed for them (personal scope).
    pub installed: bool,
}

impl BotUser {
    /// A person whose sign-in name is their mail address, named after it (`alice@…`: Alice).
    pub fn new(mail: &str, installed: bool) -> Self {
        let local = mail.split('@').next().unwrap_or(mail);
        let mut chars = local.chars();
        let name = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        BotUser {
            object_id: uuid::Uuid::new_v4().to_string(),
            user_principal_name: mail.to_string(),
            mail: mail.to_string(),
            name,
            installed,
        }
    }
}

/// The local stack's tenant (its bot and people).
pub const LOCAL_TENANT_ID: &str = "5e1f0ca1-0000-4000-8000-00000000b075";

/// The local stack's people: alice and bob have the bot's app, carol does not, and dave signs
/// in as `dave.k@…` but his mail is `dave@example.com` (found through Graph's `mail` filter).
pub fn local_directory() -> Vec<BotUser> {
    let dave = BotUser {
        user_principal_name: "dave.k@hitllocal.onmicrosoft.com".into(),
        ..BotUser::new("dave@example.com", true)
    };
    vec![
        BotUser::new("alice@example.com", true),
        BotUser::new("bob@example.com", true),
        BotUser::new("carol@example.com", false),
        dave,
    ]
}

/// The bot's registration, its tenant's directory, and where the bot and the stand-in are.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub app_id: String,
    pub app_secret: String,
    pub tenant_id: String,
    pub users: Vec<BotUser>,
    /// The bot's messaging endpoint, where clicks are sent (`{api}/teams/messages`).
    pub messaging_url: String,
    /// This stand-in's own base URL (`{api}/_standins/teams`): its Bot Connector (the
    /// activities' `serviceUrl`) and its OpenID metadata are under it.
    pub public_url: String,
}

impl BotConfig {
    /// The local stack's bot: its tenant and directory, the HttpApi at `api_url` (its messaging
    /// endpoint `POST /teams/messages`), the stand-in mounted at `{api_url}/_standins/teams`.
    pub fn for_stack(app_id: &str, app_secret: &str, api_url: &str) -> Self {
        BotConfig {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            tenant_id: LOCAL_TENANT_ID.into(),
            users: local_directory(),
            messaging_url: format!("{api_url}/teams/messages"),
            public_url: format!("{api_url}/_standins/teams"),
        }
    }

    /// The Bot Connector's URL, as the activities' `serviceUrl` and the tokens' `serviceurl`
    /// carry it (what `TEAMS_BOT_SERVICE_URL` points the bot at).
    pub fn service_url(&self) -> String {
        format!("{}/bot/connector/", self.public_url)
    }

    /// The OpenID metadata's URL (what `TEAMS_BOT_OPENID_URL` points the bot at).
    pub fn openid_url(&self) -> String {
        format!("{}{OPENID_PATH}", self.public_url)
    }
}

/// Where the stand-in publishes its OpenID metadata, under its base URL (as
/// `https://login.botframework.com/v1/.well-known/openidconfiguration`).
pub const OPENID_PATH: &str = "/bot/openid/v1/.well-known/openidconfiguration";
/// Where the stand-in publishes its keys (the metadata's `jwks_uri`).
pub const JWKS_PATH: &str = "/bot/openid/v1/.well-known/keys";

/// What the bot side holds: its configuration, the tokens it issued per audience, the
/// conversations it can write to (by id), the keys it signs its requests to the bot with,
/// and what each person sees of each card.
pub struct Bot {
    pub(super) config: Mutex<BotConfig>,
    pub(super) connector_tokens: Mutex<HashMap<String, Instant>>,
    graph_tokens: Mutex<HashMap<String, Instant>>,
    pub(super) conversations: Mutex<HashMap<String, Conversation>>,
    pub(super) signer: BotSigner,
    pub(super) views: Mutex<super::views::Views>,
    pub(super) http: reqwest::Client,
}

impl Bot {
    pub fn new(config: BotConfig) -> Self {
        let conversations = super::conversations::defaults(&config.users)
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        Bot {
            config: Mutex::new(config),
            connector_tokens: Mutex::new(HashMap::new()),
            graph_tokens: Mutex::new(HashMap::new()),
            conversations: Mutex::new(conversations),
            // Two RSA keys per run; generating them fails only if the crypto library cannot.
            signer: BotSigner::generate().expect("generate the stand-in's RSA signing keys"),
            views: Mutex::new(Default::default()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The person whose object id, sign-in name or (with `by_mail`) mail is `key`.
    pub(super) fn user(&self, key: &str, by_mail: bool) -> Option<BotUser> {
        let key = key.to_ascii_lowercase();
        let config = self.config.lock().unwrap();
        config
            .users
            .iter()
            .find(|u| match by_mail {
                true => u.mail.to_ascii_lowercase() == key,
                false => u.object_id == key || u.user_principal_name.to_ascii_lowercase() == key,
            })
            .cloned()
    }
}

/// The bearer token of a request, if it is one of `tokens` and not expired.
pub(super) fn bearer_in(headers: &HeaderMap, tokens: &Mutex<HashMap<String, Instant>>) -> bool {
    identity::still_valid(&tokens.lock().unwrap(), identity::bearer(headers))
}

/// The bot's routes (under the Teams stand-in): `/bot/login/…`, `/bot/graph/…`,
/// `/bot/connector/…`, `/bot/openid/…`, `/_control/bot/…`, `/_control/click`.
pub(super) fn routes() -> Router<Arc<TeamsStandIn>> {
    use super::bot_connector::{create_conversation, send_activity, update_activity};
    use super::{bot_framework, conversations};
    let connector = "/bot/connector/v3/conversations";
    Router::new()
        .route("/bot/login/{tenant}/oauth2/v2.0/token", post(token))
        .route("/bot/graph/v1.0/users", get(list_users))
        .route("/bot/graph/v1.0/users/{key}", get(get_user))
        .route(connector, post(create_conversation))
        .route(
            &format!("{connector}/{{id}}/activities"),
            post(send_activity),
        )
        .route(
            &format!("{connector}/{{id}}/activities/{{activity_id}}"),
            axum::routing::put(update_activity),
        )
        .route(
            &format!("{connector}/{{id}}/members"),
            get(conversations::members),
        )
        .route(
            &format!("{connector}/{{id}}/members/{{member}}"),
            get(conversations::member),
        )
        .route(OPENID_PATH, get(bot_framework::openid_configuration))
        .route(JWKS_PATH, get(bot_framework::keys))
        .route("/_control/bot/install", post(install))
        .route(
            "/_control/bot/conversations",
            post(conversations::create).get(conversations::list),
        )
        .route("/_control/click", post(bot_framework::click_route))
}

/// The bot of the stand-in, or a 404 when the local stack runs without one.
pub(super) fn bot_of(teams: &TeamsStandIn) -> Result<&Bot, Box<Response>> {
    teams.bot.get().ok_or_else(|| {
        Box::new((StatusCode::NOT_FOUND, "no Teams bot in this stand-in").into_response())
    })
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = json!({"error": code, "error_description": description, "timestamp": crate::outbox::now_rfc3339()});
    (status, Json(body)).into_response()
}

async fn token(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let bot = match bot_of(&teams) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    let (app_id, app_secret, tenant_id) = {
        let c = bot.config.lock().unwrap();
        (c.app_id.clone(), c.app_secret.clone(), c.tenant_id.clone())
    };
    if tenant != tenant_id {
        let text = format!("AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &text);
    }
    let scope_ok = |scope: &str| scope == BOT_FRAMEWORK_SCOPE || is_graph_scope(scope);
    if let Err((status, code, text)) =
        identity::check_request(&body, &app_id, &app_secret, scope_ok)
    {
        return oauth_error(status, code, text);
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let tokens = match form.get("scope").is_some_and(|s| is_graph_scope(s)) {
        true => &bot.graph_tokens,
        false => &bot.connector_tokens,
    };
    identity::issue_token(&mut tokens.lock().unwrap(), "bot")
}

/// Graph's scope: Microsoft's, or this stand-in's Graph URL (`…/graph`) + `/.default`, as the
/// functions pointed here ask for it.
fn is_graph_scope(scope: &str) -> bool {
    scope == GRAPH_SCOPE || scope.ends_with("/bot/graph/.default")
}

/// Graph's refusal of a request without a Graph token.
fn graph_unauthorized(headers: &HeaderMap) -> Response {
    let message = match headers.get("authorization") {
        None => "Access token is empty.",
        Some(_) => "Invalid audience: the token was not issued for https://graph.microsoft.com.",
    };
    graph_error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
}

fn user_json(user: &BotUser, select: Option<&str>) -> Value {
    let all = json!({"id": user.object_id, "userPrincipalName": user.user_principal_name, "mail": user.mail});
    match select {
        Some(fields) => fields
            .split(',')
            .map(|f| (f.trim().to_string(), all[f.trim()].clone()))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        None => all,
    }
}

async fn get_user(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let bot = match bot_of(&teams) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    if !bearer_in(&headers, &bot.graph_tokens) {
        return graph_unauthorized(&headers);
    }
    match bot.user(&key, false) {
        Some(user) => Json(user_json(&user, query.get("$select").map(String::as_str))).into_response(),
        None => graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("Resource '{key}' does not exist or one of its queried reference-property objects are not present."),
        ),
    }
}

async fn list_users(
    State(teams): State<Arc<TeamsStandIn>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let bot = match bot_of(&teams) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    if !bearer_in(&headers, &bot.graph_tokens) {
        return graph_unauthorized(&headers);
    }
    let filter = query.get("$filter").map(String::as_str).unwrap_or_default();
    let Some(address) = filter
        .strip_prefix("mail eq '")
        .and_then(|rest| rest.strip_suffix('\''))
    else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid filter clause: this stand-in answers only $filter=mail eq '<address>'",
        );
    };
    let address = address.replace("''", "'");
    let select = query.get("$select").map(String::as_str);
    let found: Vec<Value> = bot
        .user(&address, true)
        .iter()
        .map(|u| user_json(u, select))
        .collect();
    Json(json!({"value": found})).into_response()
}

/// `{"user": address, "installed": bool}`: installs (or removes) the bot's app for a person.
async fn install(State(teams): State<Arc<TeamsStandIn>>, Json(body): Json<Value>) -> Response {
    let bot = match bot_of(&teams) {
        Ok(bot) => bot,
        Err(response) => return *response,
    };
    let address = body["user"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut config = bot.config.lock().unwrap();
    match config
        .users
        .iter_mut()
        .find(|u| u.mail.to_ascii_lowercase() == address)
    {
        Some(user) => {
            user.installed = body["installed"].as_bool().unwrap_or(true);
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such user").into_response(),
    }
}

#[cfg(test)]
#[path = "bot_tests.rs"]
mod tests;
