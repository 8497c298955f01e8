//! Microsoft Teams stand-in: a Workflows webhook ("Post to a channel when a webhook request is
//! received"), the Microsoft identity platform's client-credentials token endpoint, and the two
//! Microsoft Graph calls that would post a message (to a channel, to a chat) and that Graph
//! refuses to an app-only token, with Teams' behaviour:
//!
//! - Webhook `POST /webhook/{id}`: a `{"type": "message", "attachments": [...]}` envelope with
//!   Adaptive Card attachments (or a `text`) is answered **202 Accepted with an empty body**
//!   (Workflows runs the flow later); each card becomes one message. **400** with a text for
//!   anything else: not a `message`, no card and no text, a card that is not an
//!   `AdaptiveCard`, a card over version 1.4, or one using `Action.Submit`/`Action.Execute`
//!   (Workflows cannot receive them). A body over **28 KB** is answered **413** (what Teams
//!   answers for oversized webhook messages: "Microsoft Teams endpoint returned HTTP error
//!   413"). More than **4 requests per second** to one webhook is answered **429** with
//!   `Retry-After: 1`.
//! - Token `POST /login/{tenant}/oauth2/v2.0/token`: form `client_id`, `client_secret`,
//!   `scope=https://graph.microsoft.com/.default`, `grant_type=client_credentials`; 401
//!   `{"error": "invalid_client"}` when the credentials do not match, 400 `unsupported_grant_type`
//!   / `invalid_scope`; else `{"token_type": "Bearer", "expires_in": 3599, "access_token"}`.
//! - Graph `POST /graph/v1.0/teams/{teamId}/channels/{channelId}/messages` and
//!   `POST /graph/v1.0/chats/{chatId}/messages`: refused as Microsoft refuses them. Without a
//!   token issued here, 401 `InvalidAuthenticationToken`; with one (an app-only token: the
//!   client credentials flow is the only one here), 401 `{"error": {"code": "Unauthorized",
//!   "message": "Message POST is allowed in application-only context only for import
//!   purposes. ..."}}`: Graph takes app-only channel and chat messages only to import history
//!   into a team in migration mode. Nothing is stored.
//! - Test hooks: `GET /_control/messages` (the snapshot), `POST /_control/rate-limit
//!   {"count": N, "retryAfter": S}` (the next N webhook requests are answered 429 with
//!   `Retry-After: S`), `POST /_control/reset`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// Teams' message size limit.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
/// Workflows webhooks: requests per second per webhook.
pub const WEBHOOK_REQUESTS_PER_SECOND: usize = 4;
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
const TOKEN_LIFETIME: Duration = Duration::from_secs(3599);
const UNSUPPORTED_ACTIONS: [&str; 2] = ["Action.Submit", "Action.Execute"];

struct Data {
    /// Snapshot entries, oldest first.
    messages: Vec<Value>,
    last_id: u64,
    /// Accepted requests of the last second, per webhook id.
    webhook_hits: HashMap<String, VecDeque<Instant>>,
    /// Requests still to be answered 429, and their Retry-After.
    rate_limited: u32,
    retry_after: u64,
    /// Access tokens issued, with their expiry.
    tokens: HashMap<String, Instant>,
}

impl Data {
    fn new() -> Self {
        Data {
            messages: Vec::new(),
            last_id: 0,
            webhook_hits: HashMap::new(),
            rate_limited: 0,
            retry_after: 1,
            tokens: HashMap::new(),
        }
    }

    /// Graph-like message ids: epoch milliseconds, strictly increasing.
    fn next_id(&mut self) -> String {
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        self.last_id = (now_ms as u64).max(self.last_id + 1);
        self.last_id.to_string()
    }

    /// Consumes one forced 429, if any is pending: its Retry-After.
    fn forced_rate_limit(&mut self) -> Option<u64> {
        if self.rate_limited == 0 {
            return None;
        }
        self.rate_limited -= 1;
        Some(self.retry_after)
    }
}

pub struct TeamsStandIn {
    client_id: String,
    client_secret: String,
    data: Mutex<Data>,
}

impl TeamsStandIn {
    /// Graph accepts exactly this app registration (any tenant id); webhooks need nothing.
    pub fn new(client_id: &str, client_secret: &str) -> Arc<Self> {
        Arc::new(TeamsStandIn {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            data: Mutex::new(Data::new()),
        })
    }

    /// Under `/_standins/teams`: `/webhook/{id}`, `/login/…`, `/graph/v1.0/…`, `/_control/…`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/webhook/{id}", post(webhook))
            .route("/login/{tenant}/oauth2/v2.0/token", post(token))
            .route(
                "/graph/v1.0/teams/{team_id}/channels/{channel_id}/messages",
                post(channel_message),
            )
            .route("/graph/v1.0/chats/{chat_id}/messages", post(chat_message))
            .route("/_control/messages", get(messages))
            .route("/_control/rate-limit", post(rate_limit))
            .route("/_control/reset", post(reset))
            .with_state(self)
    }

    /// Every message received, oldest first: `{"id", "via": "webhook", "where": {"webhookId"},
    /// "receivedAt", "card"?, "text"?}`.
    pub fn snapshot(&self) -> Value {
        json!({"messages": self.data.lock().unwrap().messages})
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn text_response(status: StatusCode, text: &str) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

fn too_many_requests(retry_after: u64, body: Response) -> Response {
    let mut response = body;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert("retry-after", retry_after.to_string().parse().unwrap());
    response
}

/// Why Teams would refuse this card, if it would.
fn card_problem(card: &Value) -> Option<String> {
    if card["type"] != "AdaptiveCard" {
        return Some("the attachment's content is not an AdaptiveCard".into());
    }
    if let Some(version) = card["version"].as_str() {
        let parsed = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        match parsed {
            Some(v) if v <= (1, 4) => {}
            _ => {
                return Some(format!(
                    "Adaptive Card version {version} is not supported (1.4 at most)"
                ))
            }
        }
    }
    find_unsupported_action(card).map(|action| {
        format!("{action} is not supported in cards posted by a webhook; use Action.OpenUrl")
    })
}

fn find_unsupported_action(value: &Value) -> Option<&'static str> {
    match value {
        Value::Object(map) => map
            .get("type")
            .and_then(Value::as_str)
            .and_then(|t| UNSUPPORTED_ACTIONS.iter().find(|a| **a == t).copied())
            .or_else(|| map.values().find_map(find_unsupported_action)),
        Value::Array(items) => items.iter().find_map(find_unsupported_action),
        _ => None,
    }
}

/// One message to post: a card, or a text.
type Content = (Option<Value>, Option<String>);

/// The cards (or the text) of a webhook envelope, or why it is refused.
fn webhook_contents(body: &[u8]) -> Result<Vec<Content>, String> {
    let envelope: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    if envelope["type"] != "message" {
        return Err("the body must be {\"type\": \"message\", \"attachments\": [...]}".into());
    }
    let mut contents = Vec::new();
    for (i, attachment) in envelope["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if attachment["contentType"] != CARD_CONTENT_TYPE {
            return Err(format!(
                "attachments[{i}].contentType must be {CARD_CONTENT_TYPE}"
            ));
        }
        let card = &attachment["content"];
        if let Some(problem) = card_problem(card) {
            return Err(format!("attachments[{i}]: {problem}"));
        }
        contents.push((Some(card.clone()), None));
    }
    if contents.is_empty() {
        match envelope["text"].as_str().filter(|t| !t.trim().is_empty()) {
            Some(text) => contents.push((None, Some(text.to_string()))),
            None => {
                return Err(
                    "the message has no Adaptive Card attachment and no text: nothing to post"
                        .into(),
                )
            }
        }
    }
    Ok(contents)
}

async fn webhook(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut data = teams.data.lock().unwrap();
    if let Some(retry_after) = data.forced_rate_limit() {
        return too_many_requests(
            retry_after,
            text_response(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
        );
    }
    let now = Instant::now();
    let hits = data.webhook_hits.entry(id.clone()).or_default();
    while hits
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        hits.pop_front();
    }
    if hits.len() >= WEBHOOK_REQUESTS_PER_SECOND {
        return too_many_requests(
            1,
            text_response(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests: a webhook takes 4 requests per second",
            ),
        );
    }
    hits.push_back(now);
    if body.len() > MAX_MESSAGE_BYTES {
        return text_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "Request Entity Too Large: the message is {} bytes; Teams takes at most {MAX_MESSAGE_BYTES}",
                body.len()
            ),
        );
    }
    let contents = match webhook_contents(&body) {
        Ok(contents) => contents,
        Err(problem) => return text_response(StatusCode::BAD_REQUEST, &problem),
    };
    for (card, text) in contents {
        let message_id = data.next_id();
        data.messages.push(json!({
            "id": message_id,
            "via": "webhook",
            "where": {"webhookId": id},
            "receivedAt": now_rfc3339(),
            "card": card,
            "text": text,
        }));
    }
    StatusCode::ACCEPTED.into_response()
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": code,
            "error_description": description,
            "error_codes": [7000215],
            "timestamp": now_rfc3339(),
        })),
    )
        .into_response()
}

async fn token(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
        );
    }
    if field("client_id") != teams.client_id || field("client_secret") != teams.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    if field("scope") != GRAPH_SCOPE {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        );
    }
    let access_token = format!("eyJ0eXAiOiJKV1QifQ.{}.local", uuid::Uuid::new_v4().simple());
    let mut data = teams.data.lock().unwrap();
    let now = Instant::now();
    data.tokens.retain(|_, expiry| *expiry > now);
    data.tokens
        .insert(access_token.clone(), now + TOKEN_LIFETIME);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "ext_expires_in": TOKEN_LIFETIME.as_secs(),
        "access_token": access_token,
    }))
    .into_response()
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {
            "code": code,
            "message": message,
            "innerError": {"date": now_rfc3339(), "request-id": uuid::Uuid::new_v4().to_string()},
        }})),
    )
        .into_response()
}

/// What Graph answers an app-only (client credentials) token posting a channel or chat
/// message outside a migration.
pub const APP_ONLY_POST_REFUSED: &str = "Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.";

/// Both Graph message endpoints: a missing or unknown token is refused as such; a valid token
/// is app-only (this stand-in issues no other kind), which Graph refuses for live messages.
fn refuse_graph_message(teams: &TeamsStandIn, headers: &HeaderMap) -> Response {
    let data = teams.data.lock().unwrap();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let valid = token
        .and_then(|t| data.tokens.get(t))
        .is_some_and(|expiry| *expiry > Instant::now());
    let (code, message) = match (token, valid) {
        (None, _) => ("InvalidAuthenticationToken", "Access token is empty."),
        (Some(_), false) => (
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed or was not issued for this resource.",
        ),
        (Some(_), true) => ("Unauthorized", APP_ONLY_POST_REFUSED),
    };
    graph_error(StatusCode::UNAUTHORIZED, code, message)
}

async fn channel_message(State(teams): State<Arc<TeamsStandIn>>, headers: HeaderMap) -> Response {
    refuse_graph_message(&teams, &headers)
}

async fn chat_message(State(teams): State<Arc<TeamsStandIn>>, headers: HeaderMap) -> Response {
    refuse_graph_message(&teams, &headers)
}

async fn messages(State(teams): State<Arc<TeamsStandIn>>) -> Json<Value> {
    Json(teams.snapshot())
}

/// `{"count": N, "retryAfter": S}`: the next N webhook requests are answered
/// 429 with `Retry-After: S`.
async fn rate_limit(State(teams): State<Arc<TeamsStandIn>>, Json(body): Json<Value>) -> StatusCode {
    let mut data = teams.data.lock().unwrap();
    data.rate_limited = body["count"].as_u64().unwrap_or(1) as u32;
    data.retry_after = body["retryAfter"].as_u64().unwrap_or(1);
    StatusCode::NO_CONTENT
}

/// Forgets messages, tokens, rate windows and a pending rate limit.
async fn reset(State(teams): State<Arc<TeamsStandIn>>) -> StatusCode {
    *teams.data.lock().unwrap() = Data::new();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests;
