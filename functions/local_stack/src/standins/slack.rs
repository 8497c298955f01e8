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
//! Workspace: team T0LOCAL; users U0ALICE (alice), U0BOB (bob), U0CAROL (carol); channels
//! C0APPROVALS (#approvals), C0GENERAL (#general) and C0PRIVATE (#private, the bot is not a
//! member); a user id as channel opens the bot's DM with that user (D…).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

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
/// Block Kit limits Slack enforces with `invalid_blocks`.
const MAX_BLOCKS: usize = 50;
const MAX_BUTTON_VALUE: usize = 2000;
const MAX_ACTION_ELEMENTS: usize = 25;

#[derive(Clone, Debug)]
struct Message {
    channel: String,
    ts: String,
    text: String,
    blocks: Vec<Value>,
    /// The blocks as first posted: what a client that has not refreshed still shows.
    original_blocks: Vec<Value>,
    thread_ts: Option<String>,
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
            .route("/_control/rate-limit", post(rate_limit))
            .with_state(self)
    }

    /// Every message (latest version) and ephemeral note, for the local page and tests.
    pub fn snapshot(&self) -> Value {
        let data = self.data.lock().unwrap();
        json!({
            "messages": data.messages.iter().map(|m| json!({
                "channel": m.channel, "channelName": channel_name(&m.channel), "ts": m.ts,
                "text": m.text, "blocks": m.blocks, "threadTs": m.thread_ts, "edits": m.edits,
            })).collect::<Vec<_>>(),
            "ephemerals": data.ephemerals.iter().map(|e| json!({
                "channel": e.channel, "user": e.user, "text": e.text,
            })).collect::<Vec<_>>(),
            "calls": data.calls,
            "users": USERS.iter().map(|(id, name, real)| json!({"id": id, "name": name, "realName": real})).collect::<Vec<_>>(),
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

fn slack_error(code: &str) -> Response {
    Json(json!({"ok": false, "error": code})).into_response()
}

/// The arguments of a Web API call: a JSON body, or form fields (with `blocks` as a JSON
/// string), as Slack accepts both.
fn arguments(headers: &HeaderMap, body: &Bytes) -> Option<Map<String, Value>> {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        return serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.as_object().cloned());
    }
    let mut args = Map::new();
    for (k, v) in form_urlencoded::parse(body) {
        let value = if k == "blocks" {
            serde_json::from_str(&v).unwrap_or(Value::String(v.into_owned()))
        } else {
            Value::String(v.into_owned())
        };
        args.insert(k.into_owned(), value);
    }
    Some(args)
}

fn validate_blocks(blocks: &Value) -> Result<Vec<Value>, &'static str> {
    let Some(blocks) = blocks.as_array() else {
        return Err("invalid_blocks_format");
    };
    if blocks.len() > MAX_BLOCKS {
        return Err("invalid_blocks");
    }
    for block in blocks {
        if !block["type"].is_string() {
            return Err("invalid_blocks");
        }
        if block["type"] == "actions" {
            let elements = block["elements"].as_array().ok_or("invalid_blocks")?;
            if elements.is_empty() || elements.len() > MAX_ACTION_ELEMENTS {
                return Err("invalid_blocks");
            }
            let mut ids = std::collections::HashSet::new();
            for e in elements {
                if e["type"] == "button" {
                    let label_ok =
                        e["text"]["type"] == "plain_text" && e["text"]["text"].is_string();
                    let value_ok = e["value"]
                        .as_str()
                        .is_none_or(|v| v.chars().count() <= MAX_BUTTON_VALUE);
                    let style_ok = matches!(e["style"].as_str(), None | Some("primary" | "danger"));
                    if !label_ok || !value_ok || !style_ok {
                        return Err("invalid_blocks");
                    }
                }
                if let Some(id) = e["action_id"].as_str() {
                    if !ids.insert(id.to_string()) {
                        return Err("invalid_blocks");
                    }
                }
            }
        }
    }
    Ok(blocks.clone())
}

async fn web_api(
    State(slack): State<Arc<SlackStandIn>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    {
        let mut data = slack.data.lock().unwrap();
        data.calls.push(method.clone());
        if data.rate_limited > 0 {
            data.rate_limited -= 1;
            let retry_after = data.retry_after.to_string();
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", retry_after)],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response();
        }
    }
    let Some(args) = arguments(&headers, &body) else {
        return slack_error("invalid_json");
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| {
            args.get("token")
                .and_then(|t| t.as_str())
                .map(str::to_string)
        });
    match token {
        None => return slack_error("not_authed"),
        Some(t) if t != slack.bot_token => return slack_error("invalid_auth"),
        Some(_) => {}
    }
    let arg = |name: &str| args.get(name).and_then(|v| v.as_str()).map(str::to_string);
    match method.as_str() {
        "chat.postMessage" => {
            let Some(channel) = arg("channel") else {
                return slack_error("channel_not_found");
            };
            let channel = match resolve_channel(&channel) {
                Ok(c) => c,
                Err(code) => return slack_error(code),
            };
            let blocks = match args.get("blocks") {
                Some(b) => match validate_blocks(b) {
                    Ok(b) => b,
                    Err(code) => return slack_error(code),
                },
                None => Vec::new(),
            };
            let text = arg("text").unwrap_or_default();
            if text.is_empty() && blocks.is_empty() {
                return slack_error("no_text");
            }
            let thread_ts = arg("thread_ts");
            let mut data = slack.data.lock().unwrap();
            if let Some(parent) = &thread_ts {
                if !data
                    .messages
                    .iter()
                    .any(|m| m.channel == channel && &m.ts == parent)
                {
                    return slack_error("thread_not_found");
                }
            }
            let ts = slack.next_ts();
            data.messages.push(Message {
                channel: channel.clone(),
                ts: ts.clone(),
                text: text.clone(),
                blocks: blocks.clone(),
                original_blocks: blocks.clone(),
                thread_ts,
                edits: 0,
            });
            Json(json!({
                "ok": true, "channel": channel, "ts": ts,
                "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, "text": text, "blocks": blocks},
            }))
            .into_response()
        }
        "chat.update" => {
            let (Some(channel), Some(ts)) = (arg("channel"), arg("ts")) else {
                return slack_error("message_not_found");
            };
            let blocks = match args.get("blocks") {
                Some(b) => match validate_blocks(b) {
                    Ok(b) => Some(b),
                    Err(code) => return slack_error(code),
                },
                None => None,
            };
            let text = arg("text");
            let mut data = slack.data.lock().unwrap();
            let Some(message) = data
                .messages
                .iter_mut()
                .find(|m| m.channel == channel && m.ts == ts)
            else {
                return slack_error("message_not_found");
            };
            if let Some(text) = &text {
                message.text = text.clone();
            }
            if let Some(blocks) = blocks {
                message.blocks = blocks;
            }
            message.edits += 1;
            Json(json!({"ok": true, "channel": channel, "ts": ts, "text": message.text}))
                .into_response()
        }
        "chat.postEphemeral" => {
            let (Some(channel), Some(user)) = (arg("channel"), arg("user")) else {
                return slack_error("channel_not_found");
            };
            let channel = match resolve_channel(&channel) {
                Ok(c) => c,
                Err(code) => return slack_error(code),
            };
            if !USERS.iter().any(|(id, _, _)| *id == user) {
                return slack_error("user_not_found");
            }
            let text = arg("text").unwrap_or_default();
            if text.is_empty() && args.get("blocks").is_none() {
                return slack_error("no_text");
            }
            slack.data.lock().unwrap().ephemerals.push(Ephemeral {
                channel,
                user,
                text,
            });
            Json(json!({"ok": true, "message_ts": slack.next_ts()})).into_response()
        }
        _ => slack_error("unknown_method"),
    }
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

/// A person clicks a button: `{channel, ts, user, value? | actionId? | index?}`. Answers with
/// what the interactivity endpoint answered Slack (`{status, body}`).
///
/// Test hooks for what an attacker could send: `timestamp` (unix seconds) signs the request as
/// if sent then (a replay of a captured request), `signingSecret` signs with another secret (a
/// forgery), `stale: true` clicks the message as first posted (a client that still shows the
/// buttons after an update, or two people clicking at once), `teamId` clicks as a member of
/// another workspace (a Slack Connect channel shared with another organisation).
async fn click(State(slack): State<Arc<SlackStandIn>>, Json(body): Json<Value>) -> Response {
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_string();
    let button = match (body["value"].as_str(), body["actionId"].as_str()) {
        (Some(value), _) => ButtonChoice::Value(value.to_string()),
        (None, Some(id)) => ButtonChoice::ActionId(id.to_string()),
        (None, None) => ButtonChoice::Index(body["index"].as_u64().unwrap_or(0) as usize),
    };
    let options = ClickOptions {
        timestamp: body["timestamp"].as_i64(),
        signing_secret: body["signingSecret"].as_str().map(str::to_string),
        stale: body["stale"].as_bool().unwrap_or(false),
        team_id: body["teamId"].as_str().map(str::to_string),
    };
    match slack
        .click_with(
            &field("channel"),
            &field("ts"),
            &field("user"),
            &button,
            &options,
        )
        .await
    {
        Ok((status, body)) => Json(json!({"status": status, "body": body})).into_response(),
        Err((status, message)) => (status, message).into_response(),
    }
}

/// Which button of a message is clicked.
pub enum ButtonChoice {
    Index(usize),
    Value(String),
    ActionId(String),
}

/// How the request of a click is signed (tests of replays and forgeries).
#[derive(Default)]
pub struct ClickOptions {
    pub timestamp: Option<i64>,
    pub signing_secret: Option<String>,
    pub stale: bool,
    /// The clicker's workspace, when not this one.
    pub team_id: Option<String>,
}

impl SlackStandIn {
    /// Sends the signed `block_actions` request Slack sends when `user_id` clicks `choice` on
    /// the message; returns the interactivity endpoint's status and body.
    pub async fn click(
        &self,
        channel: &str,
        ts: &str,
        user_id: &str,
        choice: &ButtonChoice,
    ) -> Result<(u16, String), (StatusCode, String)> {
        self.click_with(channel, ts, user_id, choice, &ClickOptions::default())
            .await
    }

    pub async fn click_with(
        &self,
        channel: &str,
        ts: &str,
        user_id: &str,
        choice: &ButtonChoice,
        options: &ClickOptions,
    ) -> Result<(u16, String), (StatusCode, String)> {
        let Some((_, username, _)) = USERS.iter().find(|(id, _, _)| *id == user_id) else {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("unknown user {user_id:?}; one of U0ALICE, U0BOB, U0CAROL"),
            ));
        };
        let Some(message) = self
            .data
            .lock()
            .unwrap()
            .messages
            .iter()
            .find(|m| m.channel == channel && m.ts == ts)
            .cloned()
        else {
            return Err((StatusCode::NOT_FOUND, "no such message".into()));
        };
        let shown = if options.stale {
            &message.original_blocks
        } else {
            &message.blocks
        };
        let buttons: Vec<(Value, Value)> = shown
            .iter()
            .filter(|b| b["type"] == "actions")
            .flat_map(|b| {
                b["elements"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| e["type"] == "button")
                    .map(|e| (b["block_id"].clone(), e))
                    .collect::<Vec<_>>()
            })
            .collect();
        let chosen = match choice {
            ButtonChoice::Value(value) => {
                buttons.iter().find(|(_, e)| e["value"] == value.as_str())
            }
            ButtonChoice::ActionId(id) => {
                buttons.iter().find(|(_, e)| e["action_id"] == id.as_str())
            }
            ButtonChoice::Index(i) => buttons.get(*i),
        };
        let Some((block_id, button)) = chosen.cloned() else {
            return Err((
                StatusCode::CONFLICT,
                "the message has no such button (any more)".into(),
            ));
        };
        let action_ts = self.next_ts();
        let mut action = json!({
            "action_id": button["action_id"], "block_id": block_id, "text": button["text"],
            "type": "button", "action_ts": action_ts,
        });
        for key in ["value", "style"] {
            if !button[key].is_null() {
                action[key] = button[key].clone();
            }
        }
        let team = options.team_id.as_deref().unwrap_or(TEAM_ID);
        let payload = json!({
            "type": "block_actions",
            "user": {"id": user_id, "username": username, "name": username, "team_id": team},
            "api_app_id": "A0HITL",
            "token": "deprecated-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
            "trigger_id": format!("{}.local", action_ts.replace('.', "")),
            "team": {"id": team, "domain": "local"},
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": {"id": channel, "name": channel_name(channel).trim_start_matches('#')},
            "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, "text": message.text, "blocks": shown},
            "state": {"values": {}},
            "response_url": "https://hooks.slack.com/actions/T0LOCAL/local/response",
            "actions": [action],
        });
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        let timestamp = options
            .timestamp
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp())
            .to_string();
        let secret = options
            .signing_secret
            .as_deref()
            .unwrap_or(&self.signing_secret);
        let signature = hitl_signature(secret, &timestamp, form.as_bytes());
        let answer = self
            .http
            .post(&self.interactivity_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", &timestamp)
            .header("x-slack-signature", signature)
            .header("user-agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
            .body(form)
            .send()
            .await
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
        let status = answer.status().as_u16();
        Ok((status, answer.text().await.unwrap_or_default()))
    }
}

/// Slack's v0 signature, computed here on its own (not with the code under test):
/// `v0=` + hex(HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")).
fn hitl_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
