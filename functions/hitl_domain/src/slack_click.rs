//! A click on a Slack button, in two steps so the interactivity endpoint can answer Slack
//! within its 3 seconds whatever happens: [`record_click`] (allow-list, first click wins) is
//! all that must happen before the answer; [`follow_up`] (deliver, update the message, tell the
//! clicker) is best effort, and whatever it leaves undone the re-driver finishes.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use crate::approval::rfc3339;
use crate::delivery::{deliver_decision, DeliveryOutcome};
use crate::ports::{ApprovalStore, Approvals, DecisionWrite, OutcomeNotifier, WorkflowResumer};
use crate::slack::{
    decided_line, expired_update, message_approval_id, outcome_blocks, SlackMessage,
    SlackMessenger, BLOCK_ID_PREFIX,
};
use crate::{
    ApprovalRecord, Channel, DecidedBy, Decision, HitlError, MessageRef, RecordedDecision,
    SlackUser,
};

/// The parts of Slack's `block_actions` payload we use.
#[derive(Debug, Clone, Deserialize)]
pub struct BlockActions {
    #[serde(rename = "type")]
    pub kind: String,
    pub user: PayloadUser,
    #[serde(default)]
    pub channel: Option<PayloadChannel>,
    #[serde(default)]
    pub container: Option<PayloadContainer>,
    #[serde(default)]
    pub message: Option<PayloadMessage>,
    #[serde(default)]
    pub actions: Vec<PayloadAction>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadUser {
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadChannel {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadContainer {
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub message_ts: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadMessage {
    pub ts: String,
    #[serde(default)]
    pub blocks: Vec<Value>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayloadAction {
    #[serde(default)]
    pub block_id: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// Parses the form body Slack posts (`payload=<json>`).
pub fn parse_interaction(form_body: &str) -> Result<BlockActions, HitlError> {
    let payload = form_urlencoded::parse(form_body.as_bytes())
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| HitlError::invalid_input("the request has no payload field"))?;
    serde_json::from_str(&payload).map_err(|e| {
        HitlError::invalid_input(format!("the payload is not a Slack interaction: {e}"))
    })
}

/// A button click: which request, on which message, by whom, with what value.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    pub approval_id: String,
    pub message: MessageRef,
    pub user_id: String,
    pub decision: RecordedDecision,
    /// The message's blocks as the click carried them (shown again without buttons).
    pub blocks: Vec<Value>,
}

/// What recording a click led to; [`follow_up`] acts on it.
#[derive(Debug, Clone, PartialEq)]
pub enum ClickStep {
    /// Not a click we handle (another payload type, a non-button element).
    Ignored,
    /// Nothing changed; the clicker is told why.
    Refused { click: Click, reason: String },
    Recorded {
        click: Click,
        record: ApprovalRecord,
    },
    AlreadyDecided {
        click: Click,
        record: ApprovalRecord,
    },
    /// The request had expired: kept as a late decision, nothing changed.
    TooLate {
        click: Click,
        record: ApprovalRecord,
    },
}

/// What the interactivity endpoint did with a click. Slack only needs a 200 within 3 seconds;
/// what the person sees is the updated message or an ephemeral note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickOutcome {
    /// The decision was recorded; `delivered` when the waiting workflow has it already.
    Decided {
        approval_id: String,
        delivered: bool,
    },
    /// Nothing changed; the person was told why (ephemeral).
    Refused { reason: String },
    /// Not a click we handle.
    Ignored,
}

fn parse_click(payload: BlockActions, now: i64) -> Option<Click> {
    if payload.kind != "block_actions" {
        return None;
    }
    let action = payload
        .actions
        .first()
        .filter(|a| a.kind.as_deref().unwrap_or("button") == "button")?;
    let container = payload.container.as_ref();
    let channel = container
        .and_then(|c| c.channel_id.clone())
        .or_else(|| payload.channel.as_ref().map(|c| c.id.clone()))?;
    let ts = container
        .and_then(|c| c.message_ts.clone())
        .or_else(|| payload.message.as_ref().map(|m| m.ts.clone()))?;
    let message = MessageRef { channel, ts };
    let approval_id = match action
        .block_id
        .as_deref()
        .and_then(|b| b.strip_prefix(BLOCK_ID_PREFIX))
    {
        Some(id) => id.to_string(),
        None => message_approval_id(&message),
    };
    let user = &payload.user;
    let value = action.value.clone().unwrap_or_default();
    let handle = |first: &Option<String>, second: &Option<String>| {
        first
            .clone()
            .or_else(|| second.clone())
            .unwrap_or_else(|| user.id.clone())
    };
    let decision = RecordedDecision {
        decision: Decision::from_value(&value),
        decided_by: DecidedBy {
            id: user.id.clone(),
            name: handle(&user.name, &user.username),
            channel: Channel::Slack,
        },
        decided_at: now,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: Some(SlackUser {
            id: user.id.clone(),
            username: handle(&user.username, &user.name),
            team_id: user.team_id.clone(),
        }),
    };
    Some(Click {
        approval_id,
        message,
        user_id: user.id.clone(),
        decision,
        blocks: payload.message.map(|m| m.blocks).unwrap_or_default(),
    })
}

/// Step one: the allow-list, then the conditional write (first click wins). Store errors
/// come back as errors: then nothing is known to be recorded.
pub async fn record_click(
    payload: BlockActions,
    store: &dyn ApprovalStore,
    now: i64,
) -> Result<ClickStep, HitlError> {
    let Some(click) = parse_click(payload, now) else {
        return Ok(ClickStep::Ignored);
    };
    let gone = "This message is not waiting for an answer any more.".to_string();
    let Some(record) = store.get(&click.approval_id).await? else {
        return Ok(ClickStep::Refused {
            click,
            reason: gone,
        });
    };
    if !record.approvers.is_empty() && !record.approvers.contains(&click.user_id) {
        let who: Vec<String> = record.approvers.iter().map(|a| format!("<@{a}>")).collect();
        let reason = format!(
            "Only {} can answer this request; your click changed nothing.",
            who.join(", ")
        );
        return Ok(ClickStep::Refused { click, reason });
    }
    Ok(
        match store
            .record_decision(&click.approval_id, &click.decision, now)
            .await?
        {
            DecisionWrite::Recorded(record) => ClickStep::Recorded { click, record },
            DecisionWrite::AlreadyDecided(record) => ClickStep::AlreadyDecided { click, record },
            DecisionWrite::TooLate(record) => ClickStep::TooLate { click, record },
            DecisionWrite::NotFound => ClickStep::Refused {
                click,
                reason: gone,
            },
        },
    )
}

const TOO_LATE_TASK: &str =
    ":hourglass: *Too late*: the workflow had already stopped waiting; nothing was changed";

/// The line a decided message ends with, from the record as it is now.
fn outcome_line(record: &ApprovalRecord) -> String {
    match &record.decision {
        Some(_) if record.delivery.late_at.is_some() => TOO_LATE_TASK.to_string(),
        Some(decision) => decided_line(decision),
        None => String::new(),
    }
}

/// The record's message with `line` in place of its buttons.
fn outcome_update(record: &ApprovalRecord, line: &str) -> SlackMessage {
    let blocks: Vec<Value> = record
        .message_blocks
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    SlackMessage {
        text: format!("{}: {}", record.title, line),
        blocks: Some(outcome_blocks(&blocks, line)),
        thread_ts: None,
    }
}

/// Updates the message; a failure leaves it to the re-driver. True when updated.
async fn show(
    slack: &dyn SlackMessenger,
    record: &ApprovalRecord,
    at: &MessageRef,
    line: &str,
) -> bool {
    match slack.update(at, &outcome_update(record, line)).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(approval_id = %record.approval_id, error = err.name(), "message not updated; the re-driver tries again");
            false
        }
    }
}

/// An ephemeral note to the clicker. Its failure changes nothing about the decision.
async fn tell(slack: &dyn SlackMessenger, click: &Click, text: &str) {
    if let Err(err) = slack
        .post_ephemeral(&click.message.channel, &click.user_id, text)
        .await
    {
        tracing::warn!(approval_id = %click.approval_id, error = err.name(), "ephemeral note not posted");
    }
}

/// Step two: deliver the decision, bring the message up to date, tell the clicker. Best
/// effort: a step cut short leaves the record due for the re-driver.
pub async fn follow_up(
    step: ClickStep,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    slack: &dyn SlackMessenger,
    now: i64,
) -> ClickOutcome {
    match step {
        ClickStep::Ignored => ClickOutcome::Ignored,
        ClickStep::Refused { click, reason } => {
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused { reason }
        }
        ClickStep::Recorded { click, record } => {
            decided(click, record, store, resumer, slack, now).await
        }
        ClickStep::AlreadyDecided { click, record } => {
            let reason = format!(
                "Already decided: {}. Your click changed nothing.",
                outcome_line(&record)
            );
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused { reason }
        }
        ClickStep::TooLate { click, record } => {
            let update = expired_update(&record.title, record.expires_at, &click.blocks);
            let _ = slack.update(&click.message, &update).await;
            let reason = format!(
                "Too late: the workflow stopped waiting at {}; nothing was changed.",
                rfc3339(record.expires_at)
            );
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused { reason }
        }
    }
}

async fn decided(
    click: Click,
    mut record: ApprovalRecord,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    slack: &dyn SlackMessenger,
    now: i64,
) -> ClickOutcome {
    if record.message_blocks.is_none() {
        record.message_blocks = serde_json::to_string(&click.blocks).ok();
    }
    let delivery = deliver_decision(&record, store, resumer, now).await;
    let id = click.approval_id.clone();
    let final_line = match delivery {
        DeliveryOutcome::Delivered | DeliveryOutcome::NotYetWaiting => {
            decided_line(&click.decision)
        }
        DeliveryOutcome::Late => TOO_LATE_TASK.to_string(),
        DeliveryOutcome::Pending | DeliveryOutcome::InProgress => {
            // Shown at once so nobody clicks again; the re-driver replaces it once delivered.
            let line = format!(
                "{} · passing it on to the workflow…",
                decided_line(&click.decision)
            );
            show(slack, &record, &click.message, &line).await;
            return ClickOutcome::Decided {
                approval_id: id,
                delivered: false,
            };
        }
    };
    if show(slack, &record, &click.message, &final_line).await
        && store.message_updated(&id, now).await.is_ok()
    {
        let _ = store.settle(&id).await;
    }
    if delivery == DeliveryOutcome::Late {
        let reason = "Too late: the workflow had already stopped waiting (it timed out or was stopped); your answer is kept as late and changed nothing.".to_string();
        tell(slack, &click, &reason).await;
        return ClickOutcome::Refused { reason };
    }
    ClickOutcome::Decided {
        approval_id: id,
        delivered: delivery == DeliveryOutcome::Delivered,
    }
}

/// Both steps at once, for callers with no deadline to keep.
pub async fn handle_click(
    payload: BlockActions,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    slack: &dyn SlackMessenger,
    now: i64,
) -> Result<ClickOutcome, HitlError> {
    let step = record_click(payload, store, now).await?;
    Ok(follow_up(step, store, resumer, slack, now).await)
}

/// The re-driver's view of a Slack message: the outcome replaces the buttons once final.
pub struct SlackOutcome<'a>(pub &'a dyn SlackMessenger);

#[async_trait]
impl OutcomeNotifier for SlackOutcome<'_> {
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let Some(at) = &record.message else {
            return Ok(());
        };
        self.0
            .update(at, &outcome_update(record, &outcome_line(record)))
            .await
    }
}
