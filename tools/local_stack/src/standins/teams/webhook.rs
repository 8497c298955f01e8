//! The Workflows webhook: Adaptive Card envelopes checked as Teams checks them, size and
//! rate limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{now_rfc3339, Data, TeamsStandIn, MAX_MESSAGE_BYTES, WEBHOOK_REQUESTS_PER_SECOND};

pub(super) const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
const UNSUPPORTED_ACTIONS: [&str; 2] = ["Action.Submit", "Action.Execute"];

fn text_response(status: StatusCode, text: &str) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

fn too_many_requests(retry_after: u64, body: Response) -> Response {
    let mut response = body;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert("retry-after", retry_after.to_string().parse().unwrap());
    response
}

/// Why Teams would refuse this card, if it would.
fn card_problem(card: &Value) -> Option<String> {
    if card["type"] != "AdaptiveCard" {
        return Some("the attachment's content is not an AdaptiveCard".into());
    }
    if let Some(version) = card["version"].as_str() {
        let parsed = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        match parsed {
            Some(v) if v <= (1, 4) => {}
            _ => {
                return Some(format!(
                    "Adaptive Card version {version} is not supported (1.4 at most)"
                ))
            }
        }
    }
    find_unsupported_action(card).map(|action| {
        format!("{action} is not supported in cards posted by a webhook; use Action.OpenUrl")
    })
}

fn find_unsupported_action(value: &Value) -> Option<&'static str> {
    match value {
        Value::Object(map) => map
            .get("type")
            .and_then(Value::as_str)
            .and_then(|t| UNSUPPORTED_ACTIONS.iter().find(|a| **a == t).copied())
            .or_else(|| map.values().find_map(find_unsupported_action)),
        Value::Array(items) => items.iter().find_map(find_unsupported_action),
        _ => None,
    }
}

/// One message to post: a card, or a text.
type Content = (Option<Value>, Option<String>);

/// The cards (or the text) of a webhook envelope, or why it is refused.
fn webhook_contents(body: &[u8]) -> anyhow::Result<Vec<Content>> {
    let envelope: Value =
        serde_json::from_slice(body).map_err(|e| anyhow!("the body is not JSON: {e}"))?;
    if envelope["type"] != "message" {
        return Err(anyhow::Error::msg(
            "the body must be {\"type\": \"message\", \"attachments\": [...]}",
        ));
    }
    let mut contents = Vec::new();
    for (i, attachment) in envelope["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if attachment["contentType"] != CARD_CONTENT_TYPE {
            return Err(anyhow!(
                "attachments[{i}].contentType must be {CARD_CONTENT_TYPE}"
            ));
        }
        let card = &attachment["content"];
        if let Some(problem) = card_problem(card) {
            return Err(anyhow!("attachments[{i}]: {problem}"));
        }
        contents.push((Some(card.clone()), None));
    }
    if contents.is_empty() {
        match envelope["text"].as_str().filter(|t| !t.trim().is_empty()) {
            Some(text) => contents.push((None, Some(text.to_string()))),
            None => {
                return Err(anyhow!(
                    "the message has no Adaptive Card attachment and no text: nothing to post"
                ))
            }
        }
    }
    Ok(contents)
}

pub(super) async fn webhook(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut data = teams.data.lock().unwrap();
    if let Some(retry_after) = data.forced_rate_limit() {
        return too_many_requests(
            retry_after,
            text_response(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
        );
    }
    if let Some(throttled) = over_webhook_rate(&mut data, &id) {
        return throttled;
    }
    if body.len() > MAX_MESSAGE_BYTES {
        return text_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "Request Entity Too Large: the message is {} bytes; Teams takes at most {MAX_MESSAGE_BYTES}",
                body.len()
            ),
        );
    }
    let contents = match webhook_contents(&body) {
        Ok(contents) => contents,
        Err(problem) => return text_response(StatusCode::BAD_REQUEST, &problem.to_string()),
    };
    for (card, text) in contents {
        let message_id = data.next_id();
        data.messages.push(json!({
            "id": message_id,
            "via": "webhook",
            "where": {"webhookId": id},
            "receivedAt": now_rfc3339(),
            "card": card,
            "text": text,
        }));
    }
    StatusCode::ACCEPTED.into_response()
}

/// Counts the request in the webhook's one-second window; a 429 when the window is full.
fn over_webhook_rate(data: &mut Data, id: &str) -> Option<Response> {
    let now = Instant::now();
    let hits = data.webhook_hits.entry(id.to_string()).or_default();
    while hits
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        hits.pop_front();
    }
    if hits.len() >= WEBHOOK_REQUESTS_PER_SECOND {
        return Some(too_many_requests(
            1,
            text_response(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests: a webhook takes 4 requests per second",
            ),
        ));
    }
    hits.push_back(now);
    None
}
