//! The card port's calls (method, path, query, body) and the named error for each refusal,
//! against a recording identity platform, Graph and Bot Connector on loopback: the recorder,
//! looking people up and updating a card here; sending a card in [`send`].

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use approvals::ports::TeamsBot as _;
use approvals::{MessageRef, Retry, TeamsUser};
use axum::extract::Request;
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::super::TeamsBot;

#[path = "bot_cards_send_tests.rs"]
mod send;

const TOKEN_OK: &str = r#"{"token_type":"Bearer","expires_in":3599,"access_token":"t-1"}"#;
const OID: &str = "00000000-0000-0000-0000-0000000000a1";
const ALICE: &str = r#"{"id":"00000000-0000-0000-0000-0000000000a1","displayName":"Alice Liddell","userPrincipalName":"alice@corp.com"}"#;
const CHANNEL: &str = "19:abc@thread.tacv2";
const ACTIVITY: &str = r#"{"id":"1700000000001"}"#;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    body: String,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// The query, percent-decoded.
    fn query(&self) -> String {
        reqwest::Url::parse(&format!("http://x/?{}", self.query))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

struct Recorder {
    url: String,
    seen: Arc<StdMutex<Vec<Seen>>>,
}

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// `METHOD path` of every request, in order.
    fn calls(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

/// Answers the n-th request with the n-th `(status, body)` (the last one repeats).
async fn record(steps: Vec<(u16, &'static str)>) -> Recorder {
    let seen = Arc::new(StdMutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let log = log.clone();
        let steps = steps.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let mut log = log.lock().unwrap();
            log.push(Seen {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().unwrap_or("").to_string(),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let (status, body) = steps[(log.len() - 1).min(steps.len() - 1)];
            (StatusCode::from_u16(status).unwrap(), body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder { url, seen }
}

fn bot(server: &Recorder) -> TeamsBot {
    // Room for one 5xx backoff (200 ms), not for a 429's default second.
    TeamsBot::at_test_server(&server.url, Duration::from_millis(300))
}

fn card() -> Value {
    json!({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Deploy?"}]})
}

fn alice() -> TeamsUser {
    TeamsUser {
        object_id: OID.into(),
        name: "Alice Liddell".into(),
        user_principal_name: Some("alice@corp.com".into()),
        tenant_id: "tenant-1".into(),
    }
}

const TOKEN_PATH: &str = "POST /login/tenant-1/oauth2/v2.0/token";

#[tokio::test]
async fn an_object_id_is_read_from_graph_with_name_and_sign_in_name() {
    let server = record(vec![(200, TOKEN_OK), (200, ALICE)]).await;
    let user = bot(&server).resolve_user(OID).await.unwrap();
    assert_eq!(user, alice());
    let seen = server.seen();
    assert_eq!(server.calls()[1], format!("GET /graph/v1.0/users/{OID}"));
    assert_eq!(seen[1].query(), "$select=id,displayName,userPrincipalName");
}

#[tokio::test]
async fn an_address_is_tried_as_sign_in_name_then_as_mail() {
    let not_found = r#"{"error":{"code":"Request_ResourceNotFound","message":"x"}}"#;
    let bob = r#"{"value":[{"id":"oid-b","displayName":"Bob","userPrincipalName":"bob@corp.onmicrosoft.com"}]}"#;
    let server = record(vec![(200, TOKEN_OK), (404, not_found), (200, bob)]).await;
    let user = bot(&server).resolve_user(" bob@corp.com ").await.unwrap();
    assert_eq!(
        (user.object_id.as_str(), user.name.as_str()),
        ("oid-b", "Bob")
    );
    assert_eq!(
        user.user_principal_name.as_deref(),
        Some("bob@corp.onmicrosoft.com")
    );
    assert_eq!(user.tenant_id, "tenant-1");
    let seen = server.seen();
    assert_eq!(server.calls()[1], "GET /graph/v1.0/users/bob@corp.com");
    assert_eq!(server.calls()[2], "GET /graph/v1.0/users");
    assert_eq!(
        seen[2].query(),
        "$filter=mail eq 'bob@corp.com'&$select=id,displayName,userPrincipalName"
    );
}

#[tokio::test]
async fn nobody_by_that_name_is_user_not_found() {
    let not_found = r#"{"error":{"code":"Request_ResourceNotFound","message":"x"}}"#;
    // An object id that is not there: no other lookup.
    let server = record(vec![(200, TOKEN_OK), (404, not_found)]).await;
    let err = bot(&server).resolve_user(OID).await.unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");
    assert!(err.to_string().contains(OID), "{err}");
    assert_eq!(server.seen().len(), 2);

    let server = record(vec![
        (200, TOKEN_OK),
        (404, not_found),
        (200, r#"{"value":[]}"#),
    ])
    .await;
    let err = bot(&server)
        .resolve_user("nobody@corp.com")
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");

    // Neither an address nor an object id: refused without a call.
    let server = record(vec![(200, TOKEN_OK)]).await;
    let err = bot(&server).resolve_user("alice").await.unwrap_err();
    assert_eq!(err.name(), "Teams.UserNotFound");
    assert!(server.seen().is_empty());
}

fn shown() -> MessageRef {
    MessageRef {
        channel: CHANNEL.into(),
        ts: "1700000000001".into(),
    }
}

#[tokio::test]
async fn an_update_replaces_the_activity_in_place() {
    let server = record(vec![(200, TOKEN_OK), (200, r#"{"id":"1700000000001"}"#)]).await;
    bot(&server).update_card(&shown(), &card()).await.unwrap();
    assert_eq!(
        server.calls()[1],
        format!("PUT /connector/v3/conversations/{CHANNEL}/activities/1700000000001")
    );
    let put = server.seen()[1].json();
    assert_eq!(put["type"], "message");
    assert_eq!(put["id"], "1700000000001");
    assert_eq!(put["attachments"][0]["content"], card());
}

#[tokio::test]
async fn an_update_is_retried_after_a_5xx_and_named_when_refused() {
    let server = record(vec![(200, TOKEN_OK), (502, "{}"), (200, "{}")]).await;
    bot(&server).update_card(&shown(), &card()).await.unwrap();
    assert_eq!(
        server.seen().len(),
        3,
        "retried once: an update is idempotent"
    );

    let gone = r#"{"error":{"code":"NotFound","message":"activity not found"}}"#;
    let server = record(vec![(200, TOKEN_OK), (404, gone)]).await;
    let err = bot(&server)
        .update_card(&shown(), &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.MessageNotFound");
    assert_eq!(err.retry(), Some(Retry::Gone));

    let server = record(vec![
        (200, TOKEN_OK),
        (403, r#"{"error":{"code":"Forbidden","message":"x"}}"#),
    ])
    .await;
    let err = bot(&server)
        .update_card(&shown(), &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.BotNotInstalled");
    assert_eq!(err.retry(), Some(Retry::Never));

    let server = record(vec![(200, TOKEN_OK), (429, "{}")]).await;
    let err = bot(&server)
        .update_card(&shown(), &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.RateLimited");
    assert!(err.is_transient());
}
