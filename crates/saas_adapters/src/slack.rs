//! Slack's Web API with a bot token: `chat.postMessage`, `chat.update`, `chat.postEphemeral`,
//! `users.lookupByEmail`, `views.open`.
//!
//! Slack answers HTTP 200 with `{"ok": false, "error": "channel_not_found"}` for most failures
//! and 429 with `Retry-After` when rate limited; both become named errors here.
//!
//! `chat.update` is safe to repeat; `chat.postMessage` and `chat.postEphemeral` are not: after
//! an ambiguous failure they fail with `Slack.Unconfirmed` instead of posting a second time.

use approvals::ports::{SlackMessage, SlackMessenger};
use approvals::{HitlError, MessageRef, SlackUserId};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use std::time::Duration;

use crate::service_calls::{Repeat, ServiceHttp};
use crate::vendor_errors::vendor_error;

vendor_error!(
    /// What Slack's Web API answered instead of doing what was asked.
    SlackError, SlackErrorKind, "Slack", {
        /// `users_not_found`: no person in the workspace has that email address.
        UserNotFound => Never,
        /// `not_in_channel`: the bot must be invited first.
        NotInChannel => Never,
        /// `message_not_found` (an update of a message that is gone).
        MessageNotFound => Gone,
    }
);

pub const DEFAULT_API_URL: &str = "https://slack.com/api";
/// What one Web API call may take, retries included, in a Task function
/// (`aws_adapters::timeouts::SLACK_CALL`).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(3);

pub struct SlackWebApi {
    http: ServiceHttp,
    api_url: String,
    bot_token: SecretString,
}

impl SlackWebApi {
    pub fn new(api_url: &str, bot_token: &str) -> Self {
        SlackWebApi {
            http: ServiceHttp::new::<SlackError>().with_budget(DEFAULT_BUDGET),
            api_url: api_url.trim_end_matches('/').to_string(),
            bot_token: SecretString::from(bot_token),
        }
    }

    /// The bot token (read from its secret) and the Web API's base URL (`None`: Slack's own).
    pub fn from_token(api_url: Option<&str>, bot_token: &SecretString) -> Self {
        SlackWebApi::new(
            api_url.unwrap_or(DEFAULT_API_URL),
            bot_token.expose_secret(),
        )
    }

    /// What init opens a connection with (`lambda_kit::http_client::open_connections`): `api.test`,
    /// which needs no token and changes nothing.
    pub fn connection_url(api_url: Option<&str>) -> String {
        format!(
            "{}/api.test",
            api_url.unwrap_or(DEFAULT_API_URL).trim_end_matches('/')
        )
    }

    /// Each call (its retries and `Retry-After` waits included) ends within `budget`: the
    /// interactivity path answers Slack within its 3 s with a short one.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.http = self.http.with_budget(budget);
        self
    }

    /// What one call may take, retries and waits included.
    pub fn budget(&self) -> Duration {
        self.http.budget()
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http;
        self
    }

    /// Calls a Web API method with a JSON body; returns the answer when `ok` is true.
    async fn call(&self, method: &str, repeat: Repeat, body: Value) -> Result<Value, HitlError> {
        let body = (JSON, body.to_string());
        self.call_with(method, repeat, body).await
    }

    /// Calls a read method with form arguments (Slack takes JSON bodies for writes only).
    async fn call_form(&self, method: &str, args: &[(&str, &str)]) -> Result<Value, HitlError> {
        let form: Vec<String> = args
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        self.call_with(method, Repeat::Idempotent, (FORM, form.join("&")))
            .await
    }

    async fn call_with(
        &self,
        method: &str,
        repeat: Repeat,
        (content_type, body): (&str, String),
    ) -> Result<Value, HitlError> {
        let url = format!("{}/{method}", self.api_url);
        let reply = self
            .http
            .send_until(self.http.deadline(), repeat, method, |client| {
                client
                    .post(&url)
                    .bearer_auth(self.bot_token.expose_secret())
                    .header("content-type", content_type)
                    .body(body.clone())
            })
            .await?;
        let answer: Value = serde_json::from_str(&reply.body)
            .map_err(|_| self.http.status_error(method, reply.status, &reply.body))?;
        if answer["ok"] == true {
            return Ok(answer);
        }
        let code = answer["error"].as_str().unwrap_or("unknown_error");
        if repeat == Repeat::Once && may_have_acted(code) {
            return Err(self
                .http
                .unconfirmed(method, &format!("Slack answered {code}")));
        }
        let hint = match (code, answer["needed"].as_str()) {
            ("missing_scope", Some(needed)) => format!(" (the app needs the {needed} scope)"),
            _ => hint(code).to_string(),
        };
        Err(SlackError::new(error_kind(code), format!("{method}: {code}{hint}")).into())
    }
}

const JSON: &str = "application/json; charset=utf-8";
const FORM: &str = "application/x-www-form-urlencoded";

/// `application/x-www-form-urlencoded` encoding of one name or value.
fn form_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                encoded.push(byte as char)
            }
            b' ' => encoded.push('+'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Slack's own words for these: "it's possible some aspect of the operation succeeded before
/// the error was raised".
fn may_have_acted(code: &str) -> bool {
    matches!(code, "internal_error" | "fatal_error")
}

/// Slack's error codes, grouped by what a workflow would do about them.
fn error_kind(code: &str) -> SlackErrorKind {
    match code {
        "channel_not_found" | "user_not_found" | "is_archived" | "cannot_dm_bot" => {
            SlackErrorKind::ChannelNotFound
        }
        "users_not_found" => SlackErrorKind::UserNotFound,
        "not_in_channel" => SlackErrorKind::NotInChannel,
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive"
        | "missing_scope" | "no_permission" => SlackErrorKind::Unauthorized,
        "message_not_found" | "cant_update_message" | "edit_window_closed" | "thread_not_found" => {
            SlackErrorKind::MessageNotFound
        }
        "invalid_blocks"
        | "invalid_blocks_format"
        | "msg_too_long"
        | "no_text"
        | "too_many_attachments"
        | "view_too_large" => SlackErrorKind::InvalidMessage,
        "ratelimited" | "rate_limited" => SlackErrorKind::RateLimited,
        "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
            SlackErrorKind::Unavailable
        }
        _ => SlackErrorKind::ApiError,
    }
}

fn hint(code: &str) -> &'static str {
    match code {
        "not_in_channel" => " (invite the app to the channel first)",
        "missing_scope" => " (the app needs the chat:write scope)",
        "channel_not_found" => " (use a channel id such as C0123ABCD, or invite the app)",
        "users_not_found" => " (nobody in the workspace has that email address)",
        "thread_not_found" => " (threadTs must be the ts of a message in that channel)",
        "expired_trigger_id" | "exchanged_trigger_id" | "invalid_trigger_id" => {
            " (a click's trigger_id opens one modal, within 3 seconds of the click)"
        }
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
        for (name, value) in [
            ("unfurl_links", message.unfurl.links),
            ("unfurl_media", message.unfurl.media),
        ] {
            if let Some(value) = value {
                body[name] = json!(value);
            }
        }
        let persona = &message.persona;
        for (name, value) in [
            ("username", &persona.username),
            ("icon_emoji", &persona.icon_emoji),
            ("icon_url", &persona.icon_url),
        ] {
            if let Some(value) = value {
                body[name] = json!(value);
            }
        }
        let answer = self.call("chat.postMessage", Repeat::Once, body).await?;
        match (answer["channel"].as_str(), answer["ts"].as_str()) {
            (Some(channel), Some(ts)) => Ok(MessageRef {
                channel: channel.to_string(),
                ts: ts.to_string(),
            }),
            _ => Err(SlackError::new(
                SlackErrorKind::ApiError,
                "chat.postMessage answered without channel and ts",
            )
            .into()),
        }
    }

    async fn update(&self, target: &MessageRef, message: &SlackMessage) -> Result<(), HitlError> {
        let mut body = json!({"channel": target.channel, "ts": target.ts, "text": message.text});
        // An update without blocks keeps the old ones; an empty list removes them.
        body["blocks"] = json!(message.blocks.clone().unwrap_or_default());
        self.call("chat.update", Repeat::Idempotent, body)
            .await
            .map(|_| ())
    }

    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &SlackUserId,
        text: &str,
    ) -> Result<(), HitlError> {
        self.call(
            "chat.postEphemeral",
            Repeat::Once,
            json!({"channel": channel, "user": user, "text": text}),
        )
        .await
        .map(|_| ())
    }

    /// Not repeated after an ambiguous failure: a trigger id opens one modal.
    async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<(), HitlError> {
        let body = json!({"trigger_id": trigger_id, "view": view});
        self.call("views.open", Repeat::Once, body)
            .await
            .map(|_| ())
    }

    async fn lookup_user_by_email(&self, email: &str) -> Result<String, HitlError> {
        let answer = self
            .call_form("users.lookupByEmail", &[("email", email)])
            .await
            .map_err(|err| match err.name() == SlackErrorKind::UserNotFound.named().0 {
                true => SlackError::new(
                    SlackErrorKind::UserNotFound,
                    format!("no Slack user has the email address {email:?} (users.lookupByEmail: users_not_found)"),
                )
                .into(),
                false => err,
            })?;
        answer["user"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                SlackError::new(
                    SlackErrorKind::ApiError,
                    "users.lookupByEmail answered without a user id",
                )
                .into()
            })
    }
}

#[cfg(test)]
#[path = "slack_views_tests.rs"]
mod views_tests;

#[cfg(test)]
#[path = "slack_tests.rs"]
mod tests;
