//! Jira Cloud's REST API v3 as the domain's [`IssueTracker`]: basic auth with an Atlassian
//! account's email and API token, Jira's status codes turned into `Jira.*` errors.
//!
//! Reads are retried; adding a comment and taking a transition are not repeated after an
//! ambiguous failure (`Jira.Unconfirmed`): a second comment, or a transition's post functions
//! run twice, is worse than a step that says it does not know.

use std::time::{Duration, Instant};

use approvals::ports::{IssueTracker, Transition};
use approvals::HitlError;
use async_trait::async_trait;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::service_calls::{CallFailure, Repeat, Reply, ServiceHttp};
use crate::vendor_errors::vendor_error;

vendor_error!(
    /// What Jira Cloud answered instead of doing what was asked.
    JiraError, JiraErrorKind, "Jira", {
        /// No issue with that key (or no permission to see it).
        IssueNotFound => Never,
        /// The issue has no transition with that name or to that status (named by the use
        /// case that chose among the transitions Jira listed).
        TransitionNotFound => Never,
    }
);

/// What one read (the status, the transitions) may take, retries included
/// (`aws_adapters::timeouts::JIRA_READ`, `JIRA_WRITE`).
pub const READ_BUDGET: Duration = Duration::from_millis(1500);
/// What one write (a comment, a transition) may take: Jira runs a transition's post functions
/// before it answers.
pub const WRITE_BUDGET: Duration = Duration::from_millis(2500);

pub struct JiraCloud {
    http: ServiceHttp,
    read_budget: Duration,
    write_budget: Duration,
    base_url: Url,
    /// `Basic base64(email:api_token)`, marked sensitive so it never shows in debug output.
    auth_header: HeaderValue,
}

impl std::fmt::Debug for JiraCloud {
    // By hand, so the credentials stay out of any log line that formats the client.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraCloud")
            .field("base_url", &self.base_url.as_str())
            .field("auth_header", &"<redacted>")
            .finish()
    }
}

impl JiraCloud {
    /// `base_url` is the site, e.g. `https://your-site.atlassian.net` (a path prefix is kept,
    /// which is how the local stand-in is reached).
    pub fn new(base_url: &str, email: &str, api_token: &str) -> Result<Self, HitlError> {
        let base_url = Url::parse(base_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .filter(|u| !u.cannot_be_a_base())
            .ok_or_else(|| {
                HitlError::Config(
                    "JIRA_BASE_URL must be an http(s) URL like https://your-site.atlassian.net"
                        .into(),
                )
            })?;
        if api_token.trim().is_empty() {
            return Err(HitlError::Config(
                "the Jira API token secret is empty".into(),
            ));
        }
        let credentials = BASE64.encode(format!("{}:{}", email.trim(), api_token.trim()));
        let mut auth_header = HeaderValue::from_str(&format!("Basic {credentials}"))
            .expect("base64 is a valid header value");
        auth_header.set_sensitive(true);
        Ok(JiraCloud {
            http: ServiceHttp::new::<JiraError>(),
            read_budget: READ_BUDGET,
            write_budget: WRITE_BUDGET,
            base_url,
            auth_header,
        })
    }

    /// What init opens a connection with: the site's `/status` (Atlassian's health check,
    /// no credentials needed).
    pub fn connection_url(base_url: &str) -> String {
        format!("{}/status", base_url.trim().trim_end_matches('/'))
    }

    /// The site and account (`Settings::jira_site`), with the API token read from its secret.
    pub fn from_token(
        (base_url, email): (&str, &str),
        api_token: &SecretString,
    ) -> Result<Self, HitlError> {
        Self::new(base_url, email, api_token.expose_secret())
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http;
        self
    }

    /// What one read and one write may take, retries included.
    pub fn with_budgets(mut self, read: Duration, write: Duration) -> Self {
        self.read_budget = read;
        self.write_budget = write;
        self
    }

    /// `{base}/rest/api/3/issue/{key}/{tail...}`, each segment percent-encoded.
    fn issue_url(&self, issue_key: &str, tail: &[&str]) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .expect("checked in new: the base URL can be a base")
            .pop_if_empty()
            .extend(["rest", "api", "3", "issue", issue_key])
            .extend(tail);
        url
    }

    /// Sends the request and turns Jira's error statuses into named errors; a success is
    /// returned as is.
    async fn call(
        &self,
        what: &str,
        repeat: Repeat,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, HitlError> {
        let budget = match repeat {
            Repeat::Idempotent => self.read_budget,
            Repeat::Once => self.write_budget,
        };
        let reply = self
            .http
            .send_until(Instant::now() + budget, repeat, what, |client| {
                build(client)
                    .header(AUTHORIZATION, self.auth_header.clone())
                    .header(reqwest::header::ACCEPT, "application/json")
            })
            .await?;
        let status = reply.status;
        if reply.is_success() {
            return Ok(reply);
        }
        let detail = jira_error_text(&reply.body);
        Err(match status {
            // Jira answers 404 both for a missing issue and for one the account may not see.
            404 => JiraError::new(
                JiraErrorKind::IssueNotFound,
                format!("{what}: HTTP 404 {detail}"),
            )
            .into(),
            401 | 403 => self.http.error(
                CallFailure::Unauthorized,
                format!(
                    "{what}: HTTP {status} {detail} (check JIRA_EMAIL, JIRA_API_TOKEN and the account's project permissions)"
                ),
            ),
            _ => self.http.status_error(what, status, &detail),
        })
    }

    fn json(&self, what: &str, reply: Reply) -> Result<Value, HitlError> {
        serde_json::from_str(&reply.body).map_err(|_| {
            self.http.error(
                CallFailure::ApiError,
                format!("{what}: the answer is not JSON"),
            )
        })
    }
}

#[async_trait]
impl IssueTracker for JiraCloud {
    async fn add_comment(&self, issue_key: &str, body: &Value) -> Result<String, HitlError> {
        let what = format!("add comment to {issue_key}");
        let url = self.issue_url(issue_key, &["comment"]);
        let payload = json!({ "body": body });
        let reply = self
            .call(&what, Repeat::Once, |c| c.post(url.clone()).json(&payload))
            .await?;
        let answer = self.json(&what, reply)?;
        // Jira sends ids as strings; a number is accepted all the same.
        match answer.get("id") {
            Some(Value::String(id)) => Ok(id.clone()),
            Some(Value::Number(id)) => Ok(id.to_string()),
            _ => Err(self.http.error(
                CallFailure::ApiError,
                format!("{what}: the answer has no comment id"),
            )),
        }
    }

    async fn transitions(&self, issue_key: &str) -> Result<Vec<Transition>, HitlError> {
        let what = format!("list transitions of {issue_key}");
        let url = self.issue_url(issue_key, &["transitions"]);
        let reply = self
            .call(&what, Repeat::Idempotent, |c| c.get(url.clone()))
            .await?;
        let answer: TransitionsAnswer =
            serde_json::from_value(self.json(&what, reply)?).map_err(|e| {
                self.http.error(
                    CallFailure::ApiError,
                    format!("{what}: unexpected answer: {e}"),
                )
            })?;
        Ok(answer
            .transitions
            .into_iter()
            .map(|t| Transition {
                id: t.id,
                name: t.name,
                to_status: t.to.name,
            })
            .collect())
    }

    async fn transition(&self, issue_key: &str, transition_id: &str) -> Result<(), HitlError> {
        let what = format!("transition {issue_key}");
        let url = self.issue_url(issue_key, &["transitions"]);
        let payload = json!({ "transition": { "id": transition_id } });
        self.call(&what, Repeat::Once, |c| c.post(url.clone()).json(&payload))
            .await?;
        Ok(())
    }

    fn no_transition(&self, message: String) -> HitlError {
        JiraError::new(JiraErrorKind::TransitionNotFound, message).into()
    }

    async fn status(&self, issue_key: &str) -> Result<String, HitlError> {
        let what = format!("read the status of {issue_key}");
        let mut url = self.issue_url(issue_key, &[]);
        // Only the status: an issue with all its fields can weigh hundreds of kilobytes.
        url.set_query(Some("fields=status"));
        let reply = self
            .call(&what, Repeat::Idempotent, |c| c.get(url.clone()))
            .await?;
        let answer = self.json(&what, reply)?;
        answer
            .pointer("/fields/status/name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                self.http.error(
                    CallFailure::ApiError,
                    format!("{what}: the answer has no fields.status.name"),
                )
            })
    }
}

#[derive(Deserialize)]
struct TransitionsAnswer {
    transitions: Vec<TransitionAnswer>,
}

#[derive(Deserialize)]
struct TransitionAnswer {
    id: String,
    name: String,
    to: StatusAnswer,
}

#[derive(Deserialize)]
struct StatusAnswer {
    name: String,
}

/// Jira's error body, `{"errorMessages": [...], "errors": {"field": "message"}}`, as one line;
/// anything else as its first characters.
fn jira_error_text(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let mut parts: Vec<String> = Vec::new();
    if let Some(parsed) = &parsed {
        if let Some(messages) = parsed.get("errorMessages").and_then(Value::as_array) {
            parts.extend(
                messages
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
        }
        if let Some(errors) = parsed.get("errors").and_then(Value::as_object) {
            parts.extend(
                errors
                    .iter()
                    .map(|(field, message)| match message.as_str() {
                        Some(message) => format!("{field}: {message}"),
                        None => format!("{field}: {message}"),
                    }),
            );
        }
    }
    let text = if parts.is_empty() {
        body.trim().to_string()
    } else {
        parts.join("; ")
    };
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests;
