//! The Slack flow under load: a message with Approve / Reject in #approvals, clicked by three
//! people at once through the Slack stand-in (signed `block_actions`, as Slack sends them).

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::{Click, Flow, Request, Target, Verdict, SLACK_FLOW};

/// The stand-in's channel the bot is a member of.
pub const CHANNEL: &str = "C0APPROVALS";
/// Who clicks what (the stand-in's users).
pub const CLICKS: [(&str, &str); 3] = [
    ("U0ALICE", "approve"),
    ("U0BOB", "reject"),
    ("U0CAROL", "approve"),
];

/// Starts one execution whose message text carries `tag`.
pub async fn start(target: &Target, tag: &str) -> anyhow::Result<String> {
    let input =
        json!({"channel": CHANNEL, "header": "Load test", "text": format!("Deploy {tag}?")});
    target
        .start_execution(&Target::state_machine_arn(SLACK_FLOW), &input)
        .await
}

/// The stand-in's state: `{messages, ephemerals, calls, users}`.
pub async fn snapshot(target: &Target) -> anyhow::Result<Value> {
    let url = format!("{}/_standins/slack/_control/messages", target.endpoints.api);
    target
        .http
        .get(url)
        .send()
        .await?
        .json()
        .await
        .map_err(anyhow::Error::from)
}

/// The approval id a Request Action message carries in its buttons' `block_id` (`hitl:{id}`).
pub fn approval_id_of(message: &Value) -> Option<String> {
    message["blocks"]
        .as_array()?
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .find_map(|id| id.strip_prefix("hitl:"))
        .map(str::to_string)
}

/// Attaches each Slack request's message; `true` when every one has it.
pub async fn attach_messages(target: &Target, requests: &mut [Request]) -> anyhow::Result<bool> {
    let snapshot = snapshot(target).await?;
    let mut by_tag: HashMap<String, &Value> = HashMap::new();
    for message in snapshot["messages"].as_array().into_iter().flatten() {
        let text = message["text"].as_str().unwrap_or_default();
        if let Some(start) = text.find("load-") {
            let tag: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            by_tag.insert(tag, message);
        }
    }
    let mut complete = true;
    for request in requests.iter_mut().filter(|r| r.flow == Flow::Slack) {
        if request.message.is_none() {
            if let Some(message) = by_tag.get(&request.tag) {
                let field = |name: &str| message[name].as_str().unwrap_or_default().to_string();
                request.message = Some((field("channel"), field("ts")));
                request.approval_id = approval_id_of(message);
            }
        }
        complete &= request.message.is_some();
    }
    Ok(complete)
}

/// Alice approves, Bob rejects, Carol approves: all at once, on the message as first posted
/// (what three people see before anyone's click updates it).
pub async fn click_three(target: &Target, request: &Request) -> Vec<Click> {
    let Some((channel, ts)) = &request.message else {
        return Vec::new();
    };
    let click = |(user, value): (&'static str, &'static str)| async move {
        let body =
            json!({"channel": channel, "ts": ts, "user": user, "value": value, "stale": true});
        let url = format!("{}/_standins/slack/_control/click", target.endpoints.api);
        let answer = match target.http.post(url).json(&body).send().await {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
            _ => None,
        };
        let status = answer
            .as_ref()
            .and_then(|a| a["status"].as_u64())
            .unwrap_or(0) as u16;
        Click {
            who: user.to_string(),
            choice: value.to_string(),
            status,
            verdict: if status == 200 {
                Verdict::Answered
            } else {
                Verdict::Failed
            },
            answered_at: SystemTime::now(),
        }
    };
    let (a, b, c) = tokio::join!(click(CLICKS[0]), click(CLICKS[1]), click(CLICKS[2]));
    let mut clicks = vec![a, b, c];
    // Slack shows a failed click to its clicker, who clicks again, as a person would.
    for _ in 0..3 {
        if clicks.iter().any(|c| c.verdict != Verdict::Failed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        clicks.push(click(CLICKS[0]).await);
    }
    clicks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_approval_id_comes_from_the_buttons_block() {
        let message =
            json!({"blocks": [{"type": "section"}, {"type": "actions", "block_id": "hitl:ab-1"}]});
        assert_eq!(approval_id_of(&message).as_deref(), Some("ab-1"));
        assert_eq!(approval_id_of(&json!({"blocks": []})), None);
    }
}
