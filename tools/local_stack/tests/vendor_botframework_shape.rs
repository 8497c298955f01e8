//! The local stack's Bot Connector stand-in takes the requests Microsoft publishes and answers
//! with the shapes Microsoft publishes (tests/fixtures/vendors/botframework, sources in that
//! folder's README). The stand-in's own tests post bodies we wrote, like our adapter's: both
//! could agree on a shape Teams never takes or never answers.

use std::sync::Arc;

use local_stack::standins::teams::bot::{local_directory, BotConfig, BOT_FRAMEWORK_SCOPE};
use local_stack::standins::teams::{TeamsStandIn, GRAPH_SCOPE};
use serde_json::{json, Value};

const APP: &str = "app-1";
const SECRET: &str = "bot-secret";
const TENANT: &str = "tenant-1";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/vendors/botframework/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The JSON type of a value, to compare shapes, not values.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key path of `value` that ends in a scalar (`/a/0/b`), with its JSON type.
fn leaves(value: &Value, at: String, out: &mut Vec<(String, &'static str)>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| leaves(v, format!("{at}/{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| leaves(v, format!("{at}/{i}"), out)),
        scalar => out.push((at, kind(scalar))),
    }
}

/// `answer` has every key path of `published`, each with the same JSON type.
fn assert_same_shape(answer: &Value, published: &Value, what: &str) {
    let mut paths = Vec::new();
    leaves(published, String::new(), &mut paths);
    assert!(!paths.is_empty(), "{what}: the published example is empty");
    for (path, published_kind) in paths {
        let ours = answer
            .pointer(&path)
            .unwrap_or_else(|| panic!("{what}: the stand-in's answer has no {path}: {answer}"));
        assert_eq!(kind(ours), published_kind, "{what} {path}: {answer}");
    }
}

struct Connector {
    base: String,
    teams: Arc<TeamsStandIn>,
    token: String,
    alice: String,
}

async fn token(base: &str, scope: &str) -> String {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", APP)
        .append_pair("client_secret", SECRET)
        .append_pair("scope", scope)
        .append_pair("grant_type", "client_credentials")
        .finish();
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/login/{TENANT}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_string()
}

/// The Teams stand-in with a bot, a Bot Connector token, and alice's object id (through Graph).
async fn connector() -> Connector {
    let config = BotConfig {
        app_id: APP.into(),
        app_secret: SECRET.into(),
        tenant_id: TENANT.into(),
        users: local_directory(),
    };
    let teams = TeamsStandIn::new("graph-app", "graph-secret").with_bot(config);
    let app = axum::Router::new().nest("/_standins/teams", teams.clone().router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/_standins/teams/bot",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let graph = token(&base, GRAPH_SCOPE).await;
    let alice: Value = reqwest::Client::new()
        .get(format!("{base}/graph/v1.0/users/alice@example.com"))
        .bearer_auth(&graph)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Connector {
        token: token(&base, BOT_FRAMEWORK_SCOPE).await,
        alice: alice["id"].as_str().unwrap().to_string(),
        base,
        teams,
    }
}

impl Connector {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/connector/v3/{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Teams' published conversation request, its ids replaced by the stand-in's bot, alice and
    /// the tenant: the keys and their types stay Microsoft's (no `isGroup`, no `tenantId`).
    fn published_conversation_request(&self) -> Value {
        let mut request = fixture("create-conversation-request.json");
        request["bot"]["id"] = json!(format!("28:{APP}"));
        request["members"][0]["id"] = json!(self.alice);
        request["channelData"]["tenant"]["id"] = json!(TENANT);
        request
    }
}

#[tokio::test]
async fn teams_published_conversation_request_is_taken_and_answered_as_teams_answers() {
    let connector = connector().await;
    let request = connector.published_conversation_request();
    let (status, answer) = connector.post("conversations", &request).await;
    assert_eq!(status, 201, "{answer}");
    let published = fixture("create-conversation-response.json");
    assert_same_shape(&answer, &published, "conversation");
    // Teams' 1:1 conversation ids start `a:`, as in Microsoft's example.
    assert_eq!(
        answer["id"].as_str().unwrap()[..2],
        published["id"].as_str().unwrap()[..2]
    );
}

#[tokio::test]
async fn the_published_message_activities_are_delivered_and_answered_with_an_id() {
    let connector = connector().await;
    let request = connector.published_conversation_request();
    let (_, conversation) = connector.post("conversations", &request).await;
    let activities = format!(
        "conversations/{}/activities",
        conversation["id"].as_str().unwrap()
    );
    for name in ["message-adaptive-card.json", "message-text.json"] {
        let (status, answer) = connector.post(&activities, &fixture(name)).await;
        assert_eq!(status, 201, "{name}: {answer}");
        // The Bot Connector's ResourceResponse: `{"id": string}`.
        assert_same_shape(&answer, &json!({"id": ""}), name);
    }
    let messages = connector.teams.snapshot()["messages"].clone();
    assert_eq!(messages[0]["card"]["body"][0]["text"], "Hello World!");
    assert_eq!(messages[0]["where"]["user"], "alice@example.com");
    assert_eq!(
        messages[1]["text"],
        "Plain text is ok, but sometimes I long for more..."
    );
}
