//! The events the cases send, and the environment Lambda gives a function.

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use local_stack::http_api;
use serde_json::{json, Value};

use crate::prep;

/// What Lambda gives every function (and the deployment's own variables).
pub fn lambda_env(binary: &str, memory_mb: u64) -> Vec<(String, String)> {
    let pairs = [
        ("AWS_LAMBDA_FUNCTION_NAME", binary.to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "bench".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench".into()),
        ("AWS_SESSION_TOKEN", "bench".into()),
        ("TABLE_NAME", prep::TABLE.into()),
        ("LINK_SIGNING_KEYS_SECRET_ID", prep::KEY_RING_ID.into()),
        ("DECISION_BASE_URL", "https://approvals.example.com".into()),
        ("SENDER_EMAIL", "approvals@example.com".into()),
        // The Decision API as deployed with Slack: its secrets are read at init.
        ("SLACK_BOT_TOKEN_SECRET_ID", prep::BOT_TOKEN_ID.into()),
        (
            "SLACK_SIGNING_SECRET_SECRET_ID",
            prep::SIGNING_SECRET_ID.into(),
        ),
        (
            "SLACK_TEAM_ID",
            local_stack::standins::slack::TEAM_ID.into(),
        ),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

pub fn create_event(i: usize) -> Value {
    json!({"title": format!("Bench approval {i}"), "approvers": ["owner@example.com"]})
}

/// The HttpApi event of a person's click on a link's Approve (GET), or of the confirmation
/// page's form (POST: the link's fields as the form body).
pub fn link_event(created: &Value, method: Method) -> Value {
    let url = created["links"][0]["approveUrl"]
        .as_str()
        .unwrap_or_default();
    let uri: Uri = url.parse().unwrap_or_default();
    let approval_id = uri.path().rsplit('/').next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("approvals.example.com"));
    headers.insert("user-agent", HeaderValue::from_static("hitl-bench"));
    let mut path_parameters = serde_json::Map::new();
    path_parameters.insert("approvalId".into(), json!(approval_id));
    if method == Method::GET {
        let route = "GET /decisions/{approvalId}";
        return http_api::event(
            route,
            &method,
            &uri,
            &headers,
            "127.0.0.1",
            b"",
            path_parameters,
        );
    }
    let form = HeaderValue::from_static("application/x-www-form-urlencoded");
    headers.insert("content-type", form);
    let path: Uri = uri.path().parse().unwrap_or_default();
    let body = uri.query().unwrap_or_default().as_bytes();
    let route = "POST /decisions/{approvalId}";
    http_api::event(
        route,
        &method,
        &path,
        &headers,
        "127.0.0.1",
        body,
        path_parameters,
    )
}
