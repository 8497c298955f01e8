//! The bot stand-in refuses what Microsoft refuses: tokens for another tenant, secret or
//! scope, a token of the wrong audience, nobody, a person without the app, an unknown
//! conversation, a body over 100 KB; and delivers the rest into the Teams snapshot.

use super::*;

const APP: &str = "app-1";
const SECRET: &str = "bot-secret";
const TENANT: &str = "tenant-1";

async fn serve() -> (String, Arc<TeamsStandIn>) {
    serve_with_bot_at(None).await
}

/// The stand-in with a bot whose messaging endpoint is `messaging_url` (default: nowhere).
async fn serve_with_bot_at(messaging_url: Option<String>) -> (String, Arc<TeamsStandIn>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let config = BotConfig {
        app_id: APP.into(),
        app_secret: SECRET.into(),
        tenant_id: TENANT.into(),
        users: local_directory(),
        messaging_url: messaging_url.unwrap_or_else(|| format!("{origin}/nowhere")),
        public_url: format!("{origin}/_standins/teams"),
    };
    let teams = TeamsStandIn::new("graph-app", "graph-secret").with_bot(config);
    let app = Router::new().nest("/_standins/teams", teams.clone().router());
    let base = format!("{origin}/_standins/teams/bot");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, teams)
}

async fn token(base: &str, tenant: &str, secret: &str, scope: &str) -> (u16, Value) {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", APP)
        .append_pair("client_secret", secret)
        .append_pair("scope", scope)
        .append_pair("grant_type", "client_credentials")
        .finish();
    let response = reqwest::Client::new()
        .post(format!("{base}/login/{tenant}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn bearer(base: &str, scope: &str) -> String {
    let (status, body) = token(base, TENANT, SECRET, scope).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = match method {
        "GET" => client.get(url),
        _ => client.post(url).header("content-type", "application/json"),
    };
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn conversation_for(object_id: &str, tenant: &str) -> Value {
    json!({"isGroup": false, "bot": {"id": format!("28:{APP}")}, "members": [{"id": object_id}],
        "tenantId": tenant, "channelData": {"tenant": {"id": tenant}}})
}

fn card_activity() -> Value {
    json!({"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "Stop db-1?"}],
        "actions": [{"type": "Action.OpenUrl", "title": "Approve", "url": "http://x/decisions/a?a=0"}]}}]})
}

#[tokio::test]
async fn tokens_only_for_the_bots_tenant_secret_and_scopes() {
    let (base, _) = serve().await;
    let (status, body) = token(&base, "other-tenant", SECRET, BOT_FRAMEWORK_SCOPE).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = token(&base, TENANT, "guess", BOT_FRAMEWORK_SCOPE).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let scope = "https://api.botframework.com/Chat.Send";
    let (status, body) = token(&base, TENANT, SECRET, scope).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn each_service_takes_only_its_own_tokens() {
    let (base, _) = serve().await;
    let graph = bearer(&base, GRAPH_SCOPE).await;
    let connector = bearer(&base, BOT_FRAMEWORK_SCOPE).await;
    let users = format!("{base}/graph/v1.0/users/alice@example.com?$select=id");
    assert_eq!(call("GET", &users, None, None).await.0, 401);
    assert_eq!(call("GET", &users, Some(&connector), None).await.0, 401);
    let (status, alice) = call("GET", &users, Some(&graph), None).await;
    assert_eq!(status, 200);
    let alice = alice["id"].as_str().unwrap().to_string();
    let conversations = format!("{base}/connector/v3/conversations");
    let request = conversation_for(&alice, TENANT);
    let (status, body) = call("POST", &conversations, Some(&graph), Some(request.clone())).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        call("POST", &conversations, None, Some(request)).await.0,
        401
    );
}

#[tokio::test]
async fn people_are_found_by_sign_in_name_or_mail_and_nobody_is_404() {
    let (base, _) = serve().await;
    let graph = bearer(&base, GRAPH_SCOPE).await;
    let (status, body) = call(
        "GET",
        &format!("{base}/graph/v1.0/users/nobody@example.com"),
        Some(&graph),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("Request_ResourceNotFound"))
    );
    let by_upn = format!("{base}/graph/v1.0/users/dave@example.com");
    assert_eq!(call("GET", &by_upn, Some(&graph), None).await.0, 404);
    let by_mail =
        format!("{base}/graph/v1.0/users?$filter=mail%20eq%20'dave@example.com'&$select=id");
    let (status, body) = call("GET", &by_mail, Some(&graph), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().unwrap().len(), 1, "{body}");
    let other = format!("{base}/graph/v1.0/users?$filter=startswith(mail,'d')");
    assert_eq!(call("GET", &other, Some(&graph), None).await.0, 400);
}

#[tokio::test]
async fn a_proactive_message_reaches_only_people_with_the_app() {
    let (base, teams) = serve().await;
    let graph = bearer(&base, GRAPH_SCOPE).await;
    let connector = bearer(&base, BOT_FRAMEWORK_SCOPE).await;
    let id_of = |user: Value| user["id"].as_str().unwrap().to_string();
    let alice = id_of(
        call(
            "GET",
            &format!("{base}/graph/v1.0/users/alice@example.com"),
            Some(&graph),
            None,
        )
        .await
        .1,
    );
    let carol = id_of(
        call(
            "GET",
            &format!("{base}/graph/v1.0/users/carol@example.com"),
            Some(&graph),
            None,
        )
        .await
        .1,
    );
    let conversations = format!("{base}/connector/v3/conversations");
    let post = |body: Value| call("POST", &conversations, Some(&connector), Some(body));

    let (status, body) = post(conversation_for(&carol, TENANT)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("Forbidden")),
        "{body}"
    );
    assert_eq!(post(conversation_for(&alice, "other-tenant")).await.0, 403);
    let mut group = conversation_for(&alice, TENANT);
    group["isGroup"] = json!(true);
    assert_eq!(post(group).await.0, 400);

    let (status, created) = post(conversation_for(&alice, TENANT)).await;
    assert_eq!(status, 201);
    let again = post(conversation_for(&alice, TENANT)).await.1;
    assert_eq!(created, again, "one 1:1 conversation per person");
    let id = created["id"].as_str().unwrap();
    let activities = format!("{conversations}/{id}/activities");
    let (status, _) = call("POST", &activities, Some(&connector), Some(card_activity())).await;
    assert_eq!(status, 201);
    let message = &teams.snapshot()["messages"][0];
    assert_eq!(message["via"], "bot");
    assert_eq!(message["where"]["user"], "alice@example.com");
    assert_eq!(message["card"]["actions"][0]["type"], "Action.OpenUrl");

    let unknown = format!("{conversations}/a:nope/activities");
    let (status, body) = call("POST", &unknown, Some(&connector), Some(card_activity())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ConversationNotFound"))
    );
    let huge = json!({"type": "message", "text": "x".repeat(MAX)});
    let (status, body) = call("POST", &activities, Some(&connector), Some(huge)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("MessageSizeTooBig"))
    );
}

const MAX: usize = super::super::bot_connector::MAX_BOT_MESSAGE_BYTES;
