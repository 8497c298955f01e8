//! Microsoft Graph with an app's client credentials: the token (cached until shortly before
//! it expires) and the channel and chat posts.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hitl_domain::teams::{PostedMessage, TeamsMessage, TeamsTarget, Via, CARD_CONTENT_TYPE};
use hitl_domain::{HitlError, ServiceErrorKind};
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use serde_json::{json, Value};

use super::{with_segments, TeamsClient, GRAPH_SCOPE, TOKEN, TOKEN_REFRESH_MARGIN};
use crate::http::Repeat;

pub(super) struct Graph {
    pub(super) base_url: Url,
    pub(super) token_url: Url,
    pub(super) client_id: String,
    pub(super) client_secret: String,
    pub(super) token: Mutex<Option<CachedToken>>,
}

#[derive(Clone)]
pub(super) struct CachedToken {
    pub(super) access_token: String,
    pub(super) refresh_at: Instant,
}

impl TeamsClient {
    /// A cached token, or a new one from the token endpoint.
    pub(super) async fn token(
        &self,
        graph: &Graph,
        deadline: Instant,
    ) -> Result<String, HitlError> {
        if let Some(cached) = graph.token.lock().unwrap().as_ref() {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.access_token.clone());
            }
        }
        let form = [
            ("client_id", graph.client_id.as_str()),
            ("client_secret", graph.client_secret.as_str()),
            ("scope", GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ];
        let reply = self
            .http
            .send_until(deadline, Repeat::Idempotent, TOKEN, |client| {
                client.post(graph.token_url.clone()).form(&form)
            })
            .await?;
        let status = reply.status;
        let answer: Option<Value> = serde_json::from_str(&reply.body).ok();
        if !(200..300).contains(&status) {
            // `{"error": "invalid_client", "error_description": "AADSTS7000215: ..."}`.
            let code = answer
                .as_ref()
                .and_then(|a| a["error"].as_str())
                .unwrap_or("unknown_error");
            let description: String = answer
                .as_ref()
                .and_then(|a| a["error_description"].as_str())
                .and_then(|d| d.lines().next())
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            return Err(match status {
                400 | 401 | 403 | 404 => self.error(
                    ServiceErrorKind::Unauthorized,
                    format!(
                        "{TOKEN}: HTTP {status} {code} {description} (check GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET)"
                    ),
                ),
                _ => self.http.status_error(TOKEN, status, code),
            });
        }
        let answer = answer.unwrap_or_default();
        let access_token = answer["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                self.error(
                    ServiceErrorKind::ApiError,
                    format!("{TOKEN}: the answer has no access_token"),
                )
            })?
            .to_string();
        // Microsoft sends a number; some proxies a string.
        let expires_in = match &answer["expires_in"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .unwrap_or(3599);
        let lifetime = Duration::from_secs(expires_in);
        let usable = lifetime
            .saturating_sub(TOKEN_REFRESH_MARGIN)
            .max(lifetime / 2);
        *graph.token.lock().unwrap() = Some(CachedToken {
            access_token: access_token.clone(),
            refresh_at: Instant::now() + usable,
        });
        Ok(access_token)
    }

    pub(super) async fn post_graph(
        &self,
        graph: &Graph,
        target: &TeamsTarget,
        message: &TeamsMessage,
        deadline: Instant,
    ) -> Result<PostedMessage, HitlError> {
        let (url, what) = match target {
            TeamsTarget::Channel {
                team_id,
                channel_id,
            } => (
                with_segments(
                    &graph.base_url,
                    ["teams", team_id, "channels", channel_id, "messages"],
                ),
                "post to the Teams channel",
            ),
            TeamsTarget::Chat { chat_id } => (
                with_segments(&graph.base_url, ["chats", chat_id, "messages"]),
                "post to the Teams chat",
            ),
            TeamsTarget::Webhook => unreachable!("webhook targets never reach Graph"),
        };
        let body = match message {
            TeamsMessage::Card(card) => json!({
                "body": {"contentType": "html", "content": "<attachment id=\"card1\"></attachment>"},
                "attachments": [{
                    "id": "card1",
                    "contentType": CARD_CONTENT_TYPE,
                    // Graph takes the card as a JSON string.
                    "content": card.to_string(),
                }],
            }),
            TeamsMessage::Text(text) => json!({"body": {"contentType": "text", "content": text}}),
        }
        .to_string();
        let mut fresh_token = false;
        loop {
            let token = self.token(graph, deadline).await?;
            let reply = self
                .http
                .send_until(deadline, Repeat::Once, what, |client| {
                    client
                        .post(url.clone())
                        .bearer_auth(&token)
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.clone())
                })
                .await?;
            let (status, text) = (reply.status, reply.body);
            if (200..300).contains(&status) {
                let id = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| match &v["id"] {
                        Value::String(id) => Some(id.clone()),
                        Value::Number(id) => Some(id.to_string()),
                        _ => None,
                    });
                if id.is_none() {
                    // Posted all the same: failing now would post it twice on a retry.
                    tracing::warn!(what, "Graph answered without a message id");
                }
                return Ok(PostedMessage {
                    via: Via::Graph,
                    message_id: id,
                });
            }
            if status == 401 && !fresh_token {
                // The cached token may have been revoked: one more try with a new one.
                *graph.token.lock().unwrap() = None;
                fresh_token = true;
                continue;
            }
            let detail = graph_error_text(&text);
            return Err(match status {
                400 => self.error(
                    ServiceErrorKind::InvalidMessage,
                    format!("{what}: HTTP 400 {detail}"),
                ),
                413 => self.error(
                    ServiceErrorKind::InvalidMessage,
                    format!("{what}: HTTP 413, the message is over Teams' 28 KB limit"),
                ),
                401 | 403 => self.error(
                    ServiceErrorKind::Unauthorized,
                    format!(
                        "{what}: HTTP {status} {detail} (the app needs Graph permission to post there)"
                    ),
                ),
                404 => self.error(
                    ServiceErrorKind::ChannelNotFound,
                    format!("{what}: HTTP 404 {detail} (check target)"),
                ),
                _ => self.http.status_error(what, status, &detail),
            });
        }
    }
}

/// Graph's `{"error": {"code", "message"}}` as `code: message`; anything else as its start.
fn graph_error_text(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let text = match parsed.as_ref().map(|p| &p["error"]) {
        Some(Value::Object(error)) => format!(
            "{}: {}",
            error.get("code").and_then(Value::as_str).unwrap_or("error"),
            error.get("message").and_then(Value::as_str).unwrap_or("")
        ),
        _ => body.trim().to_string(),
    };
    text.chars().take(300).collect()
}
