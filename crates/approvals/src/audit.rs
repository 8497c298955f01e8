//! The audit trail: what happened to a request, derived from the record before and after one
//! committed write (a DynamoDB stream record's old and new images), so an event is published
//! only for a write that happened, and a write that changed nothing publishes none.
//!
//! [`events_between`] is pure: the same pair of records always gives the same events in the
//! same order, which is what lets the publisher give each event a stable id (the stream
//! record's id and the event's place in this list) for consumers to drop repeats.
//! No event carries the task token, a link, a lease or anything a secret is made of; a
//! decision's source address and user agent stay on the record.

use serde::Serialize;

use crate::quorum::{Quorum, Tally};
use crate::{ApprovalRecord, Channel, DecidedBy, RecordedDecision};

mod publish;
pub use publish::{
    entry_size, publish_writes, AuditEntry, Write, MAX_BYTES_PER_CALL, MAX_ENTRIES_PER_CALL,
};

/// The `source` of every audit event.
pub const SOURCE: &str = "hitl.approvals";

/// What happened: one EventBridge `detail-type` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    ApprovalRequested,
    VoteCounted,
    ApprovalDecided,
    ReminderSent,
    ApprovalEscalated,
    LateDecisionKept,
    DecisionDelivered,
    DeliveryGivenUp,
    ApprovalExpired,
    ExpiryDelivered,
    RecordRemoved,
}

impl AuditKind {
    pub const ALL: [AuditKind; 11] = [
        AuditKind::ApprovalRequested,
        AuditKind::VoteCounted,
        AuditKind::ApprovalDecided,
        AuditKind::ReminderSent,
        AuditKind::ApprovalEscalated,
        AuditKind::LateDecisionKept,
        AuditKind::DecisionDelivered,
        AuditKind::DeliveryGivenUp,
        AuditKind::ApprovalExpired,
        AuditKind::ExpiryDelivered,
        AuditKind::RecordRemoved,
    ];

    /// The event's `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            AuditKind::ApprovalRequested => "Approval Requested",
            AuditKind::VoteCounted => "Vote Counted",
            AuditKind::ApprovalDecided => "Approval Decided",
            AuditKind::ReminderSent => "Reminder Sent",
            AuditKind::ApprovalEscalated => "Approval Escalated",
            AuditKind::LateDecisionKept => "Late Decision Kept",
            AuditKind::DecisionDelivered => "Decision Delivered",
            AuditKind::DeliveryGivenUp => "Delivery Given Up",
            AuditKind::ApprovalExpired => "Approval Expired",
            AuditKind::ExpiryDelivered => "Expiry Delivered",
            AuditKind::RecordRemoved => "Record Removed",
        }
    }
}

/// One audit event: its kind and its `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub kind: AuditKind,
    pub detail: AuditDetail,
}

/// An event's `detail` (docs/AUDIT.md). Every event names the request; the rest is there for
/// the kinds it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditDetail {
    pub approval_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    /// When it happened (unix seconds), as the record says.
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestDetail>,
    /// The vote counted, the deciding vote, or the late decision kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionDetail>,
    /// A quorum request's tally after this write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tally: Option<Tally>,
    /// Reminders sent so far (Reminder Sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminders_sent: Option<u32>,
    /// Who may now fill the unfilled slots (Approval Escalated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<Vec<String>>,
    /// Why a delivery was given up (Delivery Given Up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Record Removed: whether DynamoDB's TTL removed it (the audit retention ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by_ttl: Option<bool>,
}

/// What was asked (Approval Requested).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestDetail {
    pub title: String,
    pub origin: Channel,
    pub approvers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<QuorumDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuorumDetail {
    pub approvals: u32,
    pub rejections: u32,
}

/// Who decided what, when, where, and whether the channel vouches for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionDetail {
    pub decision: String,
    /// `id`, `name`, `channel`, `verified`.
    pub decided_by: DecidedBy,
    /// Unix seconds.
    pub decided_at: i64,
    /// The slot a quorum vote filled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl DecisionDetail {
    fn of_decision(d: &RecordedDecision, slot: Option<&str>) -> Self {
        DecisionDetail {
            decision: d.decision.as_str().to_string(),
            decided_by: d.decided_by.clone(),
            decided_at: d.decided_at,
            slot: slot.map(str::to_string),
            comment: d.comment.clone(),
        }
    }
}

/// The events one committed write makes: `old` and `new` are the record before and after
/// (`None`: there was none, or there is none any more); `removed_by_ttl` says a removal was
/// DynamoDB's TTL. In the order things happen: request, votes, decision, reminder,
/// escalation, late decisions, delivery, expiry, removal.
pub fn events_between(
    old: Option<&ApprovalRecord>,
    new: Option<&ApprovalRecord>,
    removed_by_ttl: bool,
) -> Vec<AuditEvent> {
    match (old, new) {
        (_, Some(new)) => write_events(old, new),
        (Some(old), None) => vec![audit_event(
            AuditKind::RecordRemoved,
            AuditDetail {
                removed_by_ttl: Some(removed_by_ttl),
                ..detail_base(old, old.delete_after)
            },
        )],
        (None, None) => Vec::new(),
    }
}

fn audit_event(kind: AuditKind, detail: AuditDetail) -> AuditEvent {
    AuditEvent { kind, detail }
}

fn detail_base(r: &ApprovalRecord, at: i64) -> AuditDetail {
    AuditDetail {
        approval_id: r.approval_id.to_string(),
        execution_arn: r.execution_arn.clone(),
        at,
        request: None,
        decision: None,
        tally: None,
        reminders_sent: None,
        escalate_to: None,
        reason: None,
        removed_by_ttl: None,
    }
}

/// Whether `field` became true in this write (it was false before, or there was no record).
fn newly_set(
    old: Option<&ApprovalRecord>,
    new: &ApprovalRecord,
    field: fn(&ApprovalRecord) -> bool,
) -> bool {
    field(new) && !old.is_some_and(field)
}

impl AuditEvent {
    /// The event's `detail` as published: `eventId` (stable across retries of the same stream
    /// record, for consumers to drop repeats) and the detail's fields.
    pub fn detail_json(&self, event_id: &str) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Published<'a> {
            event_id: &'a str,
            #[serde(flatten)]
            detail: &'a AuditDetail,
        }
        serde_json::to_string(&Published {
            event_id,
            detail: &self.detail,
        })
        .expect("an audit detail is plain data")
    }
}

fn write_events(old: Option<&ApprovalRecord>, new: &ApprovalRecord) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    if old.is_none() {
        events.push(requested_event(new));
    }
    decision_events(old, new, &mut events);
    reminder_events(old, new, &mut events);
    delivery_events(old, new, &mut events);
    events
}

fn requested_event(r: &ApprovalRecord) -> AuditEvent {
    let request = RequestDetail {
        title: r.title.clone(),
        origin: r.origin,
        approvers: r.approvers.clone(),
        quorum: r.quorum.map(
            |Quorum {
                 approvals,
                 rejections,
             }| QuorumDetail {
                approvals,
                rejections,
            },
        ),
        requested_by: r.requested_by.clone(),
        expires_at: r.expires_at,
    };
    audit_event(
        AuditKind::ApprovalRequested,
        AuditDetail {
            request: Some(request),
            tally: crate::quorum::tally_of(r),
            ..detail_base(r, r.created_at)
        },
    )
}

/// Votes are appended, never rewritten; so are late decisions (up to their cap).
fn decision_events(
    old: Option<&ApprovalRecord>,
    new: &ApprovalRecord,
    events: &mut Vec<AuditEvent>,
) {
    let old_votes = old.map_or(0, |o| o.votes.len());
    for vote in new.votes.iter().skip(old_votes) {
        events.push(audit_event(
            AuditKind::VoteCounted,
            AuditDetail {
                decision: Some(DecisionDetail::of_decision(
                    &vote.decision,
                    Some(&vote.slot),
                )),
                tally: crate::quorum::tally_of(new),
                ..detail_base(new, vote.decision.decided_at)
            },
        ));
    }
    if let (Some(d), true) = (&new.decision, newly_set(old, new, |r| r.decision.is_some())) {
        let slot = new
            .votes
            .iter()
            .find(|v| v.decision == *d)
            .map(|v| v.slot.as_str());
        events.push(audit_event(
            AuditKind::ApprovalDecided,
            AuditDetail {
                decision: Some(DecisionDetail::of_decision(d, slot)),
                tally: crate::quorum::tally_of(new),
                ..detail_base(new, d.decided_at)
            },
        ));
    }
    let old_late = old.map_or(0, |o| o.late_decisions.len());
    for late in new.late_decisions.iter().skip(old_late) {
        events.push(audit_event(
            AuditKind::LateDecisionKept,
            AuditDetail {
                decision: Some(DecisionDetail::of_decision(late, None)),
                ..detail_base(new, late.decided_at)
            },
        ));
    }
}

fn reminder_events(
    old: Option<&ApprovalRecord>,
    new: &ApprovalRecord,
    events: &mut Vec<AuditEvent>,
) {
    let state = &new.reminder_state;
    let old_sent = old.map_or(0, |o| o.reminder_state.sent);
    // One event per reminder (a write claims one), dated when it was due: the n-th reminder
    // is due `n * everySeconds` after the request (the record keeps no send time).
    let every = new.reminders.as_ref().map_or(0, |r| r.every_seconds);
    for n in old_sent + 1..=state.sent {
        events.push(audit_event(
            AuditKind::ReminderSent,
            AuditDetail {
                reminders_sent: Some(n),
                tally: crate::quorum::tally_of(new),
                ..detail_base(new, new.created_at + i64::from(n) * every)
            },
        ));
    }
    let escalated = newly_set(old, new, |r| r.reminder_state.escalated_at.is_some());
    if let (Some(at), true) = (state.escalated_at, escalated) {
        let to = new.reminders.as_ref().map(|r| r.escalate_to.clone());
        events.push(audit_event(
            AuditKind::ApprovalEscalated,
            AuditDetail {
                escalate_to: Some(to.unwrap_or_default()),
                ..detail_base(new, at)
            },
        ));
    }
}

fn delivery_events(
    old: Option<&ApprovalRecord>,
    new: &ApprovalRecord,
    events: &mut Vec<AuditEvent>,
) {
    let d = &new.delivery;
    let was = |f: fn(&crate::DeliveryState) -> bool| old.is_some_and(|o| f(&o.delivery));
    if let (Some(at), false) = (d.delivered_at, was(|o| o.delivered_at.is_some())) {
        let decision = new
            .decision
            .as_ref()
            .map(|x| DecisionDetail::of_decision(x, None));
        events.push(audit_event(
            AuditKind::DecisionDelivered,
            AuditDetail {
                decision,
                ..detail_base(new, at)
            },
        ));
    }
    let given_up = [
        (d.late_at.filter(|_| !was(|o| o.late_at.is_some()))).map(|at| {
            (
                at,
                "the Task had stopped waiting before the decision reached it".to_string(),
            )
        }),
        d.failed
            .as_ref()
            .filter(|_| !was(|o| o.failed.is_some()))
            .map(|f| (f.at, f.reason.clone())),
    ];
    for (at, reason) in given_up.into_iter().flatten() {
        events.push(audit_event(
            AuditKind::DeliveryGivenUp,
            AuditDetail {
                reason: Some(reason),
                ..detail_base(new, at)
            },
        ));
    }
    if let (Some(at), false) = (d.expiry_claimed_at, was(|o| o.expiry_claimed_at.is_some())) {
        events.push(audit_event(
            AuditKind::ApprovalExpired,
            detail_base(new, at),
        ));
    }
    if let (Some(at), false) = (d.expiry_sent_at, was(|o| o.expiry_sent_at.is_some())) {
        events.push(audit_event(
            AuditKind::ExpiryDelivered,
            detail_base(new, at),
        ));
    }
}

#[cfg(test)]
mod tests;
