//! The in-memory store's reminders ([`ReminderStore`]): the reminder index is the records'
//! `reminder_state.next_at`, and a claim keeps the DynamoDB store's condition (in the index,
//! undecided, not expired, expiry not claimed, reminders sent and votes as read).

use async_trait::async_trait;

use super::FakeStore;
use crate::ports::ReminderStore;
use crate::{ApprovalId, ApprovalRecord, HitlError};

/// A request with reminders enters the reminder index at its creation: the first reminder is
/// due one interval after it was made, unless its creator said when (as the DynamoDB store).
pub(super) fn first_reminder(record: &mut ApprovalRecord) {
    if let Some(reminders) = &record.reminders {
        let state = &mut record.reminder_state;
        state.next_at = state
            .next_at
            .or(Some(record.created_at + reminders.every_seconds));
    }
}

#[async_trait]
impl ReminderStore for FakeStore {
    async fn due_for_reminder(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        let records = self.records.lock().unwrap();
        let mut due: Vec<(i64, ApprovalId)> = records
            .values()
            .filter_map(|r| Some((r.reminder_state.next_at?, r.approval_id.clone())))
            .filter(|(at, _)| *at <= now)
            .collect();
        due.sort();
        Ok(due.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    async fn claim_reminder(
        &self,
        approval_id: &ApprovalId,
        sent: u32,
        votes: usize,
        escalate: bool,
        next_at: Option<i64>,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let claimable = r.reminder_state.next_at.is_some()
                    && r.decision.is_none()
                    && !r.is_expired(now)
                    && r.delivery.expiry_claimed_at.is_none()
                    && r.reminder_state.sent == sent
                    && r.votes.len() == votes;
                if !claimable {
                    return None;
                }
                r.reminder_state.sent += 1;
                if escalate {
                    r.reminder_state.escalated_at.get_or_insert(now);
                }
                r.reminder_state.next_at = next_at;
                Some(r.clone())
            })
            .flatten())
    }

    async fn stop_reminders(&self, approval_id: &ApprovalId) -> Result<(), HitlError> {
        self.with(approval_id, |r| r.reminder_state.next_at = None);
        Ok(())
    }
}
