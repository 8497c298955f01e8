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
        .with_http(ServiceHttp::new::<JiraError>().with_max_retry_wait(Duration::from_millis(10)))
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
    let (url, seen) = serve(|_, path| match path {
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
    // A 5xx on a read is worth another try; on a write it may have been applied.
    let err = jira.status("OPS-500").await.unwrap_err();
    assert_eq!(err.name(), "Jira.Unavailable");
    let err = jira.add_comment("OPS-500", &json!({})).await.unwrap_err();
    assert_eq!(err.name(), "Jira.Unconfirmed");
    let err = jira.transition("OPS-500", "21").await.unwrap_err();
    assert_eq!(err.name(), "Jira.Unconfirmed");
    assert!(err.to_string().contains("may or may not"), "{err}");
    let posts = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "POST" && s.path_and_query.contains("OPS-500"))
        .count();
    assert_eq!(posts, 2, "each write was sent once");
}

#[test]
fn configuration_is_the_site_the_account_and_the_token_secret() {
    let site = ("https://your-site.atlassian.net/", "x");
    let err = JiraCloud::from_token(site, &SecretString::from(" ")).unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    let jira = JiraCloud::from_token(site, &SecretString::from("x")).unwrap();
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
