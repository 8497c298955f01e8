//! The chat stand-ins (Slack, Teams, Jira) of the local stack, as the tests read and drive
//! them: what they hold, Slack clicks as Slack sends them, rate limits.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{endpoints, http, local_api};

/// Everything the chat stand-ins hold: `{slack: {messages, ephemerals, calls, users}, teams, jira}`.
pub async fn chat() -> Value {
    local_api("/_local/api/chat").await
}

/// The Slack message at `channel`/`ts` as the stand-in holds it now.
pub async fn slack_message(channel: &str, ts: &str) -> Value {
    chat().await["slack"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == channel && m["ts"] == ts)
        .cloned()
        .unwrap_or_else(|| panic!("no Slack message {channel}/{ts}"))
}

/// Waits for a Slack message whose text contains `needle`.
pub async fn slack_message_with(needle: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = chat().await["slack"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["text"].as_str().unwrap_or_default().contains(needle))
            .cloned();
        if let Some(m) = found {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no Slack message with {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A click as Slack sends it (signed `block_actions`); `extra` may hold the stand-in's
/// `timestamp` / `signingSecret` test hooks. Returns what our endpoint answered Slack.
pub async fn slack_click(
    channel: &str,
    ts: &str,
    user: &str,
    value: &str,
    extra: Value,
) -> (u16, String) {
    let mut body = serde_json::json!({"channel": channel, "ts": ts, "user": user, "value": value});
    if let Some(extra) = extra.as_object() {
        for (k, v) in extra {
            body[k] = v.clone();
        }
    }
    let r: Value = http()
        .post(format!(
            "{}/_standins/slack/_control/click",
            endpoints().api
        ))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["status"].as_u64().unwrap() as u16,
        r["body"].as_str().unwrap_or_default().to_string(),
    )
}

/// The ephemeral notes `user` got.
pub async fn slack_ephemerals_for(user: &str) -> Vec<String> {
    chat().await["slack"]["ephemerals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["user"] == user)
        .map(|e| e["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits for a note to `user` holding `needle` (Slack's ephemeral answer to a click).
pub async fn note_to(user: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let notes = slack_ephemerals_for(user).await;
        if let Some(note) = notes.into_iter().find(|n| n.contains(needle)) {
            return note;
        }
        assert!(
            Instant::now() < deadline,
            "{user} was never told {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Makes the next `count` calls to a stand-in answer 429 with `Retry-After: retry_after`.
pub async fn rate_limit(service: &str, count: u32, retry_after: u64) {
    let r = http()
        .post(format!(
            "{}/_standins/{service}/_control/rate-limit",
            endpoints().api
        ))
        .json(&serde_json::json!({"count": count, "retryAfter": retry_after}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "rate-limit hook: {}", r.status());
}

/// Where a Slack message is: its channel and `ts`.
pub fn message_ref(m: &Value) -> (String, String) {
    (
        m["channel"].as_str().unwrap().to_string(),
        m["ts"].as_str().unwrap().to_string(),
    )
}

/// Whether a Slack message still shows buttons (an `actions` block).
pub fn has_buttons(message: &Value) -> bool {
    message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["type"] == "actions")
}

/// The last line of a Slack message: the first text of its last block (where an outcome goes).
pub fn last_line(message: &Value) -> String {
    message["blocks"].as_array().unwrap().last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The Teams message (webhook or bot) whose JSON holds `needle`.
pub async fn teams_message_with(needle: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let messages = chat().await["teams"]["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(m) = messages
            .into_iter()
            .find(|m| m.to_string().contains(needle))
        {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no Teams message with {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The id of the Teams stand-in's default conversation of `kind` (`channel`, `groupChat`):
/// everyone of its directory is in it, and so is the bot.
pub async fn teams_conversation(kind: &str) -> String {
    let url = format!(
        "{}/_standins/teams/_control/bot/conversations",
        endpoints().api
    );
    let all: Value = http().get(url).send().await.unwrap().json().await.unwrap();
    let found = all["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conversationType"] == kind)
        .cloned();
    found.expect("the stand-in has one")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `user` (an address) clicks the button titled `title` on the bot card of `message`, as Teams
/// sends it: an `adaptiveCard/action` invoke signed by the Bot Framework stand-in, answered by
/// the Decision API. `inputs` fill the card's inputs (a follow-up answer). What the endpoint
/// answered (`status`, `body`).
pub async fn teams_bot_click(user: &str, message: &Value, title: &str, inputs: Value) -> Value {
    let request = json!({"user": user, "action": title, "inputs": inputs,
        "conversationId": message["where"]["conversationId"], "activityId": message["id"]});
    let url = format!("{}/_standins/teams/_control/click", endpoints().api);
    let r = http().post(url).json(&request).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "the stand-in sent the click: {text}");
    serde_json::from_str(&text).unwrap()
}
