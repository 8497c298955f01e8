use axum::http::HeaderMap;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;

use super::adf::{adf_to_text, is_adf_doc};
use super::routes::NOT_FOUND;
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

/// A Jira Cloud error body as Atlassian publishes it (tests/fixtures/vendors/jira/).
fn published(file: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/vendors/jira/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
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
        assert_eq!(
            body,
            published("expression-eval-404.json"),
            "Jira's own 404 body"
        );
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
