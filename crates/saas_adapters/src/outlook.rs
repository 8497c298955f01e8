//! Outlook (Exchange Online) as the domain's [`EmailSender`]: Microsoft Graph
//! `POST /v1.0/users/{sender}/sendMail` with an app-only token from the client-credentials
//! flow (`{login}/{tenant}/oauth2/v2.0/token`, scope `{graph}/.default`). The app needs the
//! `Mail.Send` application permission (admin consent); an Exchange application access policy
//! should limit it to the sending mailbox.
//!
//! Graph answers `202 Accepted` with no body. Errors: a refused token or a 401/403 from Graph
//! is `Outlook.Unauthorized`; an unknown sending mailbox (404 `ErrorInvalidUser`)
//! `Outlook.MailboxNotFound`; a message Graph refuses (400, or 413 over its 4 MB request
//! limit) `Hitl.EmailRejected`, as SES's refusals are; 429 `Outlook.RateLimited` once its
//! `Retry-After` no longer fits; a 5xx or a timeout after the post went out
//! `Outlook.Unconfirmed` (not sent again: it may have gone out).

use std::time::{Duration, Instant};

use approvals::ports::{EmailSender, OutgoingEmail};
use approvals::HitlError;
use async_trait::async_trait;
use lambda_kit::email::OutlookSettings;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::identity::{AppCredentials, AppToken};
use crate::service_calls::{CallFailure, Repeat, Reply, ServiceHttp};
use crate::vendor_errors::vendor_error;

vendor_error!(
    /// What Microsoft Graph (`sendMail`, its token endpoint) answered instead of sending.
    OutlookError, OutlookErrorKind, "Outlook", {
        /// The sending mailbox does not exist or has no mailbox (Graph `ErrorInvalidUser`,
        /// `MailboxNotEnabledForRESTAPI`).
        MailboxNotFound => Never,
    }
);

/// What one message may take, a token request and a retry after an expired token included
/// (`aws_adapters::timeouts::OUTLOOK_SEND`).
pub const SEND_BUDGET: Duration = Duration::from_secs(3);
const TOKEN: &str = "request an Outlook (Graph) token";
const SEND_MAIL: &str = "Graph sendMail";

pub struct OutlookSender {
    http: ServiceHttp,
    token: AppToken,
    /// The sending mailbox's `sendMail`.
    send_url: Url,
    sender: String,
}

impl std::fmt::Debug for OutlookSender {
    // By hand: the client secret and the token stay out of every log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutlookSender")
            .field("sender", &self.sender)
            .finish()
    }
}

impl OutlookSender {
    /// Sends as the mailbox `sender` (`SENDER_EMAIL`), with the app of `settings` and its
    /// client secret.
    pub fn new(
        settings: &OutlookSettings,
        client_secret: &SecretString,
        sender: &str,
    ) -> Result<Self, HitlError> {
        let bad = |what: &str| HitlError::Config(format!("Outlook: {what} is not a valid URL"));
        let token_url = Url::parse(&format!(
            "{}/{}/oauth2/v2.0/token",
            settings.login_url, settings.tenant_id
        ))
        .map_err(|_| bad("OUTLOOK_LOGIN_URL"))?;
        let mut send_url = Url::parse(&settings.graph_url).map_err(|_| bad("OUTLOOK_GRAPH_URL"))?;
        send_url
            .path_segments_mut()
            .map_err(|_| bad("OUTLOOK_GRAPH_URL"))?
            .pop_if_empty()
            .extend(["v1.0", "users", sender, "sendMail"]);
        Ok(OutlookSender {
            http: ServiceHttp::new::<OutlookError>().with_budget(SEND_BUDGET),
            token: AppToken::new(
                &AppCredentials {
                    token_url: &token_url,
                    client_id: &settings.client_id,
                    secret: client_secret,
                },
                &format!("{}/.default", settings.graph_url),
                TOKEN.into(),
                "OUTLOOK_TENANT_ID, OUTLOOK_CLIENT_ID and the client secret",
            ),
            send_url,
            sender: sender.to_string(),
        })
    }

    /// What init opens connections with: the token endpoint's and Graph's origins.
    pub fn connection_urls(&self) -> Vec<String> {
        [self.token.url(), &self.send_url]
            .iter()
            .map(|u| u.origin().ascii_serialization() + "/")
            .collect()
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http;
        self
    }

    async fn post(
        &self,
        deadline: Instant,
        body: &str,
        token: &SecretString,
    ) -> Result<Reply, HitlError> {
        self.http
            .send_until(deadline, Repeat::Once, SEND_MAIL, |client| {
                client
                    .post(self.send_url.clone())
                    .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.to_string())
            })
            .await
    }

    /// The named error for a refused `sendMail`.
    fn send_error(&self, reply: &Reply) -> HitlError {
        let (code, message) = graph_error(&reply.body);
        let detail = format!("{SEND_MAIL}: HTTP {} {code}: {message}", reply.status);
        match reply.status {
            401 | 403 => self.http.error(
                CallFailure::Unauthorized,
                format!("{detail} (the app needs the Mail.Send application permission with admin consent, and an application access policy that lets it send as {})", self.sender),
            ),
            404 => OutlookError::new(
                OutlookErrorKind::MailboxNotFound,
                format!("{detail} ({} is not a mailbox Graph can send from: check SENDER_EMAIL)", self.sender),
            )
            .into(),
            400 | 413 => HitlError::EmailRejected(detail),
            status => self.http.status_error(SEND_MAIL, status, &message),
        }
    }
}

/// Graph's `{"error": {"code", "message"}}`, or the body's start.
fn graph_error(body: &str) -> (String, String) {
    let value: Value = serde_json::from_str(body).unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let code = text(&value["error"]["code"]).unwrap_or_else(|| "error".into());
    let message =
        text(&value["error"]["message"]).unwrap_or_else(|| body.chars().take(200).collect());
    (code, message.chars().take(300).collect())
}

/// The `sendMail` body: one message with its recipients, its sender's name, and the HTML body
/// (Graph takes one body; a text-only message goes as `Text`).
pub fn send_mail_body(email: &OutgoingEmail) -> Value {
    let recipients = |list: &[String]| -> Vec<Value> {
        list.iter()
            .map(|a| json!({"emailAddress": {"address": a}}))
            .collect()
    };
    let (content_type, content) = match email.html.is_empty() {
        false => ("HTML", &email.html),
        true => ("Text", &email.text),
    };
    let mut from = json!({"address": email.from});
    if let Some(name) = &email.from_name {
        from["name"] = json!(name);
    }
    json!({
        "message": {
            "subject": email.subject,
            "body": {"contentType": content_type, "content": content},
            "from": {"emailAddress": from},
            "toRecipients": recipients(&email.to),
            "ccRecipients": recipients(&email.cc),
            "bccRecipients": recipients(&email.bcc),
            "replyTo": recipients(&email.reply_to),
        },
        "saveToSentItems": true
    })
}

#[async_trait]
impl EmailSender for OutlookSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        let deadline = self.http.deadline();
        let body = send_mail_body(email).to_string();
        let mut reply = self
            .post(
                deadline,
                &body,
                &self.token.get(&self.http, deadline).await?,
            )
            .await?;
        if reply.status == 401 {
            // An expired or revoked token: nothing was sent; once more with a new one.
            self.token.forget().await;
            reply = self
                .post(
                    deadline,
                    &body,
                    &self.token.get(&self.http, deadline).await?,
                )
                .await?;
        }
        if reply.status == 202 || reply.is_success() {
            // Graph returns no message id; this one names the send in our logs.
            return Ok(format!("outlook-{}", uuid::Uuid::new_v4().simple()));
        }
        Err(self.send_error(&reply))
    }
}

#[cfg(test)]
mod tests;
