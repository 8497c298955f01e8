//! The approval use cases: create links, wait, show a link, decide. Each takes its ports and
//! the current time, so tests drive them with in-memory adapters and a fixed clock.

use serde::{Deserialize, Serialize};

use crate::approval::{rfc3339, ValidatedRequest};
use crate::approval_links::LinkParams;
use crate::input::{required, task_token};
use crate::ports::{ApprovalStore, DecisionWrite, ResumeOutcome, WorkflowResumer};
use crate::{
    ApprovalRecord, Channel, CreateLinksInput, CreateLinksOutput, DecidedBy, Decision,
    DecisionOutput, HitlError, LinkSigner, RecipientLinks, RecordedDecision, SignedLink,
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
    let ValidatedRequest {
        title,
        description,
        expires_in_seconds,
        approvers,
    } = input.validate()?;
    let expires_at = now + expires_in_seconds;
    let record = ApprovalRecord {
        approval_id: approval_id.clone(),
        title: title.clone(),
        description: description.clone(),
        approvers: approvers.clone(),
        created_at: now,
        expires_at,
        delete_after: expires_at + settings.retention_days.max(1) * 24 * 60 * 60,
        task_token: None,
        decision: None,
        resumed_at: None,
        origin: settings.origin,
        message: None,
    };
    store.create(&record).await?;

    let url = |decision, index| {
        settings
            .signer
            .link_url(settings.base_url, &approval_id, decision, expires_at, index)
    };
    let links: Vec<RecipientLinks> = approvers
        .iter()
        .enumerate()
        .map(|(i, approver)| RecipientLinks {
            approver: approver.clone(),
            approve_url: url(Decision::Approve, Some(i)),
            reject_url: url(Decision::Reject, Some(i)),
        })
        .collect();
    let (approve_url, reject_url) = match links.first() {
        Some(first) => (first.approve_url.clone(), first.reject_url.clone()),
        None => (url(Decision::Approve, None), url(Decision::Reject, None)),
    };
    Ok(CreateLinksOutput {
        approval_id,
        approve_url,
        reject_url,
        expires_at: rfc3339(expires_at),
        title,
        description,
        links,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitInput {
    pub approval_id: Option<String>,
    pub task_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitOutput {
    pub approval_id: String,
    /// `waiting`: the token is stored; `resumed`: the decision existed and was delivered now.
    pub status: String,
}

pub async fn wait_for_approval(
    input: WaitInput,
    store: &dyn ApprovalStore,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Result<WaitOutput, HitlError> {
    let approval_id = required(input.approval_id, "approvalId")?;
    let task_token = task_token(input.task_token)?;
    let record = store
        .attach_task_token(&approval_id, &task_token)
        .await?
        .ok_or_else(|| HitlError::NotFound(approval_id.clone()))?;
    if record.decision.is_some() {
        // Somebody clicked before the wait began: resume at once.
        let delivered = deliver_decision(&record, store, resumer, now).await?;
        let status = if delivered.delivered() {
            "resumed"
        } else {
            "waiting"
        };
        return Ok(WaitOutput {
            approval_id,
            status: status.into(),
        });
    }
    if record.is_expired(now) {
        return Err(HitlError::Expired(rfc3339(record.expires_at)));
    }
    Ok(WaitOutput {
        approval_id,
        status: "waiting".into(),
    })
}

/// What became of a decision's delivery to the waiting Task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// This call resumed the workflow.
    Delivered,
    /// Delivered before (or being delivered by another call right now).
    AlreadyDelivered,
    /// Nothing waits yet (no task token): Wait For Approval delivers it when it starts.
    NotYetWaiting,
    /// The Task stopped waiting (timed out, aborted): the decision came too late.
    NoLongerWaiting,
}

impl DeliveryOutcome {
    pub fn delivered(self) -> bool {
        self == DeliveryOutcome::Delivered
    }
}

/// Delivers a recorded decision to the waiting Task, exactly once.
pub async fn deliver_decision(
    record: &ApprovalRecord,
    store: &dyn ApprovalStore,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Result<DeliveryOutcome, HitlError> {
    let (Some(token), Some(decision)) = (&record.task_token, &record.decision) else {
        return Ok(DeliveryOutcome::NotYetWaiting);
    };
    if record.resumed_at.is_some() || !store.claim_resume(&record.approval_id, now).await? {
        return Ok(DeliveryOutcome::AlreadyDelivered);
    }
    let output = DecisionOutput::from_recorded(&record.approval_id, decision);
    match resumer.resume(token, &output).await {
        Ok(ResumeOutcome::Resumed) => Ok(DeliveryOutcome::Delivered),
        // The Task timed out or was stopped: nothing is waiting; keep the claim.
        Ok(ResumeOutcome::NoLongerWaiting) => Ok(DeliveryOutcome::NoLongerWaiting),
        Err(err) => {
            // Give the claim back so the next attempt (a retry, a later click) re-drives it.
            store.release_resume(&record.approval_id).await?;
            Err(err)
        }
    }
}

/// Who is making a request on a link, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What a link request leads to; `pages` renders each into HTML with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
// One value per HTTP request, rendered at once: boxing the record would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum LinkView {
    /// A valid, open link on GET: ask for confirmation; nothing is decided.
    Confirm {
        record: ApprovalRecord,
        link: SignedLink,
        params: LinkParams,
        approver: Option<String>,
    },
    /// This request's decision was recorded. `delivered` is false when the workflow could not
    /// be told yet (it will be re-driven).
    Recorded {
        record: ApprovalRecord,
        delivery: Delivery,
    },
    AlreadyDecided {
        record: ApprovalRecord,
    },
    Expired {
        title: Option<String>,
        expired_at: String,
    },
    Invalid {
        reason: String,
    },
    NotFound,
    /// A dependency failed; the person may try again.
    Unavailable {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The waiting workflow has the decision.
    Delivered,
    /// No workflow waits yet (or it no longer does); Wait For Approval will pick it up.
    NotWaiting,
    /// Telling the workflow failed; the decision is kept and re-driven.
    Pending,
}

impl LinkView {
    pub fn status(&self) -> u16 {
        match self {
            LinkView::Confirm { .. } | LinkView::Recorded { .. } => 200,
            LinkView::AlreadyDecided { .. } => 409,
            LinkView::Expired { .. } => 410,
            LinkView::Invalid { .. } => 403,
            LinkView::NotFound => 404,
            LinkView::Unavailable { .. } => 503,
        }
    }
}

/// Verifies a link and loads its record; the shared first half of GET and POST.
async fn open_link(
    approval_id: &str,
    params: &LinkParams,
    signer: &LinkSigner,
    store: &dyn ApprovalStore,
    now: i64,
) -> Result<(SignedLink, ApprovalRecord, Option<String>), LinkView> {
    let verified = signer.verify(approval_id, params, now);
    let record = match store.get(approval_id).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            // A forged link for an unknown id says "invalid", not "unknown": no oracle.
            return Err(match verified {
                Err(HitlError::Expired(at)) => LinkView::Expired {
                    title: None,
                    expired_at: at,
                },
                Err(err) => LinkView::Invalid {
                    reason: err.to_string(),
                },
                Ok(_) => LinkView::NotFound,
            });
        }
        Err(err) => {
            return Err(LinkView::Unavailable {
                reason: err.to_string(),
            })
        }
    };
    let link = match verified {
        Ok(link) => link,
        Err(HitlError::Expired(at)) if record.decision.is_none() => {
            return Err(LinkView::Expired {
                title: Some(record.title),
                expired_at: at,
            })
        }
        Err(HitlError::Expired(_)) => return Err(LinkView::AlreadyDecided { record }),
        Err(err) => {
            return Err(LinkView::Invalid {
                reason: err.to_string(),
            })
        }
    };
    let approver = match (link.approver_index, record.approvers.is_empty()) {
        (Some(i), false) => match record.approvers.get(i) {
            Some(a) => Some(a.clone()),
            None => {
                return Err(LinkView::Invalid {
                    reason: "the link names no approver of this request".into(),
                })
            }
        },
        (None, true) => None,
        (None, false) => {
            return Err(LinkView::Invalid {
                reason: "this approval is restricted to named approvers; use the link sent to you"
                    .into(),
            })
        }
        (Some(_), true) => {
            return Err(LinkView::Invalid {
                reason: "the link names no approver of this request".into(),
            })
        }
    };
    Ok((link, record, approver))
}

/// GET on a link: shows what would be decided. Never decides (mail scanners pre-fetch links).
pub async fn view_link(
    approval_id: &str,
    query: &str,
    signer: &LinkSigner,
    store: &dyn ApprovalStore,
    now: i64,
) -> LinkView {
    let params = LinkParams::from_urlencoded(query);
    match open_link(approval_id, &params, signer, store, now).await {
        Err(view) => view,
        Ok((_, record, _)) if record.decision.is_some() => LinkView::AlreadyDecided { record },
        Ok((link, record, approver)) => LinkView::Confirm {
            record,
            link,
            params,
            approver,
        },
    }
}

/// POST from the confirmation page: records the decision (first wins) and resumes the workflow.
pub async fn decide(
    approval_id: &str,
    form_body: &str,
    client: ClientInfo,
    signer: &LinkSigner,
    store: &dyn ApprovalStore,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> LinkView {
    let params = LinkParams::from_urlencoded(form_body);
    let (link, opened, approver) = match open_link(approval_id, &params, signer, store, now).await {
        Ok(opened) => opened,
        Err(view) => return view,
    };
    let form_field = |name: &str| {
        form_urlencoded::parse(form_body.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let comment = form_field("comment");
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return LinkView::Invalid {
            reason: format!("the comment is longer than {MAX_COMMENT_CHARS} characters"),
        };
    }
    let decided_by = match approver {
        Some(email) => DecidedBy {
            id: email.clone(),
            name: email,
            channel: opened.origin,
        },
        None => {
            let name = form_field("name")
                .map(|n| n.chars().take(100).collect::<String>())
                .unwrap_or_else(|| "anonymous".into());
            DecidedBy {
                id: "link".into(),
                name,
                channel: opened.origin,
            }
        }
    };
    let recorded = RecordedDecision {
        decision: link.decision,
        decided_by,
        decided_at: now,
        comment,
        source_ip: client.source_ip,
        user_agent: client.user_agent.map(|ua| ua.chars().take(300).collect()),
        slack_user: None,
    };
    let (record, newly_recorded) = match store.record_decision(approval_id, &recorded, now).await {
        Ok(DecisionWrite::Recorded(record)) => (record, true),
        Ok(DecisionWrite::AlreadyDecided(record)) => (record, false),
        Ok(DecisionWrite::Expired(record)) => {
            return LinkView::Expired {
                title: Some(record.title),
                expired_at: rfc3339(record.expires_at),
            }
        }
        Ok(DecisionWrite::NotFound) => return LinkView::NotFound,
        Err(err) => {
            return LinkView::Unavailable {
                reason: err.to_string(),
            }
        }
    };
    // Also on a repeated click: if an earlier delivery failed, this re-drives it.
    let delivery = match deliver_decision(&record, store, resumer, now).await {
        Ok(DeliveryOutcome::Delivered | DeliveryOutcome::AlreadyDelivered) => Delivery::Delivered,
        Ok(DeliveryOutcome::NotYetWaiting | DeliveryOutcome::NoLongerWaiting) => {
            Delivery::NotWaiting
        }
        Err(_) => Delivery::Pending,
    };
    if newly_recorded {
        LinkView::Recorded { record, delivery }
    } else {
        LinkView::AlreadyDecided { record }
    }
}
