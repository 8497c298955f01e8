//! The chat stand-ins (Slack, Teams, Jira) of the local stack, as the tests read and drive
//! them: what they hold, Slack clicks as Slack sends them, rate limits.

use std::time::{Duration, Instant};

use serde_json::Value;

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
