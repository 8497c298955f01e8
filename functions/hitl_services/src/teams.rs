//! Microsoft Teams as the domain's [`TeamsMessenger`]: a Workflows webhook ("Post to a channel
//! when a webhook request is received"), or Microsoft Graph with an app's client credentials.
//!
//! Routing: a message without a target goes to the webhook; a channel or chat target goes
//! through Graph when Graph credentials are configured, else through the webhook (which is
//! bound to its own channel or chat). The webhook URL carries a signature and is never logged
//! nor put in an error; neither are the client secret or the access token.
//!
//! One post (a token request when needed, the post, one more try with a fresh token after a
//! 401) ends within the client's budget. A post is not repeated after an ambiguous failure:
//! it fails with `Teams.Unconfirmed`, since the card may already be in the channel.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hitl_domain::teams::{
    webhook_payload, PostedMessage, TeamsMessage, TeamsMessenger, TeamsTarget, Via,
};
use hitl_domain::{HitlError, Service, ServiceErrorKind};
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;

use crate::http::{Repeat, ServiceHttp};

mod graph;
use graph::Graph;

pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.microsoft.com/v1.0";
pub const DEFAULT_GRAPH_LOGIN_URL: &str = "https://login.microsoftonline.com";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// What one post may take, its token request and retries included
/// (`hitl_aws::timeouts::TEAMS_POST`).
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(3500);
/// A cached token is replaced this long before it expires (or at half its life, if shorter).
pub const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(300);

const WEBHOOK: &str = "post to the Teams webhook";
const TOKEN: &str = "get a Microsoft Graph token";

/// An Entra app registration allowed to post (client credentials flow).
#[derive(Clone)]
pub struct GraphConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// `https://graph.microsoft.com/v1.0` by default.
    pub base_url: String,
    /// `https://login.microsoftonline.com` by default.
    pub login_url: String,
}

pub struct TeamsClient {
    http: ServiceHttp,
    webhook: Option<Url>,
    graph: Option<Graph>,
}

impl std::fmt::Debug for TeamsClient {
    // By hand: the webhook URL (signed) and the client secret stay out of every log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsClient")
            .field("webhook", &self.webhook.as_ref().map(|_| "<redacted>"))
            .field(
                "graph",
                &self.graph.as_ref().map(|g| {
                    format!(
                        "base {} client {} secret <redacted>",
                        g.base_url, g.client_id
                    )
                }),
            )
            .finish()
    }
}

fn http_url(value: &str, name: &str, show_value: bool) -> Result<Url, HitlError> {
    Url::parse(value.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .filter(|u| !u.cannot_be_a_base())
        .ok_or_else(|| {
            HitlError::Config(if show_value {
                format!("{name} must be an http(s) URL, not {value:?}")
            } else {
                // The webhook URL holds a signature: never repeat it.
                format!("{name} must be an http(s) URL")
            })
        })
}

fn with_segments<'a>(base: &Url, segments: impl IntoIterator<Item = &'a str>) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("checked when configured: the URL can be a base")
        .pop_if_empty()
        .extend(segments);
    url
}

impl TeamsClient {
    /// At least one of a webhook URL or Graph credentials.
    pub fn new(webhook_url: Option<&str>, graph: Option<GraphConfig>) -> Result<Self, HitlError> {
        let webhook = webhook_url
            .filter(|u| !u.trim().is_empty())
            .map(|u| http_url(u, "TEAMS_WEBHOOK_URL", false))
            .transpose()?;
        let graph = graph
            .map(|g| -> Result<Graph, HitlError> {
                let base_url = http_url(&g.base_url, "GRAPH_BASE_URL", true)?;
                let login_url = http_url(&g.login_url, "GRAPH_LOGIN_URL", true)?;
                Ok(Graph {
                    base_url,
                    token_url: with_segments(
                        &login_url,
                        [g.tenant_id.trim(), "oauth2", "v2.0", "token"],
                    ),
                    client_id: g.client_id.trim().to_string(),
                    client_secret: g.client_secret.trim().to_string(),
                    token: Mutex::new(None),
                })
            })
            .transpose()?;
        if webhook.is_none() && graph.is_none() {
            return Err(HitlError::Config(
                "Teams is not configured: set TEAMS_WEBHOOK_URL (a Teams Workflows webhook), or GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET (Microsoft Graph)".into(),
            ));
        }
        Ok(TeamsClient {
            http: ServiceHttp::new(Service::Teams).with_budget(DEFAULT_BUDGET),
            webhook,
            graph,
        })
    }

    /// From `TEAMS_WEBHOOK_URL` and/or `GRAPH_TENANT_ID`, `GRAPH_CLIENT_ID`,
    /// `GRAPH_CLIENT_SECRET` (all three or none), with `GRAPH_BASE_URL` and `GRAPH_LOGIN_URL`
    /// defaulting to Microsoft's.
    pub fn from_env() -> Result<Self, HitlError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, HitlError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let names = ["GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"];
        let values: Vec<Option<String>> = names.iter().map(|n| get(n)).collect();
        let graph = match values.as_slice() {
            [Some(tenant_id), Some(client_id), Some(client_secret)] => Some(GraphConfig {
                tenant_id: tenant_id.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                base_url: get("GRAPH_BASE_URL")
                    .unwrap_or_else(|| DEFAULT_GRAPH_BASE_URL.to_string()),
                login_url: get("GRAPH_LOGIN_URL")
                    .unwrap_or_else(|| DEFAULT_GRAPH_LOGIN_URL.to_string()),
            }),
            [None, None, None] => None,
            _ => {
                let missing: Vec<&str> = names
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| v.is_none())
                    .map(|(n, _)| *n)
                    .collect();
                return Err(HitlError::Config(format!(
                    "Microsoft Graph needs GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET together; {} not set",
                    missing.join(", ")
                )));
            }
        };
        Self::new(get("TEAMS_WEBHOOK_URL").as_deref(), graph)
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http;
        self
    }

    /// What one post may take, its token request and retries included.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.http = self.http.with_budget(budget);
        self
    }

    pub fn budget(&self) -> Duration {
        self.http.budget()
    }

    pub fn has_webhook(&self) -> bool {
        self.webhook.is_some()
    }

    pub fn has_graph(&self) -> bool {
        self.graph.is_some()
    }

    fn error(&self, kind: ServiceErrorKind, message: impl Into<String>) -> HitlError {
        self.http.error(kind, message)
    }

    /// Up to 300 characters of an answer, with the webhook URL (should a service echo it)
    /// taken out.
    fn detail(&self, body: &str) -> String {
        let mut text = body.trim().to_string();
        if let Some(url) = &self.webhook {
            text = text.replace(url.as_str(), "<webhook>");
            if let Some(query) = url.query().filter(|q| !q.is_empty()) {
                text = text.replace(query, "<redacted>");
            }
        }
        text.chars().take(300).collect()
    }

    async fn post_webhook(
        &self,
        url: &Url,
        message: &TeamsMessage,
        deadline: Instant,
    ) -> Result<PostedMessage, HitlError> {
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
            return Ok(PostedMessage {
                via: Via::Webhook,
                message_id: None,
            });
        }
        let detail = self.detail(&reply.body);
        Err(match status {
            400 => self.error(
                ServiceErrorKind::InvalidMessage,
                format!("{WEBHOOK}: HTTP 400 {detail}"),
            ),
            413 => self.error(
                ServiceErrorKind::InvalidMessage,
                format!("{WEBHOOK}: HTTP 413, the message is over Teams' 28 KB limit"),
            ),
            401 | 403 => self.error(
                ServiceErrorKind::Unauthorized,
                format!(
                    "{WEBHOOK}: HTTP {status} {detail} (check TEAMS_WEBHOOK_URL: the flow may be off or its URL regenerated)"
                ),
            ),
            404 => self.error(
                ServiceErrorKind::ChannelNotFound,
                format!("{WEBHOOK}: HTTP 404, no such webhook (check TEAMS_WEBHOOK_URL)"),
            ),
            _ => self.http.status_error(WEBHOOK, status, &detail),
        })
    }
}

#[async_trait]
impl TeamsMessenger for TeamsClient {
    async fn post(
        &self,
        target: &TeamsTarget,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        let deadline = self.http.deadline();
        match (target, &self.graph, &self.webhook) {
            (TeamsTarget::Webhook, _, Some(url)) => {
                self.post_webhook(url, message, deadline).await
            }
            (TeamsTarget::Webhook, _, None) => Err(HitlError::invalid_input(
                "target is required: no TEAMS_WEBHOOK_URL is configured, so give {\"teamId\", \"channelId\"} or {\"chatId\"} (Microsoft Graph)",
            )),
            (_, Some(graph), _) => self.post_graph(graph, target, message, deadline).await,
            (_, None, Some(url)) => {
                tracing::info!(
                    "no Graph credentials: posting through the webhook, which is bound to its own channel or chat"
                );
                self.post_webhook(url, message, deadline).await
            }
            (_, None, None) => Err(HitlError::Config(
                "Teams is not configured (TEAMS_WEBHOOK_URL or GRAPH_* variables)".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
