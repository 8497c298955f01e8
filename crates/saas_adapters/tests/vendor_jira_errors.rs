//! Jira Cloud's own published error bodies (tests/fixtures/vendors/jira, sources in that
//! folder's README), answered by a local HTTP server to our real Jira client: the unit tests'
//! bodies are ours, so they could only confirm our own reading of Jira's format.

use std::time::Duration;

use approvals::ports::IssueTracker;
use axum::http::{header, StatusCode};
use saas_adapters::jira::{JiraCloud, JiraError};
use saas_adapters::service_calls::ServiceHttp;
use serde_json::json;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/vendors/jira/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A Jira stand-in that answers every request with `status` and `body`, as Jira does.
async fn jira_answering(status: u16, body: String) -> JiraCloud {
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                StatusCode::from_u16(status).unwrap(),
                [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
                body,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    JiraCloud::new(&url, "ana@example.com", "secret-token")
        .unwrap()
        .with_http(ServiceHttp::new::<JiraError>().with_max_retry_wait(Duration::from_millis(10)))
}

/// Jira's documented 404 body: the workflow sees `Jira.IssueNotFound` with Jira's own words.
#[tokio::test]
async fn jiras_not_found_body_becomes_issue_not_found_with_its_message() {
    let jira = jira_answering(404, fixture("expression-eval-404.json")).await;
    let err = jira.transitions("OPS-1").await.unwrap_err();
    assert_eq!(err.name(), "Jira.IssueNotFound");
    assert!(
        err.to_string()
            .contains("Issue does not exist or you do not have permission to see it."),
        "{err}"
    );
}

/// Jira's documented 400 body with a field error and no general message: the workflow sees
/// `Jira.ApiError` naming the field and Jira's message for it.
#[tokio::test]
async fn jiras_field_error_body_becomes_api_error_naming_the_field() {
    let jira = jira_answering(400, fixture("remotelink-400.json")).await;
    let err = jira.add_comment("OPS-1", &json!({})).await.unwrap_err();
    assert_eq!(err.name(), "Jira.ApiError");
    assert!(
        err.to_string().contains("title: 'title' is required."),
        "{err}"
    );
    assert!(
        !err.to_string().contains("errorMessages"),
        "raw JSON: {err}"
    );
}
