//! Jira Cloud stand-in: the REST API v3 calls the Jira functions make (add a comment, list and
//! take transitions, read an issue's status) with Jira's basic auth, status codes and error
//! bodies, over three seeded issues and a small workflow:
//!
//! ```text
//! To Do --Start Progress (21)--> In Progress --Done (31)--> Done
//! To Do --Done (31)--> Done         In Progress, Done --Reopen (41)--> To Do
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use serde_json::{json, Value};

/// A status of the workflow: name, id, status category key and name (as Jira reports them).
struct Status {
    name: &'static str,
    id: &'static str,
    category: (&'static str, &'static str),
}

const STATUSES: [Status; 3] = [
    Status {
        name: "To Do",
        id: "10000",
        category: ("new", "To Do"),
    },
    Status {
        name: "In Progress",
        id: "3",
        category: ("indeterminate", "In Progress"),
    },
    Status {
        name: "Done",
        id: "10001",
        category: ("done", "Done"),
    },
];

struct WorkflowStep {
    id: &'static str,
    name: &'static str,
    from: &'static [&'static str],
    to: &'static str,
}

/// In the order Jira lists them.
const WORKFLOW: [WorkflowStep; 3] = [
    WorkflowStep {
        id: "21",
        name: "Start Progress",
        from: &["To Do"],
        to: "In Progress",
    },
    WorkflowStep {
        id: "31",
        name: "Done",
        from: &["To Do", "In Progress"],
        to: "Done",
    },
    WorkflowStep {
        id: "41",
        name: "Reopen",
        from: &["In Progress", "Done"],
        to: "To Do",
    },
];

const SEED: [(&str, &str); 3] = [
    ("OPS-1", "Stop idle RDS instance reporting-db"),
    ("OPS-2", "Delete unattached volume vol-0a1b2c3d"),
    ("OPS-3", "Rotate the approval link signing key"),
];

const NOT_FOUND: &str = "Issue does not exist or you do not have permission to see it.";

struct Issue {
    id: String,
    key: String,
    summary: String,
    status: &'static str,
    comments: Vec<Comment>,
}

struct Comment {
    id: String,
    body: Value,
    created: String,
}

struct Data {
    issues: Vec<Issue>,
    next_comment_id: u64,
    /// Requests still to be answered 429, and their Retry-After.
    rate_limited: u32,
    retry_after: u64,
    /// Every API call as `METHOD /path` (for tests: "did it retry?").
    calls: Vec<String>,
}

impl Data {
    fn seeded() -> Self {
        Data {
            issues: SEED
                .iter()
                .enumerate()
                .map(|(i, (key, summary))| Issue {
                    id: (10001 + i).to_string(),
                    key: key.to_string(),
                    summary: summary.to_string(),
                    status: STATUSES[0].name,
                    comments: Vec::new(),
                })
                .collect(),
            next_comment_id: 10000,
            rate_limited: 0,
            retry_after: 1,
            calls: Vec::new(),
        }
    }

    /// Jira takes an issue's key in any case, or its numeric id.
    fn issue_mut(&mut self, key_or_id: &str) -> Option<&mut Issue> {
        self.issues
            .iter_mut()
            .find(|i| i.key.eq_ignore_ascii_case(key_or_id) || i.id == key_or_id)
    }
}

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

fn jira_error(status: StatusCode, messages: &[&str], errors: Value) -> Response {
    (
        status,
        Json(json!({"errorMessages": messages, "errors": errors})),
    )
        .into_response()
}

fn issue_not_found() -> Response {
    jira_error(StatusCode::NOT_FOUND, &[NOT_FOUND], json!({}))
}

fn bad_request(message: &str) -> Response {
    jira_error(StatusCode::BAD_REQUEST, &[message], json!({}))
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

/// `{scheme}://{host}{prefix}` of this request, for the `self` links Jira puts in its answers.
fn site_url(headers: &HeaderMap, uri: &OriginalUri) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let path = uri.path();
    let prefix = path.find("/rest/api/3/").map_or("", |i| &path[..i]);
    format!("http://{host}{prefix}")
}

fn status_json(site: &str, name: &str) -> Value {
    let status = STATUSES
        .iter()
        .find(|s| s.name == name)
        .expect("issues only hold workflow statuses");
    json!({
        "self": format!("{site}/rest/api/3/status/{}", status.id),
        "name": status.name,
        "id": status.id,
        "statusCategory": {"key": status.category.0, "name": status.category.1},
    })
}

/// `GET /rest/api/3/issue/{key}`: `fields=a,b` limits the fields, as in Jira.
async fn get_issue(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Response {
    let site = site_url(&headers, &uri);
    let mut data = jira.data.lock().unwrap();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let wanted: Option<Vec<&str>> = query
        .get("fields")
        .map(|f| f.split(',').map(str::trim).collect());
    let include = |field: &str| wanted.as_ref().is_none_or(|w| w.contains(&field));
    let mut fields = serde_json::Map::new();
    if include("summary") {
        fields.insert("summary".into(), json!(issue.summary));
    }
    if include("status") {
        fields.insert("status".into(), status_json(&site, issue.status));
    }
    Json(json!({
        "id": issue.id,
        "self": format!("{site}/rest/api/3/issue/{}", issue.id),
        "key": issue.key,
        "fields": fields,
    }))
    .into_response()
}

async fn add_comment(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    uri: OriginalUri,
    body: Bytes,
) -> Response {
    let site = site_url(&headers, &uri);
    let mut data = jira.data.lock().unwrap();
    let comment_id = data.next_comment_id.to_string();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("Unexpected character in the request body: {e}")),
    };
    let comment_error =
        |message: &str| jira_error(StatusCode::BAD_REQUEST, &[], json!({"comment": message}));
    let adf = match request.get("body") {
        None | Some(Value::Null) => return comment_error("Comment body can not be empty!"),
        Some(adf) if !is_adf_doc(adf) => return comment_error("Comment body is not valid!"),
        Some(adf) if adf["content"].as_array().is_some_and(Vec::is_empty) => {
            return comment_error("Comment body can not be empty!")
        }
        Some(adf) => adf.clone(),
    };
    let created = now_jira();
    let issue_id = issue.id.clone();
    issue.comments.push(Comment {
        id: comment_id.clone(),
        body: adf.clone(),
        created: created.clone(),
    });
    data.next_comment_id += 1;
    let author = json!({
        "accountId": "5b10a2844c20165700ede21g",
        "emailAddress": jira.email,
        "displayName": "hitl (local)",
        "active": true,
    });
    (
        StatusCode::CREATED,
        Json(json!({
            "self": format!("{site}/rest/api/3/issue/{issue_id}/comment/{comment_id}"),
            "id": comment_id,
            "author": author,
            "body": adf,
            "updateAuthor": author,
            "created": created,
            "updated": created,
            "jsdPublic": true,
        })),
    )
        .into_response()
}

async fn list_transitions(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Response {
    let site = site_url(&headers, &uri);
    let mut data = jira.data.lock().unwrap();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let transitions: Vec<Value> = WORKFLOW
        .iter()
        .filter(|step| step.from.contains(&issue.status))
        .map(|step| {
            json!({
                "id": step.id,
                "name": step.name,
                "to": status_json(&site, step.to),
                "hasScreen": false,
                "isGlobal": false,
                "isInitial": false,
                "isAvailable": true,
                "isConditional": false,
                "isLooped": false,
            })
        })
        .collect();
    Json(json!({"expand": "transitions", "transitions": transitions})).into_response()
}

/// `POST /rest/api/3/issue/{key}/transitions` `{"transition": {"id": "21"}}`: 204, or 400 when
/// the transition cannot be taken from the issue's current status.
async fn transition(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let mut data = jira.data.lock().unwrap();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("Unexpected character in the request body: {e}")),
    };
    // Jira takes the id as a string or a number.
    let id = match &request["transition"]["id"] {
        Value::String(id) => id.clone(),
        Value::Number(id) => id.to_string(),
        _ => return bad_request("Missing 'transition' identifier"),
    };
    let Some(step) = WORKFLOW
        .iter()
        .find(|s| s.id == id && s.from.contains(&issue.status))
    else {
        return bad_request(&format!(
            "Transition id '{id}' is not valid for this issue."
        ));
    };
    issue.status = step.to;
    StatusCode::NO_CONTENT.into_response()
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

/// The envelope and nodes Jira checks: a `doc` of version 1 whose nodes all have a type and
/// whose text nodes are not empty (Jira refuses an empty text node).
fn is_adf_doc(doc: &Value) -> bool {
    fn node_ok(node: &Value) -> bool {
        let Some(kind) = node.get("type").and_then(Value::as_str) else {
            return false;
        };
        if kind == "text"
            && node
                .get("text")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            return false;
        }
        match node.get("content") {
            None => true,
            Some(Value::Array(children)) => children.iter().all(node_ok),
            Some(_) => false,
        }
    }
    doc.get("type").and_then(Value::as_str) == Some("doc")
        && doc.get("version").and_then(Value::as_u64) == Some(1)
        && doc.get("content").is_some_and(Value::is_array)
        && node_ok(doc)
}

/// ADF as plain text for the local page: blocks on their own lines, mentions and emoji by
/// their text.
fn adf_to_text(doc: &Value) -> String {
    fn walk(node: &Value, out: &mut String) {
        match node.get("type").and_then(Value::as_str) {
            Some("text") => out.push_str(node["text"].as_str().unwrap_or_default()),
            Some("hardBreak") => out.push('\n'),
            Some("mention" | "emoji" | "status" | "date") => {
                out.push_str(node["attrs"]["text"].as_str().unwrap_or_default())
            }
            kind => {
                let separator = if kind == Some("doc") { "\n\n" } else { "\n" };
                let children = node["content"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                for (i, child) in children.iter().enumerate() {
                    let is_block = child.get("content").is_some();
                    if i > 0 && is_block {
                        out.push_str(separator);
                    }
                    walk(child, out);
                }
            }
        }
    }
    let mut out = String::new();
    walk(doc, &mut out);
    out
}

/// Jira's timestamp format: `2024-05-01T09:30:00.000+0000`.
fn now_jira() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "hitl@example.com";
    const TOKEN: &str = "jira-token";

    /// The stand-in mounted as the local stack mounts it; returns the Jira site URL.
    async fn serve() -> (String, Arc<JiraStandIn>) {
        let jira = JiraStandIn::new(EMAIL, TOKEN);
        let app = Router::new().nest("/_standins/jira", jira.clone().router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = format!("http://{}/_standins/jira", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (site, jira)
    }

    fn client() -> reqwest::Client {
        reqwest::Client::new()
    }

    async fn call(
        method: reqwest::Method,
        url: String,
        body: Option<Value>,
    ) -> (u16, HeaderMap, Value) {
        let mut request = client().request(method, url).basic_auth(EMAIL, Some(TOKEN));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    fn doc(text: &str) -> Value {
        json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        ]})
    }

    #[tokio::test]
    async fn requests_need_the_accounts_basic_auth() {
        let (site, _) = serve().await;
        let url = format!("{site}/rest/api/3/issue/OPS-1");
        let response = client().get(&url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.unwrap();
        assert!(body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("authenticated"));
        let response = client()
            .get(&url)
            .basic_auth(EMAIL, Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let (status, _, body) = call(reqwest::Method::GET, url, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["key"], "OPS-1");
        assert_eq!(body["fields"]["status"]["name"], "To Do");
    }

    #[tokio::test]
    async fn unknown_issues_are_404_as_in_jira() {
        let (site, _) = serve().await;
        for (method, tail) in [
            (reqwest::Method::GET, ""),
            (reqwest::Method::GET, "/transitions"),
            (reqwest::Method::POST, "/comment"),
        ] {
            let (status, _, body) = call(
                method,
                format!("{site}/rest/api/3/issue/NOPE-9{tail}"),
                Some(json!({"body": doc("x")})),
            )
            .await;
            assert_eq!(status, 404, "{tail}");
            assert_eq!(body, json!({"errorMessages": [NOT_FOUND], "errors": {}}));
        }
    }

    #[tokio::test]
    async fn comments_must_be_adf_and_are_kept() {
        let (site, jira) = serve().await;
        let url = format!("{site}/rest/api/3/issue/OPS-2/comment");
        let (status, _, body) = call(
            reqwest::Method::POST,
            url.clone(),
            Some(json!({"body": "plain text is v2, not v3"})),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"]["comment"], "Comment body is not valid!");
        let empty_text = json!({"body": {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": ""}]}
        ]}});
        let (status, _, _) = call(reqwest::Method::POST, url.clone(), Some(empty_text)).await;
        assert_eq!(status, 400);

        let (status, _, body) = call(
            reqwest::Method::POST,
            url,
            Some(json!({"body": doc("Approved by ana")})),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(body["id"], "10000");
        assert_eq!(body["body"], doc("Approved by ana"));
        assert!(body["created"].as_str().unwrap().ends_with("+0000"));
        assert_eq!(
            body["self"].as_str().unwrap(),
            format!("{site}/rest/api/3/issue/10002/comment/10000")
        );
        let snapshot = jira.snapshot();
        assert_eq!(
            snapshot["issues"][1]["comments"][0]["text"],
            "Approved by ana"
        );
    }

    #[tokio::test]
    async fn transitions_follow_the_workflow() {
        let (site, jira) = serve().await;
        let url = format!("{site}/rest/api/3/issue/OPS-1/transitions");
        let (status, _, body) = call(reqwest::Method::GET, url.clone(), None).await;
        assert_eq!(status, 200);
        let listed: Vec<(String, String)> = body["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].as_str().unwrap().to_string(),
                    t["to"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("21".into(), "In Progress".into()),
                ("31".into(), "Done".into())
            ]
        );

        let take = |id: &'static str| {
            call(
                reqwest::Method::POST,
                url.clone(),
                Some(json!({"transition": {"id": id}})),
            )
        };
        assert_eq!(take("21").await.0, 204);
        let (status, _, body) = take("21").await;
        assert_eq!(status, 400);
        assert_eq!(
            body["errorMessages"][0],
            "Transition id '21' is not valid for this issue."
        );
        assert_eq!(take("31").await.0, 204);
        assert_eq!(jira.snapshot()["issues"][0]["status"], "Done");
        assert_eq!(take("41").await.0, 204);
        assert_eq!(jira.snapshot()["issues"][0]["status"], "To Do");
    }

    #[tokio::test]
    async fn the_rate_limit_hook_answers_429_with_retry_after() {
        let (site, jira) = serve().await;
        let response = client()
            .post(format!("{site}/_control/rate-limit"))
            .json(&json!({"count": 2, "retryAfter": 7}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 204);
        let url = format!("{site}/rest/api/3/issue/OPS-3?fields=status");
        for _ in 0..2 {
            let (status, headers, body) = call(reqwest::Method::GET, url.clone(), None).await;
            assert_eq!(status, 429);
            assert_eq!(headers["retry-after"], "7");
            assert!(body["errorMessages"].is_array());
        }
        let (status, _, body) = call(reqwest::Method::GET, url, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["fields"], json!({"status": body["fields"]["status"]}));
        assert_eq!(jira.snapshot()["calls"].as_array().unwrap().len(), 3);

        let issues: Value = client()
            .get(format!("{site}/_control/issues"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(issues["issues"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn adf_reads_as_text() {
        let adf = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [
                {"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "b"},
                {"type": "mention", "attrs": {"id": "1", "text": "@ana"}}
            ]},
            {"type": "paragraph", "content": [{"type": "text", "text": "c"}]}
        ]});
        assert_eq!(adf_to_text(&adf), "a\nb@ana\n\nc");
        assert!(is_adf_doc(&adf));
        assert!(!is_adf_doc(&json!({"type": "doc", "version": 1})));
    }
}
