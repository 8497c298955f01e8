//! What our Teams bot sends the Bot Connector has the shape of Microsoft's published requests
//! (tests/fixtures/vendors/botframework, sources in that folder's README): the conversation it
//! opens and the message activity it posts, captured by a local server in the place of the
//! identity platform, Graph and the Bot Connector. The unit tests check the calls against
//! bodies we wrote, so they could only confirm our own reading of the format.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use approvals::ports::TeamsMessage;
use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use channels::teams::text_card;
use saas_adapters::service_calls::ServiceHttp;
use saas_adapters::teams::bot::{BotSettings, TeamsBot};
use saas_adapters::teams::TeamsError;
use secrecy::SecretString;
use serde_json::{json, Value};

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

/// For each key path we use, `ours` has it with the JSON type Microsoft's `published` example
/// gives it.
fn assert_shape(ours: &Value, published: &Value, paths: &[&str], what: &str) {
    for path in paths {
        let theirs = published
            .pointer(path)
            .unwrap_or_else(|| panic!("{what}: Microsoft's example has no {path}: fix the list"));
        let sent = ours
            .pointer(path)
            .unwrap_or_else(|| panic!("{what}: we send no {path}: {ours}"));
        assert_eq!(
            kind(sent),
            kind(theirs),
            "{what} {path}: {sent} vs {theirs}"
        );
    }
}

/// The bodies the bot posted to the Bot Connector, by path.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A bot whose token endpoint, Graph and Bot Connector are one local server recording posts.
async fn bot() -> (TeamsBot, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, body: Bytes| {
        let log = log.clone();
        async move {
            let path = uri.path().to_string();
            let answer = if path.ends_with("/oauth2/v2.0/token") {
                json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "t"})
            } else if path.starts_with("/graph/") {
                json!({"id": "00000000-0000-0000-0000-0000000000a1"})
            } else if path.ends_with("/v3/conversations") {
                fixture("create-conversation-response.json")
            } else {
                json!({"id": "1700000000000"})
            };
            if path.starts_with("/connector/") {
                let sent = serde_json::from_slice(&body).unwrap_or(Value::Null);
                log.lock().unwrap().push((path.clone(), sent));
            }
            let status = match path.starts_with("/connector/") {
                true => StatusCode::CREATED,
                false => StatusCode::OK,
            };
            (status, axum::Json(answer))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let settings = BotSettings {
        app_id: "app-1".into(),
        tenant_id: "tenant-1".into(),
        service_url: format!("{url}/connector/"),
        login_url: format!("{url}/login"),
        graph_url: format!("{url}/graph"),
    };
    let http = ServiceHttp::new::<TeamsError>().with_max_retry_wait(Duration::from_millis(10));
    let bot = TeamsBot::new(settings, &SecretString::from("s3cret"))
        .unwrap()
        .with_http(http);
    (bot, seen)
}

/// Sends `message` to alice; the conversation request and the activity the bot posted.
async fn sent(message: TeamsMessage) -> (Value, Value) {
    let (bot, seen) = bot().await;
    bot.send_to_user("alice@corp.com", &message).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let [(open, conversation), (post, activity)] = seen.as_slice() else {
        panic!("expected a conversation and an activity: {seen:?}");
    };
    assert_eq!(open, "/connector/v3/conversations");
    // The id Teams answered (its published example's) is the conversation posted to.
    let id = fixture("create-conversation-response.json")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        post,
        &format!("/connector/v3/conversations/{id}/activities")
    );
    (conversation.clone(), activity.clone())
}

#[tokio::test]
async fn the_conversation_we_open_has_the_shape_of_microsofts_examples() {
    let (conversation, _) = sent(TeamsMessage::Text("Stop db-1?".into())).await;
    // Teams' proactive-message example: the bot, the one member, the tenant.
    let teams = fixture("create-conversation-request.json");
    let paths = ["/bot/id", "/members/0/id", "/channelData/tenant/id"];
    assert_shape(&conversation, &teams, &paths, "Teams' conversation");
    assert_eq!(conversation["members"].as_array().unwrap().len(), 1);
    // Bot Framework's REST example: a 1:1 conversation says `isGroup: false`.
    let bot_framework = fixture("bf-create-conversation-request.json");
    assert_shape(
        &conversation,
        &bot_framework,
        &["/isGroup"],
        "Bot Framework's conversation",
    );
    assert_eq!(conversation["isGroup"], false);
    // Teams' bot ids are `28:<app id>`, as in its example.
    assert!(teams["bot"]["id"].as_str().unwrap().starts_with("28:"));
    assert_eq!(conversation["bot"]["id"], "28:app-1");
}

#[tokio::test]
async fn the_card_we_post_has_the_shape_of_the_published_adaptive_card_message() {
    let card = text_card(Some("Stop db-1?"), "Approve or reject.");
    let (_, activity) = sent(TeamsMessage::Card(card)).await;
    let paths = [
        "/type",
        "/attachments/0/contentType",
        "/attachments/0/content/type",
        "/attachments/0/content/version",
        "/attachments/0/content/body/0/type",
        "/attachments/0/content/body/0/text",
    ];
    let published = fixture("message-adaptive-card.json");
    assert_shape(&activity, &published, &paths, "card message");
    for path in [
        "/type",
        "/attachments/0/contentType",
        "/attachments/0/content/type",
    ] {
        assert_eq!(activity.pointer(path), published.pointer(path), "{path}");
    }
}

#[tokio::test]
async fn the_text_we_post_has_the_shape_of_the_published_text_message() {
    let (_, activity) = sent(TeamsMessage::Text("Stop db-1?".into())).await;
    let published = fixture("message-text.json");
    assert_shape(&activity, &published, &["/type", "/text"], "text message");
    assert_eq!(activity["type"], published["type"]);
}
