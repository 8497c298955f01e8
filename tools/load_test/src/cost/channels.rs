//! One approval per execution, decided once, as a person would in each channel: email (open
//! the link's page, confirm), Slack (one click on the message), Teams (a Workflows-webhook card
//! whose Approve button opens the same signed link as email: open, confirm).

use std::collections::HashMap;

use anyhow::anyhow;
use serde_json::{json, Value};

use super::super::{email, slack, Target, Verdict, EMAIL_FLOW};

pub const APPROVER: &str = "a@example.com";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Slack,
    Teams,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Slack, Channel::Teams];

    /// Executions started at once.
    pub fn start_parallelism(self) -> usize {
        8
    }

    /// The pause between two starts: a Teams Workflows webhook takes 4 posts a second, and an
    /// execution posts as soon as it starts; a refused post would cost a retry (transitions)
    /// that approvals asked at a person's pace do not.
    pub fn start_interval(self) -> std::time::Duration {
        match self {
            Channel::Teams => std::time::Duration::from_millis(350),
            _ => std::time::Duration::ZERO,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Slack => "Slack",
            Channel::Teams => "Teams",
        }
    }
}

/// What a person acts on: the approve link (email, Teams) or the message (Slack).
#[derive(Debug, Clone)]
pub enum Handle {
    Link(String),
    Message { channel: String, ts: String },
}

/// The Teams workflow: one `.waitForTaskToken` Task on Request Action (the README's
/// `AskInTeams`, retried on the webhook's refusals as the README advises), a Choice and two
/// ends, as the email and Slack flows end.
pub fn teams_definition() -> Value {
    json!({
        "StartAt": "AskInTeams",
        "States": {
            "AskInTeams": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": local_stack::template::function_arn("TeamsRequestActionFunction"),
                    "Payload": {"title.$": "$.title", "taskToken.$": "$$.Task.Token"}
                },
                "TimeoutSeconds": 86400,
                "ResultPath": "$.decision",
                "Retry": [{
                    "ErrorEquals": ["Teams.RateLimited", "Teams.Unavailable", "Hitl.Transient", "Lambda.TooManyRequestsException"],
                    "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 2, "JitterStrategy": "FULL"
                }],
                "Catch": [{"ErrorEquals": ["States.Timeout", "Hitl.Expired"], "ResultPath": "$.expiry", "Next": "Rejected"}],
                "Next": "Approved?"
            },
            "Approved?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.decision.approved", "BooleanEquals": true, "Next": "Approved"}],
                "Default": "Rejected"
            },
            "Approved": {"Type": "Pass", "Result": {"outcome": "approved"}, "End": true},
            "Rejected": {"Type": "Pass", "Result": {"outcome": "rejected"}, "End": true}
        }
    })
}

/// Creates the Teams workflow on the stack; its ARN.
pub async fn create_teams_flow(target: &Target, run: &str) -> anyhow::Result<String> {
    target
        .sfn
        .create_state_machine()
        .name(format!("cost-teams-{run}"))
        .definition(teams_definition().to_string())
        .role_arn(format!(
            "arn:aws:iam::{}:role/hitl-load",
            local_stack::template::ACCOUNT
        ))
        .send()
        .await
        .map(|out| out.state_machine_arn().to_string())
        .map_err(|e| {
            anyhow!(
                "CreateStateMachine: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })
}

/// Starts one execution carrying `tag`; its ARN. `teams_flow`: the Teams workflow's ARN.
pub async fn start(
    target: &Target,
    channel: Channel,
    tag: &str,
    teams_flow: &str,
) -> anyhow::Result<String> {
    let (machine, input) = match channel {
        Channel::Slack => return slack::start(target, tag).await,
        Channel::Email => (
            Target::state_machine_arn(EMAIL_FLOW),
            json!({"title": tag, "to": [APPROVER], "approvers": [APPROVER]}),
        ),
        Channel::Teams => (teams_flow.to_string(), json!({"title": tag})),
    };
    target.start_execution(&machine, &input).await
}

/// `load-…` tags in `text`.
fn tags_in(text: &str) -> Vec<String> {
    text.match_indices("load-")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .collect()
}

/// What a person would act on, for each tag already delivered to the channel.
pub async fn find(target: &Target, channel: Channel) -> anyhow::Result<HashMap<String, Handle>> {
    let mut found = HashMap::new();
    match channel {
        Channel::Email => {
            let emails = target.get_json::<Value>("/_local/api/emails").await?;
            for e in emails.as_array().into_iter().flatten() {
                let text = e["text"].as_str().unwrap_or_default();
                if let (Some(tag), Some((approve, _))) = (
                    tags_in(e["subject"].as_str().unwrap_or_default()).pop(),
                    email::links_of(text),
                ) {
                    found.insert(tag, Handle::Link(approve));
                }
            }
        }
        Channel::Slack => {
            let snapshot = slack::snapshot(target).await?;
            for m in snapshot["messages"].as_array().into_iter().flatten() {
                if let Some(tag) = tags_in(m["text"].as_str().unwrap_or_default()).pop() {
                    let field = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                    found.insert(
                        tag,
                        Handle::Message {
                            channel: field("channel"),
                            ts: field("ts"),
                        },
                    );
                }
            }
        }
        Channel::Teams => {
            let chat = target.get_json::<Value>("/_local/api/chat").await?;
            for m in chat["teams"]["messages"].as_array().into_iter().flatten() {
                let approve = m["card"]["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["title"] == "Approve");
                if let (Some(tag), Some(url)) = (
                    tags_in(&m["card"].to_string()).pop(),
                    approve.and_then(|a| a["url"].as_str()),
                ) {
                    found.insert(tag, Handle::Link(url.to_string()));
                }
            }
        }
    }
    Ok(found)
}

/// Decides once, as a person would: a link's page is opened, then confirmed; a Slack button
/// is clicked once. A failure is shown to the person, who tries again (twice at most, 2 s
/// later); the calls of a failed try count as the stack made them.
pub async fn decide(target: &Target, handle: &Handle) -> anyhow::Result<()> {
    let mut outcome = decide_once(target, handle).await;
    for _ in 0..2 {
        if outcome.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        outcome = decide_once(target, handle).await;
    }
    outcome
}

async fn decide_once(target: &Target, handle: &Handle) -> anyhow::Result<()> {
    match handle {
        Handle::Link(url) => {
            let page = target.http.get(url).send().await?;
            if page.status().as_u16() != 200 {
                return Err(anyhow!("GET {url}: {}", page.status()));
            }
            match email::confirm(target, url).await {
                (_, Verdict::Recorded { .. }) => Ok(()),
                // A try before this one was recorded though its answer was lost.
                (_, Verdict::AlreadyDecided) => Ok(()),
                (status, verdict) => Err(anyhow!("confirming {url}: {status} {verdict:?}")),
            }
        }
        Handle::Message { channel, ts } => {
            let body = json!({"channel": channel, "ts": ts, "user": slack::CLICKS[0].0, "value": "approve"});
            let url = format!("{}/_standins/slack/_control/click", target.endpoints.api);
            let answer: Value = target
                .http
                .post(url)
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            match answer["status"].as_u64() {
                Some(200) => Ok(()),
                _ => Err(anyhow!("Slack click on {ts}: {answer}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_where_a_person_sees_them() {
        assert_eq!(tags_in("Approve load-ab12-00007?"), vec!["load-ab12-00007"]);
        assert!(tags_in("nothing").is_empty());
        let definition = teams_definition();
        assert_eq!(
            definition["States"]["AskInTeams"]["Parameters"]["Payload"]["taskToken.$"],
            "$$.Task.Token"
        );
    }
}
