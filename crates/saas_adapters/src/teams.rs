//! Microsoft Teams as the domain's [`TeamsMessenger`]: a Workflows webhook ("Post to a channel
//! when a webhook request is received"), bound to one channel or chat.
//!
//! Microsoft Graph is not used: it takes channel and chat messages from an app-only token only
//! to import history (401 "Message POST is allowed in application-only context only for import
//! purposes"), so a client-credentials post cannot work on a real tenant.
//!
//! The webhook URL carries a signature and is never logged nor put in an error. One post (and
//! its retries after a 429 or a failed connection) ends within the client's budget. A post is
//! not repeated after an ambiguous failure: it fails with `Teams.Unconfirmed`, since the card
//! may already be in the channel.

use std::time::Duration;

use approvals::ports::{PostedMessage, TeamsMessage, TeamsMessenger, Via};
use approvals::HitlError;
use async_trait::async_trait;
use channels::teams::webhook_payload;
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;

use crate::service_calls::{Repeat, ServiceHttp};
use crate::vendor_errors::vendor_error;

vendor_error!(
    /// What the Workflows webhook, the Bot Connector or Microsoft Graph answered instead of
    /// delivering a Teams message.
    TeamsError, TeamsErrorKind, "Teams", {
        /// No one in the tenant has the address (or several have).
        UserNotFound => Never,
        /// The bot cannot open a 1:1 chat with the person (its app is not installed for them,
        /// they blocked it, or an admin disabled it: Bot Connector 403).
        BotNotInstalled => Never,
        /// The bot's card to update is gone (deleted, or the bot removed from its conversation).
        MessageNotFound => Gone,
    }
);

/// What one post may take, retries included (`aws_adapters::timeouts::TEAMS_POST`).
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(3500);

const WEBHOOK: &str = "post to the Teams webhook";

pub struct TeamsClient {
    http: ServiceHttp,
    webhook: Url,
}

impl std::fmt::Debug for TeamsClient {
    // By hand: the webhook URL (signed) stays out of every log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsClient")
            .field("webhook", &"<redacted>")
            .finish()
    }
}

impl TeamsClient {
    /// `webhook_url`: the Workflows webhook's URL (a secret: it carries a signature).
    pub fn new(webhook_url: &str) -> Result<Self, HitlError> {
        if webhook_url.trim().is_empty() {
            return Err(HitlError::Config(
                "Teams is not configured: the TEAMS_WEBHOOK_URL secret (a Teams Workflows webhook URL) is empty"
                    .into(),
            ));
        }
        let webhook = Url::parse(webhook_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            // The URL holds a signature: never repeat it.
            .ok_or_else(|| HitlError::Config("TEAMS_WEBHOOK_URL must be an http(s) URL".into()))?;
        Ok(TeamsClient {
            http: ServiceHttp::new::<TeamsError>().with_budget(DEFAULT_BUDGET),
            webhook,
        })
    }

    /// From the webhook URL's secret (`TEAMS_WEBHOOK_URL_SECRET_ID`).
    pub fn from_secret(webhook_url: &secrecy::SecretString) -> Result<Self, HitlError> {
        use secrecy::ExposeSecret;
        Self::new(webhook_url.expose_secret())
    }

    /// What init opens a connection with: the webhook's origin alone (its path holds the
    /// signature), whose answer to a `GET` does not matter.
    pub fn connection_url(&self) -> String {
        self.webhook.origin().ascii_serialization() + "/"
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http;
        self
    }

    /// What one post may take, retries included.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.http = self.http.with_budget(budget);
        self
    }

    pub fn budget(&self) -> Duration {
        self.http.budget()
    }

    fn error(&self, kind: TeamsErrorKind, message: impl Into<String>) -> HitlError {
        TeamsError::new(kind, message).into()
    }

    /// Up to 300 characters of an answer, with the webhook URL (should a service echo it)
    /// taken out.
    fn detail(&self, body: &str) -> String {
        let mut text = body.trim().to_string();
        text = text.replace(self.webhook.as_str(), "<webhook>");
        if let Some(query) = self.webhook.query().filter(|q| !q.is_empty()) {
            text = text.replace(query, "<redacted>");
        }
        text.chars().take(300).collect()
    }

    async fn post_webhook(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError> {
        let deadline = self.http.deadline();
        let url = &self.webhook;
        let body = webhook_payload(message).to_string();
        let reply = self
            .http
            .send_until(deadline, Repeat::Once, WEBHOOK, |client| {
                client
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/json; charset=utf-8")
                    .body(body.clone())
            })
            .await?;
        let status = reply.status;
        // Workflows answers 202 Accepted; the retired Office 365 connectors answered 200.
        if reply.is_success() {
            return Ok(PostedMessage { via: Via::Webhook });
        }
        let detail = self.detail(&reply.body);
        Err(match status {
            400 => self.error(
                TeamsErrorKind::InvalidMessage,
                format!("{WEBHOOK}: HTTP 400 {detail}"),
            ),
            413 => self.error(
                TeamsErrorKind::InvalidMessage,
                format!("{WEBHOOK}: HTTP 413, the message is over Teams' 28 KB limit"),
            ),
            401 | 403 => self.error(
                TeamsErrorKind::Unauthorized,
                format!(
                    "{WEBHOOK}: HTTP {status} {detail} (check TEAMS_WEBHOOK_URL: the flow may be off or its URL regenerated)"
                ),
            ),
            404 => self.error(
                TeamsErrorKind::ChannelNotFound,
                format!("{WEBHOOK}: HTTP 404, no such webhook (check TEAMS_WEBHOOK_URL)"),
            ),
            _ => self.http.status_error(WEBHOOK, status, &detail),
        })
    }
}

#[async_trait]
impl TeamsMessenger for TeamsClient {
    async fn post(&self, message: &TeamsMessage) -> Result<PostedMessage, HitlError> {
        self.post_webhook(message).await
    }
}

pub mod bot;
pub mod bot_auth;
mod bot_errors;
pub mod bot_keys;
pub mod destination;

#[cfg(test)]
mod tests;
