//! The Web API methods our adapter calls: `chat.postMessage`, `chat.update`,
//! `chat.postEphemeral`, `users.lookupByEmail`, `views.open` (in `views`), behind Slack's rate limit and bearer-token
//! auth.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{email_of, resolve_channel, Ephemeral, Message, SlackStandIn, BOT_ID, BOT_USER, USERS};

/// Block Kit limits Slack enforces with `invalid_blocks`.
const MAX_BLOCKS: usize = 50;
const MAX_BUTTON_VALUE: usize = 2000;
const MAX_ACTION_ELEMENTS: usize = 25;
/// Slack's limit for a section's text and a context element's text.
const MAX_TEXT_CHARS: usize = 3000;

type Args = Map<String, Value>;

pub(super) async fn web_api(
    State(slack): State<Arc<SlackStandIn>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(throttled) = rate_limited(&slack, &method) {
        return throttled;
    }
    let Some(args) = arguments(&headers, &body) else {
        return slack_error("invalid_json");
    };
    if let Some(refused) = unauthenticated(&slack, &headers, &args) {
        return refused;
    }
    match method.as_str() {
        "chat.postMessage" => post_message(&slack, &args),
        "chat.update" => update(&slack, &args),
        "chat.postEphemeral" => post_ephemeral(&slack, &args),
        "users.lookupByEmail" => lookup_by_email(&slack, &args),
        "views.open" => super::views::views_open(&slack, &args),
        _ => slack_error("unknown_method"),
    }
}

/// Records the call; a 429 with Retry-After while the rate-limit hook says so.
fn rate_limited(slack: &SlackStandIn, method: &str) -> Option<Response> {
    let mut data = slack.data.lock().unwrap();
    data.calls.push(method.to_string());
    if data.rate_limited == 0 {
        return None;
    }
    data.rate_limited -= 1;
    let retry_after = data.retry_after.to_string();
    Some(
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after)],
            Json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response(),
    )
}

/// Slack's answer when the call lacks the bot token (a bearer header or a `token` argument).
fn unauthenticated(slack: &SlackStandIn, headers: &HeaderMap, args: &Args) -> Option<Response> {
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
        None => Some(slack_error("not_authed")),
        Some(t) if t != slack.bot_token => Some(slack_error("invalid_auth")),
        Some(_) => None,
    }
}

fn arg(args: &Args, name: &str) -> Option<String> {
    args.get(name).and_then(|v| v.as_str()).map(str::to_string)
}

fn post_message(slack: &SlackStandIn, args: &Args) -> Response {
    let Some(channel) = arg(args, "channel") else {
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
    let text = arg(args, "text").unwrap_or_default();
    if text.is_empty() && blocks.is_empty() {
        return slack_error("no_text");
    }
    let thread_ts = arg(args, "thread_ts");
    let persona = match persona(slack, args) {
        Ok(p) => p,
        Err(code) => return slack_error(code),
    };
    let Some(unfurl) = unfurl(args) else {
        return slack_error("invalid_arguments");
    };
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
        persona,
        unfurl,
        edits: 0,
    });
    Json(json!({
        "ok": true, "channel": channel, "ts": ts,
        "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, "text": text, "blocks": blocks},
    }))
    .into_response()
}

fn update(slack: &SlackStandIn, args: &Args) -> Response {
    let (Some(channel), Some(ts)) = (arg(args, "channel"), arg(args, "ts")) else {
        return slack_error("message_not_found");
    };
    let blocks = match args.get("blocks") {
        Some(b) => match validate_blocks(b) {
            Ok(b) => Some(b),
            Err(code) => return slack_error(code),
        },
        None => None,
    };
    let text = arg(args, "text");
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
    Json(json!({"ok": true, "channel": channel, "ts": ts, "text": message.text})).into_response()
}

fn post_ephemeral(slack: &SlackStandIn, args: &Args) -> Response {
    let (Some(channel), Some(user)) = (arg(args, "channel"), arg(args, "user")) else {
        return slack_error("channel_not_found");
    };
    let channel = match resolve_channel(&channel) {
        Ok(c) => c,
        Err(code) => return slack_error(code),
    };
    if !USERS.iter().any(|(id, _, _)| *id == user) {
        return slack_error("user_not_found");
    }
    let text = arg(args, "text").unwrap_or_default();
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

/// `users.lookupByEmail` (a read method: form arguments or a query, as Slack takes them).
fn lookup_by_email(slack: &SlackStandIn, args: &Args) -> Response {
    if let Some(refused) = missing_scope(slack, "users:read.email") {
        return refused;
    }
    let Some(email) = arg(args, "email") else {
        return slack_error("invalid_arguments");
    };
    match USERS
        .iter()
        .find(|(_, name, _)| email_of(name).eq_ignore_ascii_case(email.trim()))
    {
        Some((id, name, real)) => Json(json!({
            "ok": true,
            "user": {"id": id, "team_id": super::TEAM_ID, "name": name, "real_name": real,
                "deleted": false, "is_bot": false,
                "profile": {"email": email_of(name), "real_name": real, "display_name": name}},
        }))
        .into_response(),
        None => slack_error("users_not_found"),
    }
}

/// Slack's answer to a method whose scope the token lacks.
fn missing_scope(slack: &SlackStandIn, scope: &str) -> Option<Response> {
    let data = slack.data.lock().unwrap();
    data.missing_scopes.iter().any(|s| s == scope).then(|| {
        Json(json!({"ok": false, "error": "missing_scope", "needed": scope, "provided": "chat:write,im:write"}))
            .into_response()
    })
}

/// The post's `unfurl_links` and `unfurl_media`: booleans (Slack also takes `"true"` and
/// `"false"`); anything else is `None` (`invalid_arguments`).
fn unfurl(args: &Args) -> Option<Value> {
    let flag = |name: &str| match args.get(name) {
        None | Some(Value::Null) => Some(Value::Null),
        Some(Value::Bool(b)) => Some(json!(b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Some(json!(s == "true")),
        Some(_) => None,
    };
    Some(json!({"links": flag("unfurl_links")?, "media": flag("unfurl_media")?}))
}

/// The post's `username`, `icon_emoji`, `icon_url`: an emoji is `:name:`, a URL is http(s).
/// Without `chat:write.customize` Slack ignores them (the app's name and icon show).
fn persona(slack: &SlackStandIn, args: &Args) -> Result<Value, &'static str> {
    let (username, emoji, url) = (
        arg(args, "username"),
        arg(args, "icon_emoji"),
        arg(args, "icon_url"),
    );
    if username.as_ref().is_some_and(|u| u.chars().count() > 80) {
        return Err("invalid_arguments");
    }
    if emoji
        .as_ref()
        .is_some_and(|e| e.len() < 3 || !e.starts_with(':') || !e.ends_with(':'))
    {
        return Err("invalid_arguments");
    }
    if url
        .as_ref()
        .is_some_and(|u| !u.starts_with("https://") && !u.starts_with("http://"))
    {
        return Err("invalid_arguments");
    }
    let customized = !slack
        .data
        .lock()
        .unwrap()
        .missing_scopes
        .iter()
        .any(|s| s == "chat:write.customize");
    if !customized {
        return Ok(json!({}));
    }
    let mut persona = json!({});
    for (name, value) in [
        ("username", username),
        ("iconEmoji", emoji),
        ("iconUrl", url),
    ] {
        if let Some(v) = value {
            persona[name] = json!(v);
        }
    }
    Ok(persona)
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

/// A section's text and each context element's text within [`MAX_TEXT_CHARS`].
fn texts_fit(block: &Value) -> bool {
    let fits = |t: &Value| {
        t.as_str()
            .is_none_or(|t| t.chars().count() <= MAX_TEXT_CHARS)
    };
    let context = block["elements"].as_array().into_iter().flatten();
    fits(&block["text"]["text"]) && context.map(|e| &e["text"]).all(fits)
}

fn validate_blocks(blocks: &Value) -> Result<Vec<Value>, &'static str> {
    let Some(blocks) = blocks.as_array() else {
        return Err("invalid_blocks_format");
    };
    if blocks.len() > MAX_BLOCKS {
        return Err("invalid_blocks");
    }
    for block in blocks {
        if !block["type"].is_string() || !texts_fit(block) {
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
