//! The one HTTP client of a function process, and opening its connections during init.
//!
//! Every outgoing call (the AWS SDKs through `aws_adapters::sdk_http`, Slack, Teams and Jira
//! through `saas_adapters`) goes through one `reqwest` client: one connection pool and one TLS
//! stack (rustls) in the binary. A cold function pays a TCP and TLS handshake per host on its
//! first call; at 128 MB a Lambda gets about 7% of a vCPU, which makes a handshake cost hundreds
//! of milliseconds, but init runs at full speed. So each function names the hosts it will call
//! and [`open_connections`] opens them while init runs, concurrently; the first event then
//! finds them in the pool.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a connection may take to open (TCP and TLS).
/// How long a connection may take to open (TCP and TLS); the AWS SDK's `connect` limits in
/// `aws_adapters::timeouts` match it.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(800);
/// What opening all connections during init may take; a host that does not answer in time is
/// simply opened by its first call, as without this.
pub const OPEN_WITHIN: Duration = Duration::from_secs(2);

/// The process's client, built on first use.
pub fn shared_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("hitl/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            // Connections opened in init must outlive a slow first event.
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("the HTTP client's configuration is static")
    })
}

/// Opens a pooled connection to each of `urls` (their origins) with a `GET` of the URL, whose
/// answer is read and dropped: any status keeps the connection open. Failures are logged, not
/// returned: an unopened connection is opened by the first real call.
pub async fn open_connections(urls: &[String]) {
    let started = Instant::now();
    let opened = urls.iter().map(|url| async move {
        let result = tokio::time::timeout(OPEN_WITHIN, async {
            let response = shared_client().get(url).send().await?;
            response.bytes().await.map(|_| ())
        })
        .await;
        match result {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(host = %host_of(url), error = %without_url(e), "connection not opened during init");
                false
            }
            Err(_) => {
                tracing::warn!(host = %host_of(url), "connection not opened during init in time");
                false
            }
        }
    });
    let results = futures_util::future::join_all(opened).await;
    let opened = results.iter().filter(|ok| **ok).count();
    tracing::info!(
        opened,
        of = urls.len(),
        ms = started.elapsed().as_millis() as u64,
        "connections opened during init"
    );
}

/// The host of `url` (never its path or query, which may hold a webhook's secret).
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "(unparsable)".into())
}

fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_host_of_a_url_is_ever_logged() {
        assert_eq!(
            host_of("https://prod-01.westus.logic.azure.com/workflows/abc?sig=SECRET"),
            "prod-01.westus.logic.azure.com"
        );
        assert_eq!(host_of("not a url"), "(unparsable)");
    }
}
