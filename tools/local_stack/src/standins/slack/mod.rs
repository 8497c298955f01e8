//! Slack stand-in: the Web API methods our adapter calls (`chat.postMessage`, `chat.update`,
//! `chat.postEphemeral`), with Slack's behaviour: bearer-token auth answered as
//! `{"ok":false,"error":"invalid_auth"}`, HTTP 200 with `ok:false` error codes
//! (`channel_not_found`, `not_in_channel`, `message_not_found`, `invalid_blocks`, ...), and 429
//! with `Retry-After` when rate limited.
//!
//! It also plays Slack's side of interactivity: a click (from the local page or a test) becomes
//! the `block_actions` payload Slack would send, form-encoded as `payload=…`, signed with the
//! signing secret (`X-Slack-Signature`, `X-Slack-Request-Timestamp`) and POSTed to the
//! interactivity URL, the Decision API's `/slack/interactions`.
//!
//! `views.open` opens a modal with a click's `trigger_id` (once, within 3 s, as Slack); a test or
//! the local page submits it (`/_control/submit`), which sends the signed `view_submission`.
//!
//! `users.lookupByEmail` finds a user by address (`users_not_found` otherwise) when the token
//! has `users:read.email`; `username`/`icon_emoji`/`icon_url` on a post take effect with
//! `chat:write.customize` (without it Slack posts under the app's name). Both scopes are
//! granted until a test takes them away (`/_control/scopes`).
//!
//! Workspace: team T0LOCAL; users U0ALICE (alice), U0BOB (bob), U0CAROL (carol), whose
//! addresses are `{name}@example.com`; channels
//! C0APPROVALS (#approvals), C0GENERAL (#general) and C0PRIVATE (#private, the bot is not a
//! member); a user id as channel opens the bot's DM with that user (D…).

mod click;
mod elements;
mod views;
mod web_api;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use click::click;
pub use click::{ButtonChoice, ClickOptions};
pub use views::TRIGGER_LIFETIME;
use web_api::web_api;

pub const TEAM_ID: &str = "T0LOCAL";
const BOT_USER: &str = "U0HITLBOT";
const BOT_ID: &str = "B0HITL";
pub const USERS: &[(&str, &str, &str)] = &[
    ("U0ALICE", "alice", "Alice Approver"),
    ("U0BOB", "bob", "Bob Builder"),
    ("U0CAROL", "carol", "Carol Finops"),
];
/// (id, name, bot is a member)
const CHANNELS: &[(&str, &str, bool)] = &[
    ("C0APPROVALS", "approvals", true),
    ("C0GENERAL", "general", true),
    ("C0PRIVATE", "private", false),
];

#[derive(Clone, Debug)]
struct Message {
    channel: String,
    ts: String,
    text: String,
    blocks: Vec<Value>,
    /// The blocks as first posted: what a client that has not refreshed still shows.
    original_blocks: Vec<Value>,
    thread_ts: Option<String>,
    /// `username`, `icon_emoji`, `icon_url` as the post set them (with the scope).
    persona: Value,
    /// `unfurl_links` / `unfurl_media` as the post set them (`null`: Slack's default).
    unfurl: Value,
    edits: u32,
}

#[derive(Clone, Debug)]
struct Ephemeral {
    channel: String,
    user: String,
    text: String,
}

#[derive(Default)]
struct Data {
    messages: Vec<Message>,
    ephemerals: Vec<Ephemeral>,
    /// Requests still to be answered 429, and their Retry-After.
    rate_limited: u32,
    retry_after: u64,
    /// Every Web API call, by method (for tests: "did it retry?").
    calls: Vec<String>,
    /// Scopes taken away from the bot token (all granted by default).
    missing_scopes: Vec<String>,
    /// The `trigger_id`s clicks handed out, for `views.open`.
    triggers: std::collections::HashMap<String, views::Trigger>,
    /// Modals opened with `views.open`, open or done.
    views: Vec<views::OpenView>,
}

/// A user's email address in this workspace.
fn email_of(name: &str) -> String {
    format!("{name}@example.com")
}

pub struct SlackStandIn {
    bot_token: String,
    signing_secret: String,
    interactivity_url: String,
    data: Mutex<Data>,
    counter: AtomicU64,
    http: reqwest::Client,
}

impl SlackStandIn {
    pub fn new(bot_token: &str, signing_secret: &str, interactivity_url: &str) -> Arc<Self> {
        Arc::new(SlackStandIn {
            bot_token: bot_token.into(),
            signing_secret: signing_secret.into(),
            interactivity_url: interactivity_url.into(),
            data: Mutex::default(),
            counter: AtomicU64::new(0),
            http: reqwest::Client::new(),
        })
    }

    /// Under `/_standins/slack`: the Web API at `/api/{method}`, test hooks at `/_control/…`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/api/{method}", post(web_api))
            .route("/_control/messages", get(messages))
            .route("/_control/click", post(click))
            .route("/_control/submit", post(views::submit))
            .route("/_control/rate-limit", post(rate_limit))
            .route("/_control/scopes", post(scopes))
            .route("/_control/delete", post(delete))
            .with_state(self)
    }

    /// Every message (latest version) and ephemeral note, for the local page and tests.
    pub fn snapshot(&self) -> Value {
        let data = self.data.lock().unwrap();
        json!({
            "messages": data.messages.iter().map(|m| json!({
                "channel": m.channel, "channelName": channel_name(&m.channel), "ts": m.ts,
                "text": m.text, "blocks": m.blocks, "threadTs": m.thread_ts, "edits": m.edits,
                "persona": m.persona, "unfurl": m.unfurl,
            })).collect::<Vec<_>>(),
            "ephemerals": data.ephemerals.iter().map(|e| json!({
                "channel": e.channel, "user": e.user, "text": e.text,
            })).collect::<Vec<_>>(),
            "calls": data.calls,
            "views": data.views.iter().map(views::OpenView::snapshot).collect::<Vec<_>>(),
            "users": USERS.iter().map(|(id, name, real)| json!({"id": id, "name": name, "realName": real, "email": email_of(name)})).collect::<Vec<_>>(),
        })
    }

    fn next_ts(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        format!(
            "{}.{n:06}",
            time::OffsetDateTime::now_utc().unix_timestamp()
        )
    }
}

fn channel_name(id: &str) -> String {
    CHANNELS
        .iter()
        .find(|(cid, _, _)| *cid == id)
        .map(|(_, name, _)| format!("#{name}"))
        .or_else(|| {
            id.strip_prefix('D')
                .and_then(|rest| USERS.iter().find(|(uid, _, _)| uid[1..] == *rest))
                .map(|(_, name, _)| format!("DM with @{name}"))
        })
        .unwrap_or_else(|| id.to_string())
}

/// Resolves what `chat.postMessage` accepts as `channel`: an id, `#name`, `name`, or a user id
/// (the bot's DM with that user).
fn resolve_channel(channel: &str) -> Result<String, &'static str> {
    let name = channel.trim_start_matches('#');
    if let Some((id, _, member)) = CHANNELS
        .iter()
        .find(|(id, n, _)| *id == channel || *n == name)
    {
        return if *member {
            Ok(id.to_string())
        } else {
            Err("not_in_channel")
        };
    }
    if USERS.iter().any(|(id, _, _)| *id == channel) {
        return Ok(format!("D{}", &channel[1..]));
    }
    if channel.starts_with('D') && USERS.iter().any(|(id, _, _)| id[1..] == channel[1..]) {
        return Ok(channel.to_string());
    }
    Err("channel_not_found")
}

async fn messages(State(slack): State<Arc<SlackStandIn>>) -> Json<Value> {
    Json(slack.snapshot())
}

async fn rate_limit(State(slack): State<Arc<SlackStandIn>>, Json(body): Json<Value>) -> StatusCode {
    let mut data = slack.data.lock().unwrap();
    data.rate_limited = body["count"].as_u64().unwrap_or(1) as u32;
    data.retry_after = body["retryAfter"].as_u64().unwrap_or(1);
    StatusCode::NO_CONTENT
}

/// `{"missing": ["users:read.email", ...]}`: the bot token lacks these scopes from now on
/// (`[]` grants everything again).
async fn scopes(State(slack): State<Arc<SlackStandIn>>, Json(body): Json<Value>) -> StatusCode {
    let missing = body["missing"].as_array().cloned().unwrap_or_default();
    slack.data.lock().unwrap().missing_scopes = missing
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    StatusCode::NO_CONTENT
}

/// `{"channel", "ts"}`: a person deletes the message in Slack; from then on `chat.update` of it
/// answers `message_not_found`, as Slack's does. 404 when there is no such message.
async fn delete(State(slack): State<Arc<SlackStandIn>>, Json(body): Json<Value>) -> StatusCode {
    let (channel, ts) = (body["channel"].as_str(), body["ts"].as_str());
    let mut data = slack.data.lock().unwrap();
    let before = data.messages.len();
    data.messages
        .retain(|m| Some(m.channel.as_str()) != channel || Some(m.ts.as_str()) != ts);
    if data.messages.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}
