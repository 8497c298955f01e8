//! The approval store in memory, with the same rules as the DynamoDB one (every conditional
//! write included): the shared store contract ([`super::store_contract`]) runs against both.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::approval::{ChannelIdentities, Companion, MAX_COMPANIONS, MAX_LATE_DECISIONS};
use crate::ports::{ApprovalStore, DecisionWrite, ExpiredMessage, MessageStore};
use crate::quorum::{self, Cast};
use crate::{ApprovalId, ApprovalRecord, HitlError, MessageRef, RecordedDecision, TaskToken};

// Delivering a decision (leases, expiry, the relay's index): its own file for size.
#[path = "store_delivery.rs"]
mod delivery;
// Reminders and their index: its own file for size.
#[path = "store_reminders.rs"]
mod reminders;

#[derive(Default)]
pub struct FakeStore {
    pub records: Mutex<HashMap<ApprovalId, ApprovalRecord>>,
    /// Approvals whose message still shows its buttons (no decision, not closed).
    pub open_messages: Mutex<HashSet<ApprovalId>>,
}

impl FakeStore {
    fn with<T>(&self, id: &ApprovalId, f: impl FnOnce(&mut ApprovalRecord) -> T) -> Option<T> {
        self.records.lock().unwrap().get_mut(id).map(f)
    }
}

#[async_trait]
impl ApprovalStore for FakeStore {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let mut records = self.records.lock().unwrap();
        let mut record = record.clone();
        if record.task_token.is_some() {
            record.delivery.relay_at = Some(record.expires_at);
        }
        reminders::first_reminder(&mut record);
        match records.get(&record.approval_id) {
            // The same put again (an SDK retry of a put whose answer was lost).
            Some(existing) if *existing == record => return Ok(()),
            Some(_) => return Err(HitlError::AlreadyExists(record.approval_id.to_string())),
            None => {}
        }
        records.insert(record.approval_id.clone(), record);
        Ok(())
    }

    async fn get(&self, approval_id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        Ok(self.records.lock().unwrap().get(approval_id).cloned())
    }

    async fn attach_task_token(
        &self,
        approval_id: &ApprovalId,
        task_token: &TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        Ok(self.with(approval_id, |r| {
            if r.task_token.as_ref() != Some(task_token) {
                r.task_token = Some(task_token.clone());
                r.delivery.restart_for_new_token();
            }
            // The wait fails its Task with `Hitl.Expired`: an expiry told, like the relay's.
            if r.decision.is_none() && r.is_expired(now) {
                r.delivery.expiry_claimed_at.get_or_insert(now);
            }
            r.delivery.relay_at = Some(match r.decision {
                Some(_) => now + crate::approval::LEASE_SECONDS,
                None => r.expires_at,
            });
            r.clone()
        }))
    }

    async fn record_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let mut records = self.records.lock().unwrap();
        let Some(r) = records.get_mut(approval_id) else {
            return Ok(DecisionWrite::NotFound);
        };
        if r.decision.is_some() {
            return Ok(DecisionWrite::AlreadyDecided(r.clone()));
        }
        // A claimed expiry is as final as the clock: the Task is being told it expired.
        if r.is_expired(now) || r.delivery.expiry_claimed_at.is_some() {
            if r.late_decisions.len() < MAX_LATE_DECISIONS {
                r.late_decisions.push(decision.late_audit());
            }
            return Ok(DecisionWrite::TooLate(r.clone()));
        }
        if let Some(unsettled) = vote(r, decision) {
            return Ok(unsettled);
        }
        // The first answer, or the vote that settles the request: its decision is recorded.
        r.decision = Some(decision.clone());
        r.delivery.relay_at = Some(now + crate::approval::LEASE_SECONDS);
        r.reminder_state.next_at = None;
        self.open_messages.lock().unwrap().remove(approval_id);
        Ok(DecisionWrite::Recorded(r.clone()))
    }
}

/// `decision` as a vote on `r` (open, read under the lock), as [`quorum::cast`] says: what the
/// write returns when it leaves `r` undecided; `None` when `decision` decides it (the request
/// has no quorum, or the vote, appended, settles it).
fn vote(r: &mut ApprovalRecord, decision: &RecordedDecision) -> Option<DecisionWrite> {
    r.quorum?;
    match quorum::cast(r, decision) {
        Cast::Counted(vote) => {
            r.votes.push(vote);
            Some(DecisionWrite::Counted(r.clone()))
        }
        Cast::Settles(vote) => {
            r.votes.push(vote);
            None
        }
        Cast::AlreadyVoted(_) => Some(DecisionWrite::AlreadyVoted(r.clone())),
        Cast::NoSlot => Some(DecisionWrite::NoSlot(r.clone())),
    }
}

#[async_trait]
impl MessageStore for FakeStore {
    async fn attach_message(
        &self,
        approval_id: &ApprovalId,
        message: &MessageRef,
        shown: Option<&str>,
    ) -> Result<(), HitlError> {
        let open = self
            .with(approval_id, |r| {
                r.message = Some(message.clone());
                r.message_shown = Some(shown.unwrap_or_default().to_string());
                r.decision.is_none() && shown.is_some()
            })
            .ok_or_else(|| HitlError::NotFound(approval_id.to_string()))?;
        if open {
            self.open_messages
                .lock()
                .unwrap()
                .insert(approval_id.clone());
        }
        Ok(())
    }

    async fn attach_companion(
        &self,
        approval_id: &ApprovalId,
        companion: &Companion,
        identities: &ChannelIdentities,
        now: i64,
    ) -> Result<(), HitlError> {
        self.with(approval_id, |r| {
            if !r.takes_companions() {
                return Err(HitlError::invalid_input(format!(
                    "approval {approval_id} was made by a chat channel's Request Action; only a request made by Create Approval Links can be posted to other channels"
                )));
            }
            if r.companions.len() >= MAX_COMPANIONS {
                return Err(HitlError::invalid_input(format!(
                    "approval {approval_id} was posted to {MAX_COMPANIONS} channels already"
                )));
            }
            r.companions.push(companion.clone());
            r.set_channel_identities(identities);
            let shown = r.message_updated_at.is_some() || r.message_update_failed.is_some();
            if r.decision.is_some() || shown {
                // Decided (or its expiry shown) before this post: every message is brought up
                // to date again, now.
                r.message_updated_at = None;
                r.message_update_failed = None;
                r.message_update_attempts = 0;
                r.delivery.relay_at = Some(now);
            } else {
                r.delivery.relay_at = Some(r.delivery.relay_at.unwrap_or(r.expires_at));
            }
            Ok(())
        })
        .ok_or_else(|| HitlError::NotFound(approval_id.to_string()))?
    }

    async fn expired_open_messages(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<ApprovalId>, HitlError> {
        let records = self.records.lock().unwrap();
        let mut expired: Vec<(i64, ApprovalId)> = self
            .open_messages
            .lock()
            .unwrap()
            .iter()
            .filter_map(|id| records.get(id))
            .filter(|r| r.is_expired(now))
            .map(|r| (r.expires_at, r.approval_id.clone()))
            .collect();
        expired.sort();
        Ok(expired.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    async fn claim_message_close(
        &self,
        approval_id: &ApprovalId,
        now: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError> {
        let records = self.records.lock().unwrap();
        let mut open = self.open_messages.lock().unwrap();
        let Some(record) = records.get(approval_id) else {
            return Ok(None);
        };
        let Some(message) = record.message.clone() else {
            return Ok(None);
        };
        if record.decision.is_some() || !record.is_expired(now) || !open.remove(approval_id) {
            return Ok(None);
        }
        let shown = record.message_shown.clone().unwrap_or_default();
        Ok(Some(ExpiredMessage {
            approval_id: approval_id.clone(),
            title: record.title.clone(),
            expires_at: record.expires_at,
            message,
            shown,
            origin: record.origin,
        }))
    }

    async fn release_message_close(&self, approval_id: &ApprovalId) -> Result<(), HitlError> {
        let records = self.records.lock().unwrap();
        if records
            .get(approval_id)
            .is_some_and(|r| r.decision.is_none())
        {
            self.open_messages
                .lock()
                .unwrap()
                .insert(approval_id.clone());
        }
        Ok(())
    }
}
