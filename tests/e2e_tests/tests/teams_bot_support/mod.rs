//! Clicking the bot's cards on the local stack, shared by the Teams bot test binaries: the
//! Bot Framework stand-in's control calls (its conversations and directory, a click or refresh
//! as any person, signed as Teams would) and what the Decision API answered.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

/// Teams shows the clicker an error when the invoke's answer is later than this.
pub const TEAMS_WAITS: Duration = Duration::from_secs(5);

pub fn standin(path: &str) -> String {
    format!("{}/_standins/teams{path}", endpoints().api)
}

/// The bot's conversations as the stand-in holds them.
pub async fn conversations() -> Vec<Value> {
    let r = http()
        .get(standin("/_control/bot/conversations"))
        .send()
        .await
        .unwrap();
    let all: Value = r.json().await.unwrap();
    all["conversations"].as_array().unwrap().clone()
}

/// The id of the default conversation of `kind` (`channel`, `groupChat`).
pub async fn conversation(kind: &str) -> String {
    let all = conversations().await;
    let found = all.iter().find(|c| c["conversationType"] == kind);
    found.unwrap()["id"].as_str().unwrap().to_string()
}

/// The Entra object id of the person whose mail is `mail`.
pub async fn object_id(mail: &str) -> String {
    let all = conversations().await;
    let members = all.iter().flat_map(|c| c["members"].as_array().unwrap());
    let found = members.clone().find(|m| m["mail"] == mail);
    found.unwrap()["objectId"].as_str().unwrap().to_string()
}

/// The `approvalId` of the card's first `Action.Execute`.
pub fn approval_id_of(card: &Value) -> Option<String> {
    match card {
        Value::Object(map) if map.get("type") == Some(&json!("Action.Execute")) => map
            .get("data")?
            .get("approvalId")?
            .as_str()
            .map(String::from),
        Value::Object(map) => map.values().find_map(approval_id_of),
        Value::Array(items) => items.iter().find_map(approval_id_of),
        _ => None,
    }
}

pub fn card_has_buttons(card: &Value) -> bool {
    card.to_string().contains("Action.Execute\"") && approval_id_of(card).is_some()
}

/// The card's buttons (its `Action.Execute`s, not its refresh), in order.
pub fn buttons(card: &Value) -> Vec<Value> {
    fn walk(v: &Value, found: &mut Vec<Value>) {
        match v {
            Value::Object(map) if map.get("type") == Some(&json!("Action.Execute")) => {
                found.push(v.clone())
            }
            Value::Object(map) => map
                .iter()
                .filter(|(k, _)| *k != "refresh")
                .for_each(|(_, v)| walk(v, found)),
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(card, &mut found);
    found
}

/// What the button titled `title` of `card` sends when clicked (`verb` and `data`), for a
/// click by someone whose client still shows that card, whatever it has become since.
pub fn pressing(card: &Value, title: &str) -> Value {
    let all = buttons(card);
    let button = all.iter().find(|b| b["title"] == title);
    let button = button.unwrap_or_else(|| panic!("no button {title:?}: {card}"));
    json!({"verb": button["verb"], "data": button["data"]})
}

/// A click by `user` on the card of `message`, as `how` says (`action`: a button's title on
/// the card as they see it now, or `verb` and `data`; `token`; `inputs`): what the endpoint
/// answered (`status`, `body`).
pub async fn click(user: &str, message: &Value, how: Value) -> Value {
    let mut request = json!({"user": user,
        "conversationId": message["where"]["conversationId"], "activityId": message["id"]});
    request
        .as_object_mut()
        .unwrap()
        .extend(how.as_object().unwrap().clone());
    let started = Instant::now();
    let r = http()
        .post(standin("/_control/click"))
        .json(&request)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "the stand-in sent the click: {text}");
    assert!(
        started.elapsed() < TEAMS_WAITS,
        "answered within Teams' limit"
    );
    serde_json::from_str(&text).unwrap()
}

/// The card the endpoint answered a click with (HTTP 200, the Universal Actions response).
pub fn answered_card(answer: &Value) -> &Value {
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["body"]["statusCode"], 200, "{answer}");
    assert_eq!(
        answer["body"]["type"], "application/vnd.microsoft.card.adaptive",
        "{answer}"
    );
    &answer["body"]["value"]
}

/// The decision stored for `approval_id`, if any.
pub async fn stored_decision(approval_id: &str) -> String {
    attr(&approval_record(approval_id).await, "decision")
}

pub async fn fire_relay() {
    let url = format!(
        "{}/_local/api/schedules/DecisionRelayFunction.Relay/fire",
        endpoints().api
    );
    let r = http().post(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
}

/// The bot's message `message` as it is now (its `card`, how many `updates`).
async fn bot_message_now(message: &Value) -> Value {
    let all = chat().await["teams"]["messages"].clone();
    let found = all
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message["id"]);
    found.cloned().expect("the card is still there")
}

/// Fires the relay until the bot's message `message` is `done`, for up to a minute (`what`
/// names the wait in its failure); its card then.
async fn card_once(message: &Value, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        fire_relay().await;
        let current = bot_message_now(message).await;
        if done(&current) {
            return current["card"].clone();
        }
        assert!(Instant::now() < deadline, "{what}: {current}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The card of `message` once the relay has put the outcome in its place.
pub async fn updated_card(message: &Value) -> Value {
    card_once(message, "the card was never updated", |m| {
        m["updates"].as_u64().unwrap_or(0) > 0
    })
    .await
}

/// Waits (firing the relay) until everyone's copy of the bot card `message` has no buttons.
pub async fn closed_card(message: &Value) -> Value {
    card_once(message, "the card still has buttons", |m| {
        !card_has_buttons(&m["card"])
    })
    .await
}
