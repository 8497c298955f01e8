//! What every service adapter shares: one HTTP client with timeouts, bounded retries of 429
//! (honouring `Retry-After`) and of 5xx/network failures, and the mapping of what remains to
//! the named errors Step Functions sees (`Slack.RateLimited`, `Jira.Unavailable`, ...).

use std::time::Duration;

use hitl_domain::{HitlError, Service, ServiceErrorKind};

/// How long one call may spend waiting on `Retry-After` before it gives up and lets the
/// workflow's own `Retry` take over (a Lambda has seconds, not minutes).
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);
pub const MAX_ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct ServiceHttp {
    client: reqwest::Client,
    service: Service,
    max_retry_wait: Duration,
}

impl ServiceHttp {
    pub fn new(service: Service) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(8))
            .connect_timeout(Duration::from_secs(3))
            .user_agent(concat!("hitl/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls builds");
        ServiceHttp {
            client,
            service,
            max_retry_wait: MAX_RETRY_WAIT,
        }
    }

    /// Shorter waits, for tests.
    pub fn with_max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    pub fn service(&self) -> Service {
        self.service
    }

    pub fn error(&self, kind: ServiceErrorKind, message: impl Into<String>) -> HitlError {
        HitlError::service(self.service, kind, message)
    }

    /// Sends the request `build` makes (built again for each attempt). 429 is retried after
    /// its `Retry-After` when that fits in the wait budget, 5xx and network failures after a
    /// short backoff; what is still failing becomes `RateLimited` / `Unavailable`. Any other
    /// status is returned for the adapter to interpret.
    pub async fn send(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, HitlError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let failure = match build(&self.client).send().await {
                Ok(response) if response.status().as_u16() == 429 => {
                    let retry_after = retry_after(&response);
                    let message = format!(
                        "{what}: rate limited (HTTP 429, Retry-After {} s)",
                        retry_after.as_secs()
                    );
                    if attempt >= MAX_ATTEMPTS || waited + retry_after > self.max_retry_wait {
                        return Err(self.error(ServiceErrorKind::RateLimited, message));
                    }
                    tracing::info!(service = ?self.service, what, retry_after_s = retry_after.as_secs(), "rate limited; waiting");
                    (retry_after, message)
                }
                Ok(response) if response.status().is_server_error() => {
                    let message = format!("{what}: HTTP {}", response.status().as_u16());
                    (backoff(attempt), message)
                }
                Ok(response) => return Ok(response),
                // Never the URL: it can hold a webhook's secret.
                Err(e) => (
                    backoff(attempt),
                    format!("{what}: {}", describe_transport_error(e)),
                ),
            };
            let (wait, message) = failure;
            if attempt >= MAX_ATTEMPTS || waited + wait > self.max_retry_wait {
                return Err(self.error(ServiceErrorKind::Unavailable, message));
            }
            tokio::time::sleep(wait).await;
            waited += wait;
            attempt += 1;
        }
    }

    /// The error for a 4xx status the adapter did not handle itself.
    pub fn status_error(&self, what: &str, status: u16, detail: &str) -> HitlError {
        let kind = match status {
            401 | 403 => ServiceErrorKind::Unauthorized,
            404 => ServiceErrorKind::ChannelNotFound,
            413 => ServiceErrorKind::InvalidMessage,
            _ => ServiceErrorKind::ApiError,
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
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.without_url().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::routing::post;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    async fn serve(statuses: Vec<(u16, Option<&'static str>)>) -> (String, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        let app = axum::Router::new().route(
            "/",
            post(move || {
                let n = seen.fetch_add(1, Ordering::SeqCst) as usize;
                let (status, retry_after) = statuses[n.min(statuses.len() - 1)];
                async move {
                    let mut r = axum::response::Response::new(axum::body::Body::from("{}"));
                    *r.status_mut() = StatusCode::from_u16(status).unwrap();
                    if let Some(v) = retry_after {
                        r.headers_mut().insert("retry-after", v.parse().unwrap());
                    }
                    r
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, calls)
    }

    #[tokio::test]
    async fn a_429_within_the_budget_is_retried_after_retry_after() {
        let (url, calls) = serve(vec![(429, Some("1")), (200, None)]).await;
        let http = ServiceHttp::new(Service::Slack);
        let started = std::time::Instant::now();
        let r = http
            .send("chat.postMessage", |c| c.post(&url))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(started.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_long_retry_after_becomes_a_named_rate_limit_error_at_once() {
        let (url, calls) = serve(vec![(429, Some("30"))]).await;
        let err = ServiceHttp::new(Service::Slack)
            .send("chat.postMessage", |c| c.post(&url))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Slack.RateLimited");
        assert!(err.to_string().contains("Retry-After 30"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_named_unavailable() {
        let (url, calls) = serve(vec![(503, None)]).await;
        let err = ServiceHttp::new(Service::Jira)
            .send("add comment", |c| c.post(&url))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Jira.Unavailable");
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
    }

    #[tokio::test]
    async fn other_statuses_go_back_to_the_adapter() {
        let (url, _) = serve(vec![(404, None)]).await;
        let r = ServiceHttp::new(Service::Teams)
            .send("post card", |c| c.post(&url))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
}
