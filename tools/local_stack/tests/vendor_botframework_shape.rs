//! The local stack's Bot Connector stand-in takes the requests Microsoft publishes and answers
//! with the shapes Microsoft publishes (tests/fixtures/vendors/botframework, sources in that
//! folder's README), and the click it sends to the bot has the shape of Microsoft's published
//! `adaptiveCard/action` invoke and activity envelopes. The stand-in's own tests post bodies
//! we wrote, like our adapter's: both could agree on a shape Teams never takes or never sends.

use std::sync::{Arc, Mutex};

use local_stack::standins::teams::bot::{local_directory, BotConfig, BOT_FRAMEWORK_SCOPE};
use local_stack::standins::teams::conversations::DEFAULT_CHANNEL_ID;
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
    /// The activities the stand-in sent to the bot's messaging endpoint.
    invokes: Arc<Mutex<Vec<Value>>>,
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let config = BotConfig {
        app_id: APP.into(),
        app_secret: SECRET.into(),
        tenant_id: TENANT.into(),
        users: local_directory(),
        messaging_url: format!("{origin}/bot-endpoint"),
        public_url: format!("{origin}/_standins/teams"),
    };
    let teams = TeamsStandIn::new("graph-app", "graph-secret").with_bot(config);
    let invokes: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = invokes.clone();
    let bot = move |axum::Json(activity): axum::Json<Value>| {
        log.lock().unwrap().push(activity);
        async {
            axum::Json(
                json!({"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": "ok"}),
            )
        }
    };
    let app = axum::Router::new()
        .route("/bot-endpoint", axum::routing::post(bot))
        .nest("/_standins/teams", teams.clone().router());
    let base = format!("{origin}/_standins/teams/bot");
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
        invokes,
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

/// Microsoft's `adaptiveCard/action` invoke laid over its published envelope (the invoke
/// example omits it: "other properties omitted for brevity"). Left out: the message's own
/// fields (`text`, `textFormat`, its HTML attachment), the SSO retry's `value.authentication`
/// (sent only when the card asks for single sign-on), and the example's data fields (the
/// button's own: the stand-in sends our card's).
fn published_invoke() -> Value {
    let mut activity = fixture("message-received.json");
    let invoke = fixture("adaptive-card-action-invoke.json");
    let envelope = activity.as_object_mut().unwrap();
    for own in ["text", "textFormat", "attachments"] {
        envelope.remove(own);
    }
    for field in ["type", "name", "value"] {
        envelope.insert(field.into(), invoke[field].clone());
    }
    activity["value"]
        .as_object_mut()
        .unwrap()
        .remove("authentication");
    activity["value"]["action"]["data"] = json!({});
    activity
}

impl Connector {
    /// Alice clicks the card's button `title` on the card `card` sent to `conversation`;
    /// the activity the bot received.
    async fn click(&self, conversation: &str, card: Value, title: &str) -> Value {
        let message = json!({"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]});
        let (status, sent) = self
            .post(
                &format!("conversations/{conversation}/activities"),
                &message,
            )
            .await;
        assert_eq!(status, 201, "{sent}");
        let request = serde_json::from_value(json!({"user": "alice@example.com",
            "conversationId": conversation, "activityId": sent["id"], "action": title}))
        .unwrap();
        let answer = self.teams.click(&request).await.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        self.invokes.lock().unwrap().pop().unwrap()
    }
}

#[tokio::test]
async fn the_click_the_stand_in_sends_has_the_shape_of_microsofts_invoke_activity() {
    let connector = connector().await;
    let (_, chat) = connector
        .post("conversations", &connector.published_conversation_request())
        .await;
    let card = json!({"type": "AdaptiveCard", "version": "1.5", "body": [],
        "actions": [{"type": "Action.Execute", "id": "b1", "title": "Approve", "verb": "decide",
            "data": {"approvalId": "a-1"}}]});
    let personal = connector
        .click(chat["id"].as_str().unwrap(), card.clone(), "Approve")
        .await;
    let published = published_invoke();
    assert_same_shape(&personal, &published, "1:1 invoke");
    assert_eq!(
        personal["value"]["action"]["data"],
        json!({"approvalId": "a-1"})
    );
    assert_eq!(personal["conversation"]["conversationType"], "personal");

    // In a channel, the conversation carries what Teams' published channel activity carries
    // (its display name aside) and the team.
    let channel = connector.click(DEFAULT_CHANNEL_ID, card, "Approve").await;
    assert_same_shape(&channel, &published, "channel invoke");
    let mut team = fixture("conversation-update-team-install.json");
    team["conversation"].as_object_mut().unwrap().remove("name");
    let published_channel = json!({"conversation": team["conversation"],
        "channelData": {"tenant": team["channelData"]["tenant"], "team": {"id": ""}}});
    assert_same_shape(&channel, &published_channel, "channel invoke");
}
