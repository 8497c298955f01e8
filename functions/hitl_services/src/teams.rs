//! Microsoft Teams as the domain's [`TeamsMessenger`]: a Workflows webhook ("Post to a channel
//! when a webhook request is received"), or Microsoft Graph with an app's client credentials.
//!
//! Routing: a message without a target goes to the webhook; a channel or chat target goes
//! through Graph when Graph credentials are configured, else through the webhook (which is
//! bound to its own channel or chat). The webhook URL carries a signature and is never logged
//! nor put in an error; neither are the client secret or the access token.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hitl_domain::teams::{
    webhook_payload, PostedMessage, TeamsMessage, TeamsMessenger, TeamsTarget, Via,
    CARD_CONTENT_TYPE,
};
use hitl_domain::{HitlError, Service, ServiceErrorKind};
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use serde_json::{json, Value};

use crate::http::ServiceHttp;

pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.microsoft.com/v1.0";
pub const DEFAULT_GRAPH_LOGIN_URL: &str = "https://login.microsoftonline.com";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
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

struct Graph {
    base_url: Url,
    token_url: Url,
    client_id: String,
    client_secret: String,
    token: Mutex<Option<CachedToken>>,
}

#[derive(Clone)]
struct CachedToken {
    access_token: String,
    refresh_at: Instant,
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
            http: ServiceHttp::new(Service::Teams),
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
    ) -> Result<PostedMessage, HitlError> {
        let body = webhook_payload(message).to_string();
        let response = self
            .http
            .send(WEBHOOK, |client| {
                client
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/json; charset=utf-8")
                    .body(body.clone())
            })
            .await?;
        let status = response.status().as_u16();
        // Workflows answers 202 Accepted; the retired Office 365 connectors answered 200.
        if response.status().is_success() {
            return Ok(PostedMessage {
                via: Via::Webhook,
                message_id: None,
            });
        }
        let detail = self.detail(&response.text().await.unwrap_or_default());
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

    /// A cached token, or a new one from the token endpoint.
    async fn token(&self, graph: &Graph) -> Result<String, HitlError> {
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
        let response = self
            .http
            .send(TOKEN, |client| {
                client.post(graph.token_url.clone()).form(&form)
            })
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let answer: Option<Value> = serde_json::from_str(&text).ok();
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

    async fn post_graph(
        &self,
        graph: &Graph,
        target: &TeamsTarget,
        message: &TeamsMessage,
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
            let token = self.token(graph).await?;
            let response = self
                .http
                .send(what, |client| {
                    client
                        .post(url.clone())
                        .bearer_auth(&token)
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.clone())
                })
                .await?;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
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

#[async_trait]
impl TeamsMessenger for TeamsClient {
    async fn post(
        &self,
        target: &TeamsTarget,
        message: &TeamsMessage,
    ) -> Result<PostedMessage, HitlError> {
        match (target, &self.graph, &self.webhook) {
            (TeamsTarget::Webhook, _, Some(url)) => self.post_webhook(url, message).await,
            (TeamsTarget::Webhook, _, None) => Err(HitlError::invalid_input(
                "target is required: no TEAMS_WEBHOOK_URL is configured, so give {\"teamId\", \"channelId\"} or {\"chatId\"} (Microsoft Graph)",
            )),
            (_, Some(graph), _) => self.post_graph(graph, target, message).await,
            (_, None, Some(url)) => {
                tracing::info!(
                    "no Graph credentials: posting through the webhook, which is bound to its own channel or chat"
                );
                self.post_webhook(url, message).await
            }
            (_, None, None) => Err(HitlError::Config(
                "Teams is not configured (TEAMS_WEBHOOK_URL or GRAPH_* variables)".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use axum::{Form, Json};
    use std::collections::HashMap;
    use std::sync::Arc;

    #[derive(Default)]
    struct Fake {
        webhook_status: Mutex<u16>,
        webhook_bodies: Mutex<Vec<Value>>,
        token_requests: Mutex<Vec<HashMap<String, String>>>,
        tokens_issued: Mutex<u32>,
        /// Tokens the messages endpoint accepts.
        valid_tokens: Mutex<Vec<String>>,
        graph_requests: Mutex<Vec<(String, Value)>>,
        graph_status: Mutex<Option<(u16, Value)>>,
    }

    async fn webhook(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Response {
        fake.webhook_bodies.lock().unwrap().push(body);
        let status = *fake.webhook_status.lock().unwrap();
        let text = match status {
            400 => "Bad Request: the card is not valid (see /webhook/secret-sig?sig=abc)",
            _ => "",
        };
        (StatusCode::from_u16(status).unwrap(), text.to_string()).into_response()
    }

    async fn token(
        State(fake): State<Arc<Fake>>,
        Path(tenant): Path<String>,
        Form(form): Form<HashMap<String, String>>,
    ) -> Response {
        fake.token_requests.lock().unwrap().push(form.clone());
        if tenant != "tenant-1" || form.get("client_secret").map(String::as_str) != Some("s3cret") {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"})),
            )
                .into_response();
        }
        let mut n = fake.tokens_issued.lock().unwrap();
        *n += 1;
        let token = format!("token-{n}");
        fake.valid_tokens.lock().unwrap().push(token.clone());
        Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
            .into_response()
    }

    async fn graph_message(
        State(fake): State<Arc<Fake>>,
        headers: HeaderMap,
        axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
        Json(body): Json<Value>,
    ) -> Response {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let valid = fake
            .valid_tokens
            .lock()
            .unwrap()
            .iter()
            .any(|t| auth == format!("Bearer {t}"));
        if !valid {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})),
            )
                .into_response();
        }
        fake.graph_requests
            .lock()
            .unwrap()
            .push((uri.path().to_string(), body));
        if let Some((status, body)) = fake.graph_status.lock().unwrap().clone() {
            return (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
        }
        (
            StatusCode::CREATED,
            Json(json!({"id": "1700000000001", "createdDateTime": "2027-01-15T08:00:00Z"})),
        )
            .into_response()
    }

    async fn serve() -> (String, Arc<Fake>) {
        let fake = Arc::new(Fake::default());
        *fake.webhook_status.lock().unwrap() = 202;
        let app = axum::Router::new()
            .route("/webhook/{id}", post(webhook))
            .route("/login/{tenant}/oauth2/v2.0/token", post(token))
            .route(
                "/graph/v1.0/teams/{team}/channels/{channel}/messages",
                post(graph_message),
            )
            .route("/graph/v1.0/chats/{chat}/messages", post(graph_message))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, fake)
    }

    fn client(base: &str, webhook: bool, graph: bool, secret: &str) -> TeamsClient {
        let webhook_url = format!("{base}/webhook/w1?sig=abc");
        TeamsClient::new(
            webhook.then_some(webhook_url.as_str()),
            graph.then(|| GraphConfig {
                tenant_id: "tenant-1".into(),
                client_id: "client-1".into(),
                client_secret: secret.into(),
                base_url: format!("{base}/graph/v1.0"),
                login_url: format!("{base}/login"),
            }),
        )
        .unwrap()
        .with_http(ServiceHttp::new(Service::Teams).with_max_retry_wait(Duration::from_millis(50)))
    }

    fn card() -> TeamsMessage {
        TeamsMessage::Card(hitl_domain::teams::text_card(Some("Title"), "Body"))
    }

    #[tokio::test]
    async fn the_webhook_gets_the_envelope_and_202_is_success() {
        let (base, fake) = serve().await;
        let teams = client(&base, true, false, "s3cret");
        let posted = teams.post(&TeamsTarget::Webhook, &card()).await.unwrap();
        assert_eq!(
            posted,
            PostedMessage {
                via: Via::Webhook,
                message_id: None
            }
        );
        // A channel target without Graph credentials goes through the webhook too.
        let channel = TeamsTarget::Channel {
            team_id: "t".into(),
            channel_id: "c".into(),
        };
        let posted = teams
            .post(&channel, &TeamsMessage::Text("hi".into()))
            .await
            .unwrap();
        assert_eq!(posted.via, Via::Webhook);
        let bodies = fake.webhook_bodies.lock().unwrap();
        assert_eq!(bodies[0]["type"], "message");
        assert_eq!(
            bodies[0]["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(
            bodies[0]["attachments"][0]["content"]["type"],
            "AdaptiveCard"
        );
        assert_eq!(
            bodies[1]["attachments"][0]["content"]["body"][0]["text"],
            "hi"
        );
    }

    #[tokio::test]
    async fn webhook_errors_are_named_and_never_show_the_url() {
        let (base, fake) = serve().await;
        let teams = client(&base, true, false, "s3cret");
        for (status, name) in [
            (400, "Teams.InvalidMessage"),
            (413, "Teams.InvalidMessage"),
            (401, "Teams.Unauthorized"),
            (403, "Teams.Unauthorized"),
            (404, "Teams.ChannelNotFound"),
            (503, "Teams.Unavailable"),
            (429, "Teams.RateLimited"),
        ] {
            *fake.webhook_status.lock().unwrap() = status;
            let err = teams
                .post(&TeamsTarget::Webhook, &card())
                .await
                .unwrap_err();
            assert_eq!(err.name(), name, "{status}: {err}");
            let text = err.to_string();
            assert!(!text.contains("sig=abc") && !text.contains(&base), "{text}");
        }
        *fake.webhook_status.lock().unwrap() = 400;
        let err = teams
            .post(&TeamsTarget::Webhook, &card())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("the card is not valid"), "{err}");
        assert!(!format!("{teams:?}").contains("sig=abc"));
    }

    #[tokio::test]
    async fn graph_posts_cards_as_strings_with_a_cached_token() {
        let (base, fake) = serve().await;
        let teams = client(&base, true, true, "s3cret");
        let channel = TeamsTarget::Channel {
            team_id: "team-1".into(),
            channel_id: "19:abc@thread.tacv2".into(),
        };
        let posted = teams.post(&channel, &card()).await.unwrap();
        assert_eq!(
            posted,
            PostedMessage {
                via: Via::Graph,
                message_id: Some("1700000000001".into())
            }
        );
        teams
            .post(
                &TeamsTarget::Chat {
                    chat_id: "19:x@unq.gbl.spaces".into(),
                },
                &TeamsMessage::Text("hello".into()),
            )
            .await
            .unwrap();
        assert_eq!(
            *fake.tokens_issued.lock().unwrap(),
            1,
            "the token is cached"
        );
        let form = fake.token_requests.lock().unwrap()[0].clone();
        assert_eq!(form["grant_type"], "client_credentials");
        assert_eq!(form["scope"], "https://graph.microsoft.com/.default");
        assert_eq!(form["client_id"], "client-1");
        let requests = fake.graph_requests.lock().unwrap().clone();
        assert_eq!(
            requests[0].0,
            "/graph/v1.0/teams/team-1/channels/19:abc@thread.tacv2/messages"
        );
        let body = &requests[0].1;
        assert_eq!(body["body"]["contentType"], "html");
        assert_eq!(
            body["body"]["content"],
            "<attachment id=\"card1\"></attachment>"
        );
        let content = body["attachments"][0]["content"].as_str().unwrap();
        let posted_card: Value = serde_json::from_str(content).unwrap();
        assert_eq!(posted_card["type"], "AdaptiveCard");
        assert_eq!(
            requests[1].0,
            "/graph/v1.0/chats/19:x@unq.gbl.spaces/messages"
        );
        assert_eq!(
            requests[1].1,
            json!({"body": {"contentType": "text", "content": "hello"}})
        );
        // The webhook is still the route without a target.
        teams.post(&TeamsTarget::Webhook, &card()).await.unwrap();
        assert_eq!(fake.webhook_bodies.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_revoked_token_is_replaced_once() {
        let (base, fake) = serve().await;
        let teams = client(&base, false, true, "s3cret");
        let chat = TeamsTarget::Chat {
            chat_id: "c1".into(),
        };
        teams.post(&chat, &card()).await.unwrap();
        fake.valid_tokens.lock().unwrap().clear();
        teams.post(&chat, &card()).await.unwrap();
        assert_eq!(*fake.tokens_issued.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn graph_errors_are_named_without_secrets() {
        let (base, fake) = serve().await;
        let chat = TeamsTarget::Chat {
            chat_id: "c1".into(),
        };
        let err = client(&base, false, true, "wrong-secret")
            .post(&chat, &card())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Teams.Unauthorized");
        assert!(err.to_string().contains("invalid_client"), "{err}");
        assert!(!err.to_string().contains("wrong-secret"));

        let teams = client(&base, false, true, "s3cret");
        for (status, name) in [
            (400, "Teams.InvalidMessage"),
            (403, "Teams.Unauthorized"),
            (404, "Teams.ChannelNotFound"),
        ] {
            *fake.graph_status.lock().unwrap() = Some((
                status,
                json!({"error": {"code": "SomeCode", "message": "what went wrong"}}),
            ));
            let err = teams.post(&chat, &card()).await.unwrap_err();
            assert_eq!(err.name(), name);
            assert!(
                err.to_string().contains("SomeCode: what went wrong"),
                "{err}"
            );
            assert!(!err.to_string().contains("token-"), "{err}");
        }
        // No webhook configured and no target: the input must name one.
        let err = teams
            .post(&TeamsTarget::Webhook, &card())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(err.to_string().contains("target"));
    }

    #[test]
    fn configuration_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let err = TeamsClient::from_vars(vars(&[])).unwrap_err();
        assert_eq!(err.name(), "Hitl.Config");
        assert!(err.to_string().contains("TEAMS_WEBHOOK_URL"));
        assert!(err.to_string().contains("GRAPH_CLIENT_SECRET"));

        let err = TeamsClient::from_vars(vars(&[
            ("GRAPH_TENANT_ID", "t"),
            ("GRAPH_CLIENT_ID", "c"),
            ("GRAPH_CLIENT_SECRET", " "),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("GRAPH_CLIENT_SECRET not set"),
            "{err}"
        );

        let err = TeamsClient::from_vars(vars(&[("TEAMS_WEBHOOK_URL", "ftp://x/sig=secret")]))
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.Config");
        assert!(!err.to_string().contains("secret"), "{err}");

        let teams =
            TeamsClient::from_vars(vars(&[("TEAMS_WEBHOOK_URL", "https://x.example/w?sig=1")]))
                .unwrap();
        assert!(teams.has_webhook() && !teams.has_graph());

        let teams = TeamsClient::from_vars(vars(&[
            ("TEAMS_WEBHOOK_URL", ""),
            ("GRAPH_TENANT_ID", "t"),
            ("GRAPH_CLIENT_ID", "c"),
            ("GRAPH_CLIENT_SECRET", "very-secret"),
        ]))
        .unwrap();
        assert!(!teams.has_webhook() && teams.has_graph());
        let graph = teams.graph.as_ref().unwrap();
        assert_eq!(
            graph.token_url.as_str(),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
        assert_eq!(
            with_segments(&graph.base_url, ["chats", "19:a@b", "messages"]).as_str(),
            "https://graph.microsoft.com/v1.0/chats/19:a@b/messages"
        );
        assert!(!format!("{teams:?}").contains("very-secret"));
    }
}
