//! The approval use cases: create links, wait, show a link, decide. Each takes its ports and
//! the current time, so tests drive them with in-memory adapters and a fixed clock.

use serde::{Deserialize, Serialize};

use crate::approval::{rfc3339, ValidatedRequest};
use crate::buttons::{ButtonLink, ChoiceButton};
use crate::delivery::{deliver_decision, DeliveryOutcome};
use crate::input::{required, task_token};
use crate::ports::{ApprovalStore, Approvals, WorkflowResumer};
use crate::{ApprovalId, ApproverAddress};
use crate::{
    ApprovalRecord, Channel, CreateLinksInput, CreateLinksOutput, Decision, HitlError, LinkSigner,
    RecipientLinks,
};

pub const MAX_COMMENT_CHARS: usize = 1000;
pub use crate::input::MAX_TASK_TOKEN_CHARS;

/// Everything Create Approval Links needs besides its input.
pub struct LinkSettings<'a> {
    pub signer: &'a LinkSigner,
    pub base_url: &'a str,
    pub retention_days: i64,
    /// Who asks with these links: email, or a Teams card.
    pub origin: Channel,
}

pub async fn create_approval_links(
    input: CreateLinksInput,
    settings: &LinkSettings<'_>,
    store: &dyn ApprovalStore,
    approval_id: String,
    now: i64,
) -> Result<CreateLinksOutput, HitlError> {
    create_links_with_buttons(input, Vec::new(), settings, store, approval_id, now).await
}

/// Create Approval Links for a request with buttons of its own (checked by the caller; empty:
/// approve and reject): one link per button, whose signed decision is the button's value, and
/// no other choice is accepted on this request's links.
pub async fn create_links_with_buttons(
    input: CreateLinksInput,
    buttons: Vec<ChoiceButton>,
    settings: &LinkSettings<'_>,
    store: &dyn ApprovalStore,
    approval_id: String,
    now: i64,
) -> Result<CreateLinksOutput, HitlError> {
    let record = new_request_record(input, buttons, settings, approval_id, now)?;
    store.create(&record).await?;
    Ok(links_of(&record, settings))
}

/// The record Create Approval Links stores for `input` (checked), not stored yet: a channel
/// that adds to it (a Teams bot card's resolved approvers) stores it itself.
pub(crate) fn new_request_record(
    input: CreateLinksInput,
    buttons: Vec<ChoiceButton>,
    settings: &LinkSettings<'_>,
    approval_id: String,
    now: i64,
) -> Result<ApprovalRecord, HitlError> {
    let ValidatedRequest {
        title,
        description,
        expires_in_seconds,
        approvers,
        follow_up,
        execution_arn,
        team,
    } = match buttons.is_empty() {
        true => input.validate()?,
        false => {
            let values: Vec<&str> = buttons.iter().map(|b| b.value.as_str()).collect();
            input.validate_with_choices(&values)?
        }
    };
    let expires_at = now + expires_in_seconds;
    let mut record = ApprovalRecord::new(
        approval_id,
        title,
        settings.origin,
        now,
        expires_at,
        settings.retention_days,
    );
    record.description = description;
    record.approvers = approvers
        .into_iter()
        .map(ApproverAddress::into_string)
        .collect();
    record.follow_up = follow_up;
    record.buttons = buttons;
    record.execution_arn = execution_arn;
    record.set_team_rules(team);
    Ok(record)
}

/// The links of a stored request: one pair per approver, or the shared pair when nobody is
/// named (a personal link at the top level would let a workflow post one person's right to
/// decide where everybody reads it). The same every time for the same record.
pub fn links_of(record: &ApprovalRecord, settings: &LinkSettings<'_>) -> CreateLinksOutput {
    let (id, expires_at) = (&record.approval_id, record.expires_at);
    let url = |decision, index| {
        settings
            .signer
            .link_url(settings.base_url, id, decision, expires_at, index)
    };
    // A request with buttons of its own has one link per button (its value signed in it)
    // and no approve/reject pair.
    let custom = !record.buttons.is_empty();
    let button_links = |index| -> Vec<ButtonLink> {
        record
            .buttons
            .iter()
            .map(|b| ButtonLink {
                label: b.label.clone(),
                value: b.value.clone(),
                style: b.style,
                url: url(Decision::from_value(&b.value), index),
            })
            .collect()
    };
    let pair = |decision, index| match custom {
        true => String::new(),
        false => url(decision, index),
    };
    // The requester may not vote: they are not sent links that would only refuse them (their
    // index stays theirs, so the others' links are the same with or without `requestedBy`).
    let links: Vec<RecipientLinks> = record
        .approvers
        .iter()
        .enumerate()
        .filter(|(_, approver)| !crate::quorum::is_requester(record, approver))
        .map(|(i, approver)| RecipientLinks {
            approver: approver.clone(),
            approve_url: pair(Decision::Approve, Some(i)),
            reject_url: pair(Decision::Reject, Some(i)),
            buttons: button_links(Some(i)),
        })
        .collect();
    let shared = record.approvers.is_empty();
    let shared_pair = |decision| (shared && !custom).then(|| url(decision, None));
    CreateLinksOutput {
        approval_id: id.to_string(),
        approve_url: shared_pair(Decision::Approve),
        reject_url: shared_pair(Decision::Reject),
        expires_at: rfc3339(expires_at),
        title: record.title.clone(),
        description: record.description.clone(),
        buttons: if shared {
            button_links(None)
        } else {
            Vec::new()
        },
        links,
    }
}

/// Input of Wait For Approval; unknown fields are refused (`input::strict`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitInput {
    /// Create Approval Links' `approvalId`.
    #[schemars(required, pattern(crate::schema::NON_BLANK_PATTERN))]
    pub approval_id: Option<String>,
    /// `"taskToken.$": "$$.Task.Token"`, in a `.waitForTaskToken` Task.
    #[schemars(required, length(max = crate::input::MAX_TASK_TOKEN_CHARS), pattern(crate::schema::NON_BLANK_PATTERN))]
    pub task_token: Option<String>,
    /// `"executionArn.$": "$$.Execution.Id"` (optional): names the execution in this Task's
    /// log lines. Create Approval Links keeps it on the record for everyone else.
    #[schemars(length(max = crate::input::MAX_EXECUTION_ARN_CHARS), pattern(crate::schema::EXECUTION_ARN_PATTERN))]
    pub execution_arn: Option<String>,
}

/// Where a waiting Task stands when its function returns (Step Functions then waits for the
/// token, so this output is seen only in tests and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// The token is stored; a decision will resume the execution.
    Waiting,
    /// The decision existed already and was delivered now.
    Resumed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitOutput {
    pub approval_id: String,
    pub status: TaskStatus,
}

pub async fn wait_for_approval(
    input: WaitInput,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Result<WaitOutput, HitlError> {
    let approval_id = ApprovalId::from(required(input.approval_id, "approvalId")?);
    let task_token = task_token(input.task_token)?;
    crate::input::execution_arn(input.execution_arn)?;
    let record = store
        .attach_task_token(&approval_id, &task_token, now)
        .await?
        .ok_or_else(|| HitlError::NotFound(approval_id.to_string()))?;
    if record.decision.is_some() {
        // Somebody clicked before the wait began: resume at once (or the relay will).
        let status = match deliver_decision(&record, store, resumer, now).await {
            DeliveryOutcome::Delivered => TaskStatus::Resumed,
            _ => TaskStatus::Waiting,
        };
        return Ok(WaitOutput {
            approval_id: approval_id.into_string(),
            status,
        });
    }
    if record.is_expired(now) {
        return Err(HitlError::Expired(rfc3339(record.expires_at)));
    }
    Ok(WaitOutput {
        approval_id: approval_id.into_string(),
        status: TaskStatus::Waiting,
    })
}

pub mod email;
pub mod jira;
mod link_pages;
pub mod reminders;
pub mod slack;
pub mod slack_click;
#[cfg(test)]
mod team_tests;
pub mod teams;
pub mod teams_card;
pub use link_pages::*;
