//! What every service adapter shares: one HTTP client, a time budget per call, bounded retries
//! that never repeat a post that may already have gone out, and the mapping of what remains to
//! the named errors Step Functions sees (`Slack.RateLimited`, `Jira.Unconfirmed`, ...).
//!
//! Each call says whether it is safe to send twice ([`Repeat`]). An idempotent call (a read,
//! `chat.update`, a token request) is retried after a 429, a 5xx or a network failure. A post
//! ([`Repeat::Once`]) is sent again only when the service certainly did not act on it: a 429
//! (refused) or a failed connection (nothing was sent). After an ambiguous failure (a timeout
//! once the request was out, a 5xx, a connection dropped mid-answer) it fails with
//! `{Service}.Unconfirmed` instead: the post may or may not be there.
//!
//! Every call, its retries and its `Retry-After` waits included, ends within its budget
//! ([`ServiceHttp::with_budget`]): each attempt gets at most what is left, and no wait starts
//! that would leave too little for the next attempt.

use std::time::{Duration, Instant};

use approvals::HitlError;

pub use crate::vendor_errors::{CallFailure, VendorError};

/// What one call may take, retries and waits included, unless the adapter is given another
/// budget. The functions' worst cases are summed in `aws_adapters::timeouts`.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(3);
/// The longest single attempt (less when less of the budget is left).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(2500);
/// An attempt that would get less than this is not started.
pub const MIN_ATTEMPT: Duration = Duration::from_millis(250);
/// How long one call may spend waiting on `Retry-After` in all.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);
pub const MAX_ATTEMPTS: u32 = 3;

/// Whether a request may be sent again after a failure that leaves its effect unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads, updates to a known state, token requests: sending twice does no harm.
    Idempotent,
    /// Posts (a message, a card, a comment, a transition): repeated only after a 429 or a
    /// failed connection, never after an ambiguous failure.
    Once,
}

/// A service's answer, read in full within the attempt's time.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Clone)]
pub struct ServiceHttp {
    client: reqwest::Client,
    /// Whose calls these are (for logs).
    service: &'static str,
    /// The adapter's name for a failed call ([`VendorError::call_failed`]).
    to_error: fn(CallFailure, String) -> HitlError,
    budget: Duration,
    max_retry_wait: Duration,
}

/// How one attempt ended.
enum Attempt {
    Answered(Reply, Duration),
    /// Nothing reached the service (no connection): safe to send again.
    NotSent(String),
    /// The request may have reached the service.
    Ambiguous(String),
}

impl ServiceHttp {
    /// Calls whose failures are `E`'s (`ServiceHttp::new::<SlackError>()`).
    pub fn new<E: VendorError>() -> Self {
        ServiceHttp {
            // The process's one client: its pool holds the connections init opened.
            client: lambda_kit::http_client::shared_client().clone(),
            service: E::SERVICE,
            to_error: E::call_failed,
            budget: DEFAULT_BUDGET,
            max_retry_wait: MAX_RETRY_WAIT,
        }
    }

    /// The time one call may take in all (its attempts, backoffs and `Retry-After` waits).
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Shorter `Retry-After` waits, for tests.
    pub fn with_max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// When a call starting now must be done.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.budget
    }

    /// A failed call, named by the adapter whose call it was.
    pub fn error(&self, failure: CallFailure, message: impl Into<String>) -> HitlError {
        (self.to_error)(failure, message.into())
    }

    /// The error for a post that may or may not have gone out.
    pub fn unconfirmed(&self, what: &str, why: &str) -> HitlError {
        self.error(
            CallFailure::Unconfirmed,
            format!(
                "{what}: {why}; it may or may not have been posted. It was not sent again; check before retrying this step, as a blind retry can post it twice"
            ),
        )
    }

    /// Sends a request that is safe to repeat, within this client's budget.
    pub async fn send_idempotent(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, HitlError> {
        self.send_until(self.deadline(), Repeat::Idempotent, what, build)
            .await
    }

    /// Sends a post that must not go out twice, within this client's budget.
    pub async fn send_once(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, HitlError> {
        self.send_until(self.deadline(), Repeat::Once, what, build)
            .await
    }

    /// Sends the request `build` makes (built again for each attempt), done by `deadline`
    /// (an adapter that makes several requests for one operation shares one deadline). 429
    /// is retried after its `Retry-After` when that fits; the other failures as `repeat`
    /// allows. What is still failing becomes `RateLimited` / `Unavailable` / `Unconfirmed`.
    /// Any other status is returned for the adapter to interpret.
    pub async fn send_until(
        &self,
        deadline: Instant,
        repeat: Repeat,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply, HitlError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < MIN_ATTEMPT {
                return Err(self.error(
                    CallFailure::Unavailable,
                    format!("{what}: no time left in the call's budget to send it"),
                ));
            }
            let (wait, kind, message) = match self.attempt(build(&self.client), left).await {
                Attempt::Answered(reply, retry_after) if reply.status == 429 => {
                    let message = format!(
                        "{what}: rate limited (HTTP 429, Retry-After {} s)",
                        retry_after.as_secs()
                    );
                    (retry_after, CallFailure::RateLimited, message)
                }
                Attempt::Answered(reply, _) if reply.status >= 500 => {
                    let why = format!("HTTP {}", reply.status);
                    if repeat == Repeat::Once {
                        return Err(self.unconfirmed(what, &why));
                    }
                    let message = format!("{what}: {why}");
                    (backoff(attempt), CallFailure::Unavailable, message)
                }
                Attempt::Answered(reply, _) => return Ok(reply),
                Attempt::NotSent(why) => (
                    backoff(attempt),
                    CallFailure::Unavailable,
                    format!("{what}: {why}"),
                ),
                Attempt::Ambiguous(why) if repeat == Repeat::Once => {
                    return Err(self.unconfirmed(what, &why))
                }
                Attempt::Ambiguous(why) => (
                    backoff(attempt),
                    CallFailure::Unavailable,
                    format!("{what}: {why}"),
                ),
            };
            let fits = Instant::now() + wait + MIN_ATTEMPT <= deadline
                && waited + wait <= self.max_retry_wait;
            if attempt >= MAX_ATTEMPTS || !fits {
                return Err(self.error(kind, message));
            }
            tracing::info!(service = self.service, what, wait_ms = wait.as_millis() as u64, %message, "retrying");
            tokio::time::sleep(wait).await;
            waited += wait;
            attempt += 1;
        }
    }

    /// One attempt, its answer read in full, within `left` (and [`ATTEMPT_TIMEOUT`]).
    async fn attempt(&self, request: reqwest::RequestBuilder, left: Duration) -> Attempt {
        let limit = left.min(ATTEMPT_TIMEOUT);
        let exchange = async {
            let response = request.send().await.map_err(|e| {
                // Never the URL: it can hold a webhook's secret.
                if e.is_connect() {
                    Attempt::NotSent(format!("could not connect ({})", source_text(&e)))
                } else {
                    Attempt::Ambiguous(describe_transport_error(e))
                }
            })?;
            let status = response.status().as_u16();
            let retry_after = retry_after(&response);
            let body = response.text().await.map_err(|e| {
                Attempt::Ambiguous(format!(
                    "the answer (HTTP {status}) broke off: {}",
                    describe_transport_error(e)
                ))
            })?;
            Ok(Attempt::Answered(Reply { status, body }, retry_after))
        };
        match tokio::time::timeout(limit, exchange).await {
            Ok(Ok(answered)) | Ok(Err(answered)) => answered,
            Err(_) => Attempt::Ambiguous(format!("no answer within {} ms", limit.as_millis())),
        }
    }

    /// The error for a 4xx status the adapter did not handle itself.
    pub fn status_error(&self, what: &str, status: u16, detail: &str) -> HitlError {
        let kind = match status {
            401 | 403 => CallFailure::Unauthorized,
            404 => CallFailure::ChannelNotFound,
            413 => CallFailure::InvalidMessage,
            _ => CallFailure::ApiError,
        };
        let detail: String = detail.chars().take(300).collect();
        self.error(kind, format!("{what}: HTTP {status} {detail}"))
    }
}

fn retry_after(response: &reqwest::Response) -> Duration {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt - 1))
}

fn describe_transport_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else {
        e.without_url().to_string()
    }
}

/// The innermost cause of a connection failure ("Connection refused"), without the URL.
fn source_text(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    last.unwrap_or_else(|| "connection failed".into())
}

#[cfg(test)]
mod tests;
