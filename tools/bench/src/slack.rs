//! Slack for the bench: the local stack's Slack stand-in, served here with credentials the
//! bench knows, and the signed `block_actions` request of a click on a posted message, as
//! Slack sends it (the message's own blocks, the v0 signature), turned into the HttpApi event
//! the Decision API gets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use hmac::{KeyInit, Mac};
use local_stack::http_api;
use local_stack::standins::slack::{SlackStandIn, TEAM_ID};
use serde_json::{json, Value};

use crate::prep::{SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET};

pub struct Slack {
    pub standin: Arc<SlackStandIn>,
    pub address: SocketAddr,
}

impl Slack {
    /// Serves the stand-in on a free loopback port (its Web API under `/slack/api`).
    pub async fn serve() -> anyhow::Result<Self> {
        let standin =
            SlackStandIn::new(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, "http://127.0.0.1:9/");
        let app = axum::Router::new().nest("/slack", standin.clone().router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind the Slack stand-in")?;
        let address = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Slack { standin, address })
    }

    /// The plain Web API URL (for the unmeasured helpers).
    pub fn plain_api_url(&self) -> String {
        format!("http://{}/slack/api", self.address)
    }

    /// The messages the stand-in holds, by `(channel, ts)`.
    fn messages(&self) -> HashMap<(String, String), Value> {
        let snapshot = self.standin.snapshot();
        let messages = snapshot["messages"].as_array().cloned().unwrap_or_default();
        messages
            .into_iter()
            .map(|m| {
                let key = (text(&m["channel"]), text(&m["ts"]));
                (key, m)
            })
            .collect()
    }

    /// Alice's click on Approve of each posted message (`{approvalId, channel, ts}`).
    pub fn click_events(&self, posted: &[Value]) -> anyhow::Result<Vec<Value>> {
        let messages = self.messages();
        posted
            .iter()
            .map(|p| {
                let key = (text(&p["channel"]), text(&p["ts"]));
                let message = messages
                    .get(&key)
                    .ok_or_else(|| anyhow!("the stand-in has no message {key:?}"))?;
                click_event(message)
            })
            .collect()
    }

    /// How many of the posted messages were updated (after their click).
    pub fn updated(&self, posted: &[Value]) -> usize {
        let messages = self.messages();
        let edits = |p: &Value| {
            let key = (text(&p["channel"]), text(&p["ts"]));
            messages.get(&key).and_then(|m| m["edits"].as_u64())
        };
        posted.iter().filter(|p| edits(p).unwrap_or(0) > 0).count()
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The Approve button of a message: `(block_id, button)`.
fn approve_button(message: &Value) -> Option<(Value, Value)> {
    let blocks = message["blocks"].as_array()?;
    blocks.iter().find_map(|block| {
        let elements = block["elements"].as_array()?;
        let button = elements.iter().find(|e| e["value"] == "approve")?;
        Some((block["block_id"].clone(), button.clone()))
    })
}

/// The HttpApi event of Slack's signed `block_actions` request for Alice's click on Approve.
fn click_event(message: &Value) -> anyhow::Result<Value> {
    let (channel, ts) = (text(&message["channel"]), text(&message["ts"]));
    let (block_id, button) =
        approve_button(message).ok_or_else(|| anyhow!("message {ts} has no Approve button"))?;
    let action = json!({
        "action_id": button["action_id"], "block_id": block_id, "text": button["text"],
        "value": "approve", "style": button["style"], "type": "button", "action_ts": ts,
    });
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0HITL",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
        "trigger_id": "1.bench",
        "team": {"id": TEAM_ID, "domain": "local"},
        "channel": {"id": channel},
        "message": {"type": "message", "ts": ts, "text": message["text"], "blocks": message["blocks"]},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0LOCAL/local/response",
        "actions": [action],
    });
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        .to_string();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("approvals.example.com"));
    let form = HeaderValue::from_static("application/x-www-form-urlencoded");
    headers.insert("content-type", form);
    let header = |v: String| HeaderValue::from_str(&v).map_err(anyhow::Error::from);
    headers.insert("x-slack-request-timestamp", header(timestamp.clone())?);
    let signature = sign(SLACK_SIGNING_SECRET, &timestamp, body.as_bytes());
    headers.insert("x-slack-signature", header(signature)?);
    Ok(http_api::event(
        "POST /slack/interactions",
        &Method::POST,
        &Uri::from_static("/slack/interactions"),
        &headers,
        "127.0.0.1",
        body.as_bytes(),
        serde_json::Map::new(),
    ))
}

/// Slack's v0 signature: `v0=` + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")).
fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
