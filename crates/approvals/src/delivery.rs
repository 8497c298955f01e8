//! Delivering a recorded decision to its waiting Task exactly once, and relaying whatever a
//! fault left undone: a decision that could not be delivered, a Task still waiting on an
//! expired request, a chat message that still shows buttons after the outcome.
//!
//! Exactly once rests on two things: Step Functions completes a task token once (a second
//! callback answers `TaskTimedOut`/`InvalidToken`), and our claims are leases tied to the
//! token they deliver, so a dead deliverer's claim runs out instead of wedging the record.

use serde::Serialize;
use tracing::Instrument;

use crate::approval::{rfc3339, LEASE_SECONDS};
use crate::ports::{
    Approvals, DeliveryStore, FinalDelivery, OutcomeNotifier, ResumeOutcome, WorkflowResumer,
};
use crate::{ApprovalId, ApprovalRecord, DecisionOutput, HitlError, TaskToken};
pub use message::{update_message, MessageUpdate};
pub use progress::{progress_elsewhere, PROGRESS_RETRY_SECONDS};
use refusal::Refusal;

/// The error a Task waiting on an expired request fails with.
pub const EXPIRED_ERROR: &str = "Hitl.Expired";
/// The longest pause between two attempts at a failing delivery.
pub const MAX_RETRY_DELAY_SECONDS: i64 = 20;
/// Tries of a message update failing for now (5xx, throttled) before it is given up.
pub const MAX_MESSAGE_UPDATE_ATTEMPTS: u32 = 8;

/// What became of one attempt to deliver a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The waiting Task has the decision (now or before).
    Delivered,
    /// Another deliverer holds a live lease on it right now.
    InProgress,
    /// No Task waits yet (no task token): Wait For Approval delivers it when it starts.
    NotYetWaiting,
    /// The Task had stopped waiting (timed out, stopped): the decision changed nothing.
    Late,
    /// Step Functions could not be told now; the relay tries again shortly.
    Pending,
    /// Step Functions refused the decision for good (access denied, an output it will not
    /// take): kept with the reason, never delivered, and never shown as effective.
    GaveUp,
}

/// Seconds to wait before attempt `attempts + 1`: 1, 2, 4, ... up to the maximum.
pub fn retry_delay(attempts: u32) -> i64 {
    doubling(1, attempts + 1, MAX_RETRY_DELAY_SECONDS)
}

/// The pause after failed try number `tries` (from 1): `first`, doubled for each try after the
/// first, at most `cap` seconds.
fn doubling(first: i64, tries: u32, cap: i64) -> i64 {
    (first << tries.saturating_sub(1).min(16)).min(cap)
}

/// Delivers the record's decision to its waiting Task, at most one deliverer at a time.
/// A failure to reach Step Functions is not an error here: the decision stays due in the
/// relay index and the outcome says `Pending`.
pub async fn deliver_decision(
    record: &ApprovalRecord,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> DeliveryOutcome {
    let (Some(token), Some(decision)) = (&record.task_token, &record.decision) else {
        return DeliveryOutcome::NotYetWaiting;
    };
    if record.delivery.delivered_at.is_some() {
        return DeliveryOutcome::Delivered;
    }
    if record.delivery.late_at.is_some() {
        return DeliveryOutcome::Late;
    }
    let id = &record.approval_id;
    let claim = match store
        .claim_delivery(id, token, now, now + LEASE_SECONDS)
        .await
    {
        Ok(Some(claim)) => claim,
        Ok(None) => return DeliveryOutcome::InProgress,
        Err(err) => {
            tracing::warn!(approval_id = %id, error = err.name(), "delivery not claimed; relayed later");
            return DeliveryOutcome::Pending;
        }
    };
    let output = DecisionOutput::from_record(record, decision);
    let outcome = match resumer.resume(token, &output).await {
        Ok(ResumeOutcome::Unknown) => {
            // The lease is kept and runs out: the next attempt is a takeover, so a "no longer
            // waiting" then reads as delivered by this attempt, not as late.
            tracing::warn!(approval_id = %id, "delivery unconfirmed; relayed after the lease");
            return DeliveryOutcome::Pending;
        }
        Ok(ResumeOutcome::Resumed) => FinalDelivery::Delivered,
        // A dead deliverer before us may have reached the Task: Step Functions now refuses the
        // token because it was answered, not because the Task stopped waiting.
        Ok(ResumeOutcome::NoLongerWaiting) if claim.takeover => FinalDelivery::Delivered,
        Ok(ResumeOutcome::NoLongerWaiting) => FinalDelivery::Late {
            lease_until: now + LEASE_SECONDS,
        },
        Err(err) => {
            return match refusal::after_refusal(record, token, &err, store, now).await {
                Ok(Refusal::GaveUp) => DeliveryOutcome::GaveUp,
                Ok(Refusal::RetryLater) => DeliveryOutcome::Pending,
                Err(err) => {
                    tracing::warn!(approval_id = %id, error = err.name(), "lease not released; it runs out");
                    DeliveryOutcome::Pending
                }
            };
        }
    };
    record_delivery(record, token, outcome, store, now).await;
    match outcome {
        FinalDelivery::Delivered => DeliveryOutcome::Delivered,
        FinalDelivery::Late { .. } => late_or_taken_over(record, store).await,
    }
}

/// "No longer waiting" on a claim that was no takeover: the Task stopped waiting, or this
/// call was slow past its lease and another deliverer took over and resumed the Task with
/// this same decision (then the late mark was refused: it was no longer our lease). The record
/// says which: the clicker is told their decision went through, or is on its way, rather than
/// that it came too late.
async fn late_or_taken_over(record: &ApprovalRecord, store: &dyn Approvals) -> DeliveryOutcome {
    match store.get(&record.approval_id).await {
        Ok(Some(fresh)) if fresh.task_token != record.task_token => DeliveryOutcome::Late,
        Ok(Some(fresh)) if fresh.delivery.delivered_at.is_some() => DeliveryOutcome::Delivered,
        Ok(Some(fresh)) if fresh.delivery.late_at.is_some() => DeliveryOutcome::Late,
        Ok(Some(_)) => DeliveryOutcome::InProgress,
        _ => DeliveryOutcome::Late,
    }
}

/// Records how a delivery ended. A failure here loses nothing: the Task has its answer, and
/// the lease runs out so the relay records the end.
async fn record_delivery(
    record: &ApprovalRecord,
    token: &TaskToken,
    outcome: FinalDelivery,
    store: &dyn DeliveryStore,
    now: i64,
) {
    let id = &record.approval_id;
    match store.finish_delivery(id, token, outcome, now).await {
        // Nothing else to do (no chat message to bring up to date): out of the relay
        // index now, so the relay only ever sees records with work left.
        Ok(()) if !record.has_updatable_message() => {
            if let Err(err) = store.settle(id).await {
                tracing::warn!(approval_id = %id, error = err.name(), "delivered; the relay settles it");
            }
        }
        Ok(()) => {}
        Err(err) => {
            tracing::warn!(approval_id = %id, error = err.name(), "delivery done but not recorded yet")
        }
    }
}

/// What became of telling a Task that its request expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryOutcome {
    /// Nothing to tell, told by someone else, or not known yet (tried again later).
    NotNow,
    /// This call told the Task (or found it no longer waiting).
    Told,
    /// Step Functions refused `SendTaskFailure` for good: kept with the reason.
    GaveUp,
}

/// Fails the Task still waiting on an expired, undecided request with `Hitl.Expired`, so a
/// wait without `TimeoutSeconds` ends too. True when this call told the Task.
pub async fn fail_expired(
    record: &ApprovalRecord,
    store: &dyn DeliveryStore,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Result<bool, HitlError> {
    Ok(expire(record, store, resumer, now).await? == ExpiryOutcome::Told)
}

/// [`fail_expired`], saying also whether Step Functions refused it for good.
pub async fn expire(
    record: &ApprovalRecord,
    store: &dyn DeliveryStore,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Result<ExpiryOutcome, HitlError> {
    let Some(token) = record
        .task_token
        .as_ref()
        .filter(|_| record.needs_expiry(now))
    else {
        return Ok(ExpiryOutcome::NotNow);
    };
    let id = &record.approval_id;
    if !store
        .claim_expiry(id, token, now, now + LEASE_SECONDS)
        .await?
    {
        return Ok(ExpiryOutcome::NotNow);
    }
    let cause = format!(
        "Nobody decided on \u{201c}{}\u{201d} before it expired at {}.",
        record.title,
        rfc3339(record.expires_at)
    );
    match resumer.fail(token, EXPIRED_ERROR, &cause).await {
        // Maybe told: the lease runs out and the next attempt finds out.
        Ok(ResumeOutcome::Unknown) => Ok(ExpiryOutcome::NotNow),
        // Told now, or the Task's own timeout ended it first: either way nothing waits.
        Ok(_) => {
            store.finish_expiry(id, token, now).await?;
            Ok(ExpiryOutcome::Told)
        }
        Err(err) => match refusal::after_refusal(record, token, &err, store, now).await? {
            Refusal::GaveUp => Ok(ExpiryOutcome::GaveUp),
            Refusal::RetryLater => Err(err),
        },
    }
}

/// What one pass of the relay did, by approval id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    pub delivered: Vec<ApprovalId>,
    pub late: Vec<ApprovalId>,
    pub expired: Vec<ApprovalId>,
    pub messages_updated: Vec<ApprovalId>,
    /// Teams bot cards now showing their open request's progress (the votes counted so far).
    pub progress_shown: Vec<ApprovalId>,
    /// Still failing (or leased by a live deliverer): tried again on a later pass.
    pub retry_later: Vec<ApprovalId>,
    /// Messages given up for good (refused for good, or failing too long): settled without.
    pub gave_up: Vec<ApprovalId>,
    /// Decisions or expiries Step Functions refused for good: settled without (each logged
    /// once at warn with its reason, and kept as `deliveryFailedAt`).
    pub delivery_gave_up: Vec<ApprovalId>,
    /// Records that left the relay index.
    pub settled: usize,
    /// When the oldest decision this pass read and left undelivered was made (Unix seconds):
    /// how far behind delivery is. A decision delivered (or settled late or expired) by this
    /// very pass is not counted; records past the pass's limit are not read.
    pub oldest_undelivered_decided_at: Option<i64>,
}

impl RelayReport {
    /// Whether this pass delivered `id`'s decision, or settled it as late, expired or given up.
    fn settled_delivery(&self, id: &str) -> bool {
        [
            &self.delivered,
            &self.late,
            &self.expired,
            &self.delivery_gave_up,
        ]
        .iter()
        .any(|ids| ids.iter().any(|d| d == id))
    }

    pub fn is_idle(&self) -> bool {
        self.delivered.is_empty()
            && self.late.is_empty()
            && self.expired.is_empty()
            && self.messages_updated.is_empty()
            && self.progress_shown.is_empty()
            && self.retry_later.is_empty()
            && self.gave_up.is_empty()
            && self.delivery_gave_up.is_empty()
    }
}

/// One pass over the records due at `now` (at most `limit`): delivers, expires, updates
/// messages (and the progress on a Teams bot card), and takes settled records out of the
/// index.
pub async fn relay(
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    notifier: Option<&dyn OutcomeNotifier>,
    now: i64,
    limit: usize,
) -> Result<RelayReport, HitlError> {
    relay_while(store, resumer, notifier, now, limit, &|| true).await
}

/// [`relay`], stopping before the next record once `keep_going` says no (the caller's time
/// budget): what is left stays due for the next pass.
pub async fn relay_while(
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    notifier: Option<&dyn OutcomeNotifier>,
    now: i64,
    limit: usize,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Result<RelayReport, HitlError> {
    let mut report = RelayReport::default();
    let every_message = notifier.map(EveryMessage);
    let notifier = every_message.as_ref().map(|n| n as &dyn OutcomeNotifier);
    for id in store.due_for_relay(now, limit).await? {
        if !keep_going() {
            break;
        }
        let Some(record) = store.get(&id).await? else {
            continue;
        };
        let undelivered = record
            .decision
            .as_ref()
            .filter(|_| record.needs_delivery())
            .map(|d| d.decided_at);
        // Each record's lines name it and the execution that asked (a run handles many).
        let span = tracing::error_span!(
            "record",
            approval_id = %id,
            execution_arn = record.execution_arn.as_deref()
        );
        let relaying = relay_one(record, store, resumer, notifier, now, &mut report);
        if let Err(err) = relaying.instrument(span).await {
            tracing::warn!(approval_id = %id, error = err.name(), message = %err, "relay failed; tried again later");
            // Later, not on every pass: a call that keeps failing (a message Slack refuses to
            // update) must not keep the head of the index and the relay's whole budget.
            if let Err(e) = store.reschedule(&id, now + MAX_RETRY_DELAY_SECONDS).await {
                tracing::warn!(approval_id = %id, error = e.name(), "not rescheduled; due again at once");
            }
            report.retry_later.push(id.clone());
        }
        if let Some(decided_at) = undelivered.filter(|_| !report.settled_delivery(&id)) {
            let oldest = report
                .oldest_undelivered_decided_at
                .get_or_insert(decided_at);
            *oldest = (*oldest).min(decided_at);
        }
    }
    Ok(report)
}

async fn relay_one(
    mut record: ApprovalRecord,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    notifier: Option<&dyn OutcomeNotifier>,
    now: i64,
    report: &mut RelayReport,
) -> Result<(), HitlError> {
    // Nothing to deliver, expire or close yet: the progress, then back to its expiry.
    if record.progress_open(now) {
        return progress::relay_progress(&record, store, notifier, now, report).await;
    }
    let id = record.approval_id.clone();
    if record.needs_delivery() {
        // What the delivery just wrote, applied to our copy rather than read back.
        match deliver_decision(&record, store, resumer, now).await {
            DeliveryOutcome::Delivered => {
                report.delivered.push(id.clone());
                record.delivery.delivered_at = Some(now);
            }
            DeliveryOutcome::Late => {
                report.late.push(id.clone());
                record.delivery.late_at = Some(now);
            }
            DeliveryOutcome::GaveUp => {
                report.delivery_gave_up.push(id.clone());
                // The message update only needs to know it was given up; the reason is stored.
                let (reason, at) = (String::new(), now);
                record.delivery.failed = Some(crate::DeliveryFailure { reason, at });
            }
            _ => {
                report.retry_later.push(id);
                return Ok(());
            }
        }
    } else {
        // Applied to our copy too: a Teams bot card then shows the expiry to everyone.
        match expire(&record, store, resumer, now).await? {
            ExpiryOutcome::NotNow => {}
            ExpiryOutcome::Told => {
                report.expired.push(id.clone());
                record.delivery.expiry_sent_at = Some(now);
            }
            ExpiryOutcome::GaveUp => {
                report.delivery_gave_up.push(id.clone());
                let (reason, at) = (String::new(), now);
                record.delivery.failed = Some(crate::DeliveryFailure { reason, at });
            }
        }
    }
    if let Some(notifier) = notifier {
        match update_message(&record, store, notifier, now).await? {
            MessageUpdate::NotNeeded => {}
            MessageUpdate::Updated => report.messages_updated.push(id.clone()),
            MessageUpdate::GaveUp => report.gave_up.push(id.clone()),
            // Rescheduled with its own backoff, which `settle` would cut short.
            MessageUpdate::RetryLater => {
                report.retry_later.push(id);
                return Ok(());
            }
        }
    }
    settle(store, &id, now, report).await
}

async fn settle(
    store: &dyn Approvals,
    id: &ApprovalId,
    now: i64,
    report: &mut RelayReport,
) -> Result<(), HitlError> {
    if store.settle(id).await? {
        report.settled += 1;
    } else {
        // Work is left that this pass could not do (a message update that failed): later.
        store.reschedule(id, now + MAX_RETRY_DELAY_SECONDS).await?;
    }
    Ok(())
}

mod every_message;
mod message;
mod progress;
pub use every_message::EveryMessage;
mod refusal;
pub mod run;

#[cfg(test)]
mod given_up_tests;
#[cfg(test)]
mod tests;
