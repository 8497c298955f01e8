use std::time::Duration;

use axum::http::HeaderMap;

use super::webhook::CARD_CONTENT_TYPE;
use super::*;

const CLIENT_ID: &str = "client-1";
const SECRET: &str = "secret-1";

/// The stand-in mounted as the local stack mounts it; returns its base URL.
async fn serve() -> (String, Arc<TeamsStandIn>) {
    let teams = TeamsStandIn::new(CLIENT_ID, SECRET);
    let app = Router::new().nest("/_standins/teams", teams.clone().router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/_standins/teams", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, teams)
}

fn card(actions: Value) -> Value {
    json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": "Stop db-1?", "weight": "bolder", "size": "medium", "wrap": true}],
        "actions": actions,
    })
}

fn envelope(card: Value) -> Value {
    json!({"type": "message", "attachments": [{
        "contentType": CARD_CONTENT_TYPE, "contentUrl": null, "content": card,
    }]})
}

fn open_url() -> Value {
    json!([{"type": "Action.OpenUrl", "title": "Approve", "url": "http://127.0.0.1:3000/decisions/a-1?d=approve", "style": "positive"}])
}

async fn post_json(url: &str, body: &Value, bearer: Option<&str>) -> (u16, HeaderMap, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

async fn get_token(base: &str, secret: &str) -> (u16, Value) {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", CLIENT_ID)
        .append_pair("client_secret", secret)
        .append_pair("scope", GRAPH_SCOPE)
        .append_pair("grant_type", "client_credentials")
        .finish();
    let response = reqwest::Client::new()
        .post(format!("{base}/login/local-tenant/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_webhook_accepts_a_card_with_202_and_keeps_it() {
    let (base, teams) = serve().await;
    let (status, _, body) = post_json(
        &format!("{base}/webhook/local-approvals"),
        &envelope(card(open_url())),
        None,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(body, "");
    let snapshot = teams.snapshot();
    let message = &snapshot["messages"][0];
    assert_eq!(message["via"], "webhook");
    assert_eq!(message["where"], json!({"webhookId": "local-approvals"}));
    assert_eq!(message["card"]["actions"][0]["style"], "positive");
    assert!(message["receivedAt"].as_str().unwrap().ends_with('Z'));
    // The control route serves the same snapshot.
    let listed: Value = reqwest::get(format!("{base}/_control/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, snapshot);
}

#[tokio::test]
async fn the_webhook_refuses_what_teams_refuses() {
    let (base, teams) = serve().await;
    let url = format!("{base}/webhook/w1");
    let submit = json!([{"type": "Action.Submit", "title": "OK"}]);
    let cases = [
        (json!({"type": "AdaptiveCard"}), "message"),
        (
            json!({"type": "message", "attachments": []}),
            "no Adaptive Card",
        ),
        (envelope(card(submit)), "Action.Submit"),
        (
            envelope(json!({"type": "AdaptiveCard", "version": "1.5"})),
            "1.5",
        ),
        (
            json!({"type": "message", "attachments": [{"contentType": "text/html", "content": "x"}]}),
            "contentType",
        ),
    ];
    for (body, needle) in cases {
        let (status, _, text) = post_json(&url, &body, None).await;
        assert_eq!(status, 400, "{body}");
        assert!(text.contains(needle), "{body}: {text}");
        // Stay under the per-webhook rate limit.
        tokio::time::sleep(Duration::from_millis(260)).await;
    }
    let big = card(json!([])).to_string().len();
    let mut huge = card(open_url());
    huge["body"][0]["text"] = json!("x".repeat(MAX_MESSAGE_BYTES - big + 100));
    let (status, _, text) = post_json(&url, &envelope(huge), None).await;
    assert_eq!(status, 413);
    assert!(text.contains("Too Large"), "{text}");
    // A text-only message is accepted.
    tokio::time::sleep(Duration::from_millis(260)).await;
    let (status, _, _) = post_json(&url, &json!({"type": "message", "text": "hello"}), None).await;
    assert_eq!(status, 202);
    let snapshot = teams.snapshot();
    assert_eq!(snapshot["messages"].as_array().unwrap().len(), 1);
    assert_eq!(snapshot["messages"][0]["text"], "hello");
}

#[tokio::test]
async fn a_webhook_takes_four_requests_per_second() {
    let (base, _) = serve().await;
    let body = envelope(card(open_url()));
    for _ in 0..WEBHOOK_REQUESTS_PER_SECOND {
        let (status, _, _) = post_json(&format!("{base}/webhook/w1"), &body, None).await;
        assert_eq!(status, 202);
    }
    let (status, headers, _) = post_json(&format!("{base}/webhook/w1"), &body, None).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "1");
    // Another webhook has its own budget; after a second this one is open again.
    let (status, _, _) = post_json(&format!("{base}/webhook/w2"), &body, None).await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, _) = post_json(&format!("{base}/webhook/w1"), &body, None).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn the_rate_limit_hook_answers_429_with_retry_after() {
    let (base, _) = serve().await;
    let (status, _, _) = post_json(
        &format!("{base}/_control/rate-limit"),
        &json!({"count": 2, "retryAfter": 7}),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let body = envelope(card(open_url()));
    for _ in 0..2 {
        let (status, headers, _) = post_json(&format!("{base}/webhook/w9"), &body, None).await;
        assert_eq!(status, 429);
        assert_eq!(headers["retry-after"], "7");
    }
    let (status, _, _) = post_json(&format!("{base}/webhook/w9"), &body, None).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn graph_refuses_app_only_channel_and_chat_messages_as_microsoft_does() {
    let (base, teams) = serve().await;
    let (status, answer) = get_token(&base, "wrong").await;
    assert_eq!(status, 401);
    assert_eq!(answer["error"], "invalid_client");
    let chat = format!("{base}/graph/v1.0/chats/19:x@unq.gbl.spaces/messages");
    let channel = format!("{base}/graph/v1.0/teams/team-1/channels/19:abc@thread.tacv2/messages");
    let text = json!({"body": {"contentType": "text", "content": "hello"}});
    let (status, _, body) = post_json(&chat, &text, None).await;
    assert_eq!(status, 401);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["code"], "InvalidAuthenticationToken");
    let (status, _, _) = post_json(&chat, &text, Some("made-up")).await;
    assert_eq!(status, 401);

    let (status, answer) = get_token(&base, SECRET).await;
    assert_eq!(status, 200);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3599);
    let token = answer["access_token"].as_str().unwrap().to_string();
    for url in [&chat, &channel] {
        let (status, _, body) = post_json(url, &text, Some(&token)).await;
        assert_eq!(status, 401, "{url}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "Unauthorized");
        assert!(
            body.contains("application-only context only for import purposes"),
            "{body}"
        );
    }
    assert_eq!(teams.snapshot()["messages"], json!([]), "nothing is posted");
}
