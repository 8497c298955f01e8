//! Slack's Web API with a bot token: `chat.postMessage`, `chat.update`, `chat.postEphemeral`.
//!
//! Slack answers HTTP 200 with `{"ok": false, "error": "channel_not_found"}` for most failures
//! and 429 with `Retry-After` when rate limited; both become named errors here.

use async_trait::async_trait;
use hitl_domain::slack::{SlackMessage, SlackMessenger};
use hitl_domain::{HitlError, MessageRef, Service, ServiceErrorKind};
use serde_json::{json, Value};

use crate::http::ServiceHttp;

pub const DEFAULT_API_URL: &str = "https://slack.com/api";

pub struct SlackWebApi {
    http: ServiceHttp,
    api_url: String,
    bot_token: String,
}

impl SlackWebApi {
    pub fn new(api_url: &str, bot_token: &str) -> Self {
        SlackWebApi {
            http: ServiceHttp::new(Service::Slack),
            api_url: api_url.trim_end_matches('/').to_string(),
            bot_token: bot_token.to_string(),
        }
    }

    /// `SLACK_BOT_TOKEN` (required) and `SLACK_API_URL` (Slack's own by default).
    pub fn from_env() -> Result<Self, HitlError> {
        let token = std::env::var("SLACK_BOT_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                HitlError::Config("SLACK_BOT_TOKEN is not set (the bot's xoxb- token)".into())
            })?;
        let api_url = std::env::var("SLACK_API_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        Ok(SlackWebApi::new(&api_url, &token))
    }

    /// Calls a Web API method with a JSON body; returns the answer when `ok` is true.
    async fn call(&self, method: &str, body: Value) -> Result<Value, HitlError> {
        let url = format!("{}/{method}", self.api_url);
        let response = self
            .http
            .send(method, |client| {
                client
                    .post(&url)
                    .bearer_auth(&self.bot_token)
                    .header("content-type", "application/json; charset=utf-8")
                    .body(body.to_string())
            })
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let answer: Value = serde_json::from_str(&text)
            .map_err(|_| self.http.status_error(method, status, &text))?;
        if answer["ok"] == true {
            return Ok(answer);
        }
        let code = answer["error"].as_str().unwrap_or("unknown_error");
        Err(HitlError::service(
            Service::Slack,
            error_kind(code),
            format!("{method}: {code}{}", hint(code)),
        ))
    }
}

/// Slack's error codes, grouped by what a workflow would do about them.
fn error_kind(code: &str) -> ServiceErrorKind {
    match code {
        "channel_not_found" | "user_not_found" | "is_archived" | "cannot_dm_bot" => {
            ServiceErrorKind::ChannelNotFound
        }
        "not_in_channel" => ServiceErrorKind::NotInChannel,
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive"
        | "missing_scope" | "no_permission" => ServiceErrorKind::Unauthorized,
        "message_not_found" | "cant_update_message" | "edit_window_closed" => {
            ServiceErrorKind::MessageNotFound
        }
        "invalid_blocks"
        | "invalid_blocks_format"
        | "msg_too_long"
        | "no_text"
        | "too_many_attachments" => ServiceErrorKind::InvalidMessage,
        "ratelimited" | "rate_limited" => ServiceErrorKind::RateLimited,
        "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
            ServiceErrorKind::Unavailable
        }
        _ => ServiceErrorKind::ApiError,
    }
}

fn hint(code: &str) -> &'static str {
    match code {
        "not_in_channel" => " (invite the app to the channel first)",
        "missing_scope" => " (the app needs the chat:write scope)",
        "channel_not_found" => " (use a channel id such as C0123ABCD, or invite the app)",
        _ => "",
    }
}

#[async_trait]
impl SlackMessenger for SlackWebApi {
    async fn post(&self, channel: &str, message: &SlackMessage) -> Result<MessageRef, HitlError> {
        let mut body = json!({"channel": channel, "text": message.text});
        if let Some(blocks) = &message.blocks {
            body["blocks"] = json!(blocks);
        }
        if let Some(ts) = &message.thread_ts {
            body["thread_ts"] = json!(ts);
        }
        let answer = self.call("chat.postMessage", body).await?;
        match (answer["channel"].as_str(), answer["ts"].as_str()) {
            (Some(channel), Some(ts)) => Ok(MessageRef {
                channel: channel.to_string(),
                ts: ts.to_string(),
            }),
            _ => Err(HitlError::service(
                Service::Slack,
                ServiceErrorKind::ApiError,
                "chat.postMessage answered without channel and ts",
            )),
        }
    }

    async fn update(&self, target: &MessageRef, message: &SlackMessage) -> Result<(), HitlError> {
        let mut body = json!({"channel": target.channel, "ts": target.ts, "text": message.text});
        // An update without blocks keeps the old ones; an empty list removes them.
        body["blocks"] = json!(message.blocks.clone().unwrap_or_default());
        self.call("chat.update", body).await.map(|_| ())
    }

    async fn post_ephemeral(&self, channel: &str, user: &str, text: &str) -> Result<(), HitlError> {
        self.call(
            "chat.postEphemeral",
            json!({"channel": channel, "user": user, "text": text}),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_error_codes_get_named_errors() {
        let named = |code| HitlError::service(Service::Slack, error_kind(code), "x").name();
        assert_eq!(named("channel_not_found"), "Slack.ChannelNotFound");
        assert_eq!(named("not_in_channel"), "Slack.NotInChannel");
        assert_eq!(named("invalid_auth"), "Slack.Unauthorized");
        assert_eq!(named("invalid_blocks"), "Slack.InvalidMessage");
        assert_eq!(named("message_not_found"), "Slack.MessageNotFound");
        assert_eq!(named("something_new"), "Slack.ApiError");
    }
}
