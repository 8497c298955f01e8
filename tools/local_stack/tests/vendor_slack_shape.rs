//! The Slack stand-in's click has the shape of Slack's own published `block_actions` example
//! (tests/fixtures/vendors/slack/block_actions.json): every key our parser reads is there in
//! both, with the same JSON type. Otherwise the local stack and the e2e tests could pass on a
//! shape Slack never sends.

use std::sync::{Arc, Mutex};

use local_stack::standins::slack::{ButtonChoice, SlackStandIn};
use serde_json::{json, Value};

const TOKEN: &str = "xoxb-local";

/// The key paths of a `block_actions` payload that `channels::slack_click` reads.
const READ_BY_OUR_PARSER: &[&str] = &[
    "/type",
    "/user/id",
    "/user/username",
    "/user/team_id",
    "/team/id",
    "/container/channel_id",
    "/container/message_ts",
    "/channel/id",
    "/message/ts",
    "/trigger_id",
    "/actions/0/action_id",
    "/actions/0/block_id",
    "/actions/0/value",
    "/actions/0/type",
];

fn slacks_example() -> Value {
    let path = format!(
        "{}/../../tests/fixtures/vendors/slack/block_actions.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The payload the stand-in POSTs to the interactivity URL when U0ALICE clicks a button.
async fn stand_in_click() -> Value {
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let log = seen.clone();
    let endpoint = axum::Router::new().route(
        "/slack/interactions",
        axum::routing::post(move |body: String| async move {
            *log.lock().unwrap() = Some(body);
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let interactivity = format!(
        "http://{}/slack/interactions",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, endpoint).await });
    let slack = SlackStandIn::new(TOKEN, "signing-secret", &interactivity);
    let app = axum::Router::new().nest("/_standins/slack", slack.clone().router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/_standins/slack", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let message = json!({"channel": "C0APPROVALS", "text": "Stop db-1?", "blocks": [
        {"type": "actions", "block_id": "b", "elements": [{"type": "button", "action_id": "a",
            "text": {"type": "plain_text", "text": "Stop"}, "value": "approve"}]}
    ]});
    let posted: Value = reqwest::Client::new()
        .post(format!("{base}/api/chat.postMessage"))
        .bearer_auth(TOKEN)
        .json(&message)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["ok"], true, "{posted}");
    let (channel, ts) = (
        posted["channel"].as_str().unwrap(),
        posted["ts"].as_str().unwrap(),
    );
    slack
        .click(channel, ts, "U0ALICE", &ButtonChoice::Index(0))
        .await
        .unwrap();
    let form = seen.lock().unwrap().clone().expect("no click arrived");
    let (_, payload) = form_urlencoded::parse(form.as_bytes())
        .find(|(k, _)| k == "payload")
        .expect("no payload field");
    serde_json::from_str(&payload).unwrap()
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

#[tokio::test]
async fn the_stand_ins_click_carries_what_we_read_as_slacks_example_does() {
    let (slack, ours) = (slacks_example(), stand_in_click().await);
    for path in READ_BY_OUR_PARSER {
        let published = slack
            .pointer(path)
            .unwrap_or_else(|| panic!("Slack's example has no {path}: the list above is wrong"));
        let stand_in = ours
            .pointer(path)
            .unwrap_or_else(|| panic!("the stand-in's click has no {path}: {ours}"));
        assert_eq!(
            kind(stand_in),
            kind(published),
            "{path}: {stand_in} vs {published}"
        );
    }
    assert_eq!(ours["type"], slack["type"]);
    assert_eq!(ours["actions"][0]["type"], slack["actions"][0]["type"]);
}
