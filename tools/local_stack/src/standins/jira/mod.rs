//! Jira Cloud stand-in: the REST API v3 calls the Jira functions make (add a comment, list and
//! take transitions, read an issue's status) with Jira's basic auth, status codes and error
//! bodies, over three seeded issues and a small workflow:
//!
//! ```text
//! To Do --Start Progress (21)--> In Progress --Done (31)--> Done
//! To Do --Done (31)--> Done         In Progress, Done --Reopen (41)--> To Do
//! ```

mod adf;
mod data;
mod routes;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use serde_json::{json, Value};

use adf::adf_to_text;
use data::Data;
use routes::{add_comment, get_issue, jira_error, list_transitions, transition};

pub struct JiraStandIn {
    email: String,
    api_token: String,
    data: Mutex<Data>,
}

impl JiraStandIn {
    /// Accepts exactly this account: `Authorization: Basic base64(email:api_token)`.
    pub fn new(email: &str, api_token: &str) -> Arc<Self> {
        Arc::new(JiraStandIn {
            email: email.into(),
            api_token: api_token.into(),
            data: Mutex::new(Data::seeded()),
        })
    }

    /// Under `/_standins/jira`: the REST API at `/rest/api/3/…`, test hooks at `/_control/…`.
    pub fn router(self: Arc<Self>) -> Router {
        let api = Router::new()
            .route("/rest/api/3/issue/{key}", get(get_issue))
            .route("/rest/api/3/issue/{key}/comment", post(add_comment))
            .route(
                "/rest/api/3/issue/{key}/transitions",
                get(list_transitions).post(transition),
            )
            // Only on the API routes: the test hooks are neither rate limited nor authenticated.
            .route_layer(middleware::from_fn_with_state(self.clone(), gate));
        Router::new()
            .merge(api)
            .route("/_control/issues", get(issues))
            .route("/_control/rate-limit", post(rate_limit))
            .route("/_control/reset", post(reset))
            .with_state(self)
    }

    /// Every issue with its status and comments (ADF and as text), and the calls made, for the
    /// local page and tests.
    pub fn snapshot(&self) -> Value {
        let data = self.data.lock().unwrap();
        json!({
            "issues": data.issues.iter().map(|i| json!({
                "key": i.key, "id": i.id, "summary": i.summary, "status": i.status,
                "comments": i.comments.iter().map(|c| json!({
                    "id": c.id, "created": c.created, "text": adf_to_text(&c.body), "body": c.body,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "calls": data.calls,
        })
    }

    fn authenticated(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some((scheme, credentials)) = value.trim().split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("basic")
            && BASE64
                .decode(credentials.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .is_some_and(|c| c == format!("{}:{}", self.email, self.api_token))
    }
}

/// What Jira does before looking at a request: the rate limit, then the credentials.
async fn gate(State(jira): State<Arc<JiraStandIn>>, request: Request, next: Next) -> Response {
    {
        let mut data = jira.data.lock().unwrap();
        data.calls
            .push(format!("{} {}", request.method(), request.uri().path()));
        if data.rate_limited > 0 {
            data.rate_limited -= 1;
            let retry_after = data.retry_after.to_string();
            let mut response = jira_error(
                StatusCode::TOO_MANY_REQUESTS,
                &["Rate limit exceeded."],
                json!({}),
            );
            response
                .headers_mut()
                .insert("retry-after", retry_after.parse().unwrap());
            return response;
        }
    }
    if !jira.authenticated(request.headers()) {
        let mut response = jira_error(
            StatusCode::UNAUTHORIZED,
            &["Client must be authenticated to access this resource."],
            json!({}),
        );
        response.headers_mut().insert(
            "www-authenticate",
            "Basic realm=\"protected-area\"".parse().unwrap(),
        );
        return response;
    }
    next.run(request).await
}

async fn issues(State(jira): State<Arc<JiraStandIn>>) -> Json<Value> {
    Json(jira.snapshot())
}

/// `{"count": N, "retryAfter": S}`: the next N API requests are answered 429, Retry-After S.
async fn rate_limit(State(jira): State<Arc<JiraStandIn>>, Json(body): Json<Value>) -> StatusCode {
    let mut data = jira.data.lock().unwrap();
    data.rate_limited = body["count"].as_u64().unwrap_or(1) as u32;
    data.retry_after = body["retryAfter"].as_u64().unwrap_or(1);
    StatusCode::NO_CONTENT
}

/// Back to the seeded issues, without comments, calls or a pending rate limit.
async fn reset(State(jira): State<Arc<JiraStandIn>>) -> StatusCode {
    *jira.data.lock().unwrap() = Data::seeded();
    StatusCode::NO_CONTENT
}
