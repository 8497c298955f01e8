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
//! - A Bot Framework bot (`TeamsStandIn::with_bot`): its token endpoint, Graph's user lookup
//!   and the Bot Connector (1:1 chats, channels and group chats, sending and updating), in
//!   [`bot`], [`bot_connector`] and [`conversations`]; what it delivers is in the same
//!   snapshot (`"via": "bot"`, with what each person sees of it, `"views"`). The Bot
//!   Framework's side toward the bot: its OpenID metadata and keys, and clicks as any person
//!   of the tenant, signed or deliberately mis-signed ([`bot_framework`], [`signing`],
//!   [`views`]).
//! - Test hooks: `GET /_control/messages` (the snapshot), `POST /_control/rate-limit
//!   {"count": N, "retryAfter": S}` (the next N webhook requests are answered 429 with
//!   `Retry-After: S`), `POST /_control/reset`.

pub mod bot;
mod bot_connector;
pub mod bot_framework;
pub mod conversations;
mod graph;
pub mod signing;
mod views;
mod webhook;

use crate::outbox::now_rfc3339;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub use graph::APP_ONLY_POST_REFUSED;
use graph::{channel_message, chat_message, token};
use webhook::webhook;

/// Teams' message size limit.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
/// Workflows webhooks: requests per second per webhook.
pub const WEBHOOK_REQUESTS_PER_SECOND: usize = 4;
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

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
    /// The bot, when the local stack configures one.
    bot: std::sync::OnceLock<bot::Bot>,
}

impl TeamsStandIn {
    /// Graph accepts exactly this app registration (any tenant id); webhooks need nothing.
    pub fn new(client_id: &str, client_secret: &str) -> Arc<Self> {
        Arc::new(TeamsStandIn {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            data: Mutex::new(Data::new()),
            bot: std::sync::OnceLock::new(),
        })
    }

    /// This stand-in with a bot: its app registration, tenant and directory.
    pub fn with_bot(self: Arc<Self>, config: bot::BotConfig) -> Arc<Self> {
        let _ = self.bot.set(bot::Bot::new(config));
        self
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
            .merge(bot::routes())
            .with_state(self)
    }

    /// Every message received, oldest first: `{"id", "via": "webhook", "where": {"webhookId"},
    /// "receivedAt", "card"?, "text"?}`; the bot's (`"via": "bot"`) with `"updates"` and
    /// `"views"` (object id → `{"card", "status", "body", "verb", "version"}`); with a bot,
    /// `"bot": {"users", "conversations"}`.
    pub fn snapshot(&self) -> Value {
        let mut messages = self.data.lock().unwrap().messages.clone();
        for m in messages.iter_mut().filter(|m| m["via"] == "bot") {
            m["views"] = self.views_json(m["id"].as_str().unwrap_or_default());
        }
        let mut snapshot = json!({"messages": messages});
        if let Some(bot) = self.bot.get() {
            snapshot["bot"] =
                json!({"users": bot.users_json(), "conversations": bot.conversations_json()});
        }
        snapshot
    }
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

/// Forgets messages (and what each person saw of the bot's), tokens, rate windows and a
/// pending rate limit.
async fn reset(State(teams): State<Arc<TeamsStandIn>>) -> StatusCode {
    *teams.data.lock().unwrap() = Data::new();
    if let Some(bot) = teams.bot.get() {
        *bot.views.lock().unwrap() = Default::default();
    }
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests;
