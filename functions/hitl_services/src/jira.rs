//! Jira Cloud's REST API v3 as the domain's [`IssueTracker`]: basic auth with an Atlassian
//! account's email and API token, Jira's status codes turned into `Jira.*` errors.

use async_trait::async_trait;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use hitl_domain::jira::{IssueTracker, Transition};
use hitl_domain::{HitlError, Service, ServiceErrorKind};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::ServiceHttp;

pub struct JiraCloud {
    http: ServiceHttp,
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
        let credentials = BASE64.encode(format!("{}:{}", email.trim(), api_token.trim()));
        let mut auth_header = HeaderValue::from_str(&format!("Basic {credentials}"))
            .expect("base64 is a valid header value");
        auth_header.set_sensitive(true);
        Ok(JiraCloud {
            http: ServiceHttp::new(Service::Jira),
            base_url,
            auth_header,
        })
    }

    /// From `JIRA_BASE_URL`, `JIRA_EMAIL` and `JIRA_API_TOKEN`.
    pub fn from_env() -> Result<Self, HitlError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, HitlError> {
        let required = |name: &str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| HitlError::Config(format!("environment variable {name} is not set")))
        };
        Self::new(
            &required("JIRA_BASE_URL")?,
            &required("JIRA_EMAIL")?,
            &required("JIRA_API_TOKEN")?,
        )
    }

    /// Another HTTP client (shorter retry waits, for tests).
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http;
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
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, HitlError> {
        let response = self
            .http
            .send(what, |client| {
                build(client)
                    .header(AUTHORIZATION, self.auth_header.clone())
                    .header(reqwest::header::ACCEPT, "application/json")
            })
            .await?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        let detail = jira_error_text(&response.text().await.unwrap_or_default());
        Err(match status {
            // Jira answers 404 both for a missing issue and for one the account may not see.
            404 => self.http.error(
                ServiceErrorKind::IssueNotFound,
                format!("{what}: HTTP 404 {detail}"),
            ),
            401 | 403 => self.http.error(
                ServiceErrorKind::Unauthorized,
                format!(
                    "{what}: HTTP {status} {detail} (check JIRA_EMAIL, JIRA_API_TOKEN and the account's project permissions)"
                ),
            ),
            _ => self.http.status_error(what, status, &detail),
        })
    }

    async fn json(&self, what: &str, response: reqwest::Response) -> Result<Value, HitlError> {
        response.json().await.map_err(|_| {
            self.http.error(
                ServiceErrorKind::ApiError,
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
        let response = self
            .call(&what, |c| c.post(url.clone()).json(&payload))
            .await?;
        let answer = self.json(&what, response).await?;
        // Jira sends ids as strings; a number is accepted all the same.
        match answer.get("id") {
            Some(Value::String(id)) => Ok(id.clone()),
            Some(Value::Number(id)) => Ok(id.to_string()),
            _ => Err(self.http.error(
                ServiceErrorKind::ApiError,
                format!("{what}: the answer has no comment id"),
            )),
        }
    }

    async fn transitions(&self, issue_key: &str) -> Result<Vec<Transition>, HitlError> {
        let what = format!("list transitions of {issue_key}");
        let url = self.issue_url(issue_key, &["transitions"]);
        let response = self.call(&what, |c| c.get(url.clone())).await?;
        let answer: TransitionsAnswer = serde_json::from_value(self.json(&what, response).await?)
            .map_err(|e| {
            self.http.error(
                ServiceErrorKind::ApiError,
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
        self.call(&what, |c| c.post(url.clone()).json(&payload))
            .await?;
        Ok(())
    }

    async fn status(&self, issue_key: &str) -> Result<String, HitlError> {
        let what = format!("read the status of {issue_key}");
        let mut url = self.issue_url(issue_key, &[]);
        // Only the status: an issue with all its fields can weigh hundreds of kilobytes.
        url.set_query(Some("fields=status"));
        let response = self.call(&what, |c| c.get(url.clone())).await?;
        let answer = self.json(&what, response).await?;
        answer
            .pointer("/fields/status/name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                self.http.error(
                    ServiceErrorKind::ApiError,
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
mod tests {
    use super::*;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path_and_query: String,
        auth: Option<String>,
        body: Value,
    }

    /// A Jira that answers every request with `answer(method, path)` and records what came.
    async fn serve(answer: fn(&str, &str) -> (u16, Value)) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request| {
            let log = log.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                let path = parts.uri.path().to_string();
                log.lock().unwrap().push(Seen {
                    method: parts.method.to_string(),
                    path_and_query: parts.uri.to_string(),
                    auth: parts
                        .headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_string()),
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                });
                let (status, body) = answer(parts.method.as_str(), &path);
                let status = StatusCode::from_u16(status).unwrap();
                let mut response: Response = if body.is_null() {
                    status.into_response()
                } else {
                    (status, axum::Json(body)).into_response()
                };
                if status == StatusCode::TOO_MANY_REQUESTS {
                    response
                        .headers_mut()
                        .insert("retry-after", "30".parse().unwrap());
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/prefix", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    fn client(url: &str) -> JiraCloud {
        JiraCloud::new(url, "ana@example.com", "secret-token")
            .unwrap()
            .with_http(
                ServiceHttp::new(Service::Jira).with_max_retry_wait(Duration::from_millis(10)),
            )
    }

    fn expected_auth() -> String {
        format!("Basic {}", BASE64.encode("ana@example.com:secret-token"))
    }

    #[tokio::test]
    async fn a_comment_is_posted_with_basic_auth() {
        let (url, seen) = serve(|_, _| (201, json!({"id": "10000", "body": {}}))).await;
        let adf = json!({"type": "doc", "version": 1, "content": []});
        let id = client(&url).add_comment("OPS-1", &adf).await.unwrap();
        assert_eq!(id, "10000");
        let seen = seen.lock().unwrap()[0].clone();
        assert_eq!(seen.method, "POST");
        assert_eq!(
            seen.path_and_query,
            "/prefix/rest/api/3/issue/OPS-1/comment"
        );
        assert_eq!(seen.auth.as_deref(), Some(expected_auth().as_str()));
        assert_eq!(seen.body, json!({"body": adf}));
    }

    #[tokio::test]
    async fn transitions_are_listed_taken_and_the_status_read() {
        let (url, seen) = serve(|method, path| match (method, path) {
            ("GET", "/prefix/rest/api/3/issue/OPS-1/transitions") => (
                200,
                json!({"expand": "transitions", "transitions": [
                    {"id": "21", "name": "Start Progress", "hasScreen": false,
                     "to": {"name": "In Progress", "id": "3"}}
                ]}),
            ),
            ("POST", "/prefix/rest/api/3/issue/OPS-1/transitions") => (204, Value::Null),
            ("GET", "/prefix/rest/api/3/issue/OPS-1") => (
                200,
                json!({"key": "OPS-1", "fields": {"status": {"name": "To Do"}}}),
            ),
            _ => (500, Value::Null),
        })
        .await;
        let jira = client(&url);
        assert_eq!(
            jira.transitions("OPS-1").await.unwrap(),
            vec![Transition {
                id: "21".into(),
                name: "Start Progress".into(),
                to_status: "In Progress".into()
            }]
        );
        jira.transition("OPS-1", "21").await.unwrap();
        assert_eq!(jira.status("OPS-1").await.unwrap(), "To Do");
        let seen = seen.lock().unwrap();
        assert_eq!(seen[1].body, json!({"transition": {"id": "21"}}));
        assert_eq!(
            seen[2].path_and_query,
            "/prefix/rest/api/3/issue/OPS-1?fields=status"
        );
    }

    #[tokio::test]
    async fn jira_statuses_become_named_errors() {
        let (url, _) = serve(|_, path| match path {
            p if p.contains("OPS-404") => (
                404,
                json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
            ),
            p if p.contains("OPS-401") => (401, json!({"errorMessages": ["Client must be authenticated"]})),
            p if p.contains("OPS-403") => (403, json!({"errorMessages": ["Forbidden"]})),
            p if p.contains("OPS-400") => (
                400,
                json!({"errorMessages": ["Transition id '99' is not valid for this issue."], "errors": {"comment": "Comment body is not valid!"}}),
            ),
            p if p.contains("OPS-429") => (429, json!({"errorMessages": ["Rate limit exceeded."]})),
            _ => (503, Value::Null),
        })
        .await;
        let jira = client(&url);
        let err = jira.transitions("OPS-404").await.unwrap_err();
        assert_eq!(err.name(), "Jira.IssueNotFound");
        assert!(err.to_string().contains("Issue does not exist"), "{err}");
        for key in ["OPS-401", "OPS-403"] {
            let err = jira.status(key).await.unwrap_err();
            assert_eq!(err.name(), "Jira.Unauthorized");
            assert!(!err.to_string().contains("secret-token"), "{err}");
        }
        let err = jira.transition("OPS-400", "99").await.unwrap_err();
        assert_eq!(err.name(), "Jira.ApiError");
        assert!(
            err.to_string().contains(
                "Transition id '99' is not valid for this issue.; comment: Comment body is not valid!"
            ),
            "{err}"
        );
        let err = jira.add_comment("OPS-429", &json!({})).await.unwrap_err();
        assert_eq!(err.name(), "Jira.RateLimited");
        let err = jira.add_comment("OPS-500", &json!({})).await.unwrap_err();
        assert_eq!(err.name(), "Jira.Unavailable");
    }

    #[test]
    fn configuration_comes_from_three_variables() {
        let vars = |missing: &'static str| {
            move |name: &str| {
                (name != missing).then(|| match name {
                    "JIRA_BASE_URL" => "https://your-site.atlassian.net/".to_string(),
                    _ => "x".to_string(),
                })
            }
        };
        for name in ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"] {
            let err = JiraCloud::from_vars(vars(name)).unwrap_err();
            assert_eq!(err.name(), "Hitl.Config");
            assert!(err.to_string().contains(name), "{err}");
        }
        let jira = JiraCloud::from_vars(vars("none")).unwrap();
        assert_eq!(
            jira.issue_url("OPS-1", &["comment"]).as_str(),
            "https://your-site.atlassian.net/rest/api/3/issue/OPS-1/comment"
        );
        let err = JiraCloud::new("your-site.atlassian.net", "a", "b").unwrap_err();
        assert_eq!(err.name(), "Hitl.Config");
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let jira =
            JiraCloud::new("https://x.atlassian.net", "ana@example.com", "secret-token").unwrap();
        let shown = format!("{jira:?}");
        assert!(!shown.contains("secret-token") && !shown.contains(&expected_auth()[6..]));
        assert!(jira.auth_header.is_sensitive());
    }

    #[test]
    fn error_bodies_are_summarised() {
        assert_eq!(
            jira_error_text(r#"{"errorMessages":["a","b"],"errors":{"f":"c"}}"#),
            "a; b; f: c"
        );
        assert_eq!(jira_error_text("  <html>oops</html> "), "<html>oops</html>");
    }
}
