//! The gate as the reminder pass's store (`ReminderStore`), and what the gate notes of a team's
//! writes as they happen: votes counted, reminders claimed, and rules broken at that moment.
//! Also the old rules put back for the team: a vote write without its count condition, a
//! reminder claim without its conditions on the decision and the votes.

use approvals::ports::{ApprovalStore, DecisionWrite, ReminderStore};
use approvals::{ApprovalId, ApprovalRecord, HitlError, RecordedDecision};
use async_trait::async_trait;

use super::formats::filled;
use super::gate::{Gate, Op};
use super::team::{Claim, ESCALATE_TO};
use super::world::Rules;

impl Gate<'_> {
    /// Notes a vote write: who was told their vote counted, and an escalation target's vote
    /// counted on a record that had not escalated when it was written.
    pub(super) fn log_vote(
        &self,
        before: &ApprovalRecord,
        decision: &RecordedDecision,
        write: &Result<DecisionWrite, HitlError>,
    ) {
        if before.quorum.is_none() {
            return;
        }
        let counted = matches!(
            write,
            Ok(DecisionWrite::Counted(_) | DecisionWrite::Recorded(_))
        );
        if !counted {
            return;
        }
        let voter = decision.decided_by.id.to_lowercase();
        let mut log = self.log.lock().unwrap();
        if voter == ESCALATE_TO && before.reminder_state.escalated_at.is_none() {
            log.broken.push(format!(
                "{voter}'s vote counted before the request escalated"
            ));
        }
        log.counted.push(voter);
    }

    /// An old rule put back: the vote is cast on the record its voter read before (as a write
    /// conditioned on nothing but "undecided, not expired" would), and appended to the votes
    /// as they are now.
    pub(super) async fn vote_ignoring_count(
        &self,
        id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let read = self.last_read.lock().unwrap().clone();
        let Some(read) = read else {
            return self.store.record_decision(id, decision, now).await;
        };
        let current = self.with_record(|r| std::mem::replace(&mut r.votes, read.votes.clone()));
        let write = self.store.record_decision(id, decision, now).await;
        self.with_record(|r| {
            let added: Vec<_> = r
                .votes
                .drain(read.votes.len().min(r.votes.len())..)
                .collect();
            r.votes = current;
            r.votes.extend(added);
        });
        write
    }

    /// An old rule put back: a claim conditioned on the reminder count alone (not on the
    /// decision, the votes, or the request being in the reminder index).
    async fn claim_ignoring_votes(
        &self,
        id: &ApprovalId,
        sent: u32,
        escalate: bool,
        next_at: Option<i64>,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let (decision, votes, due) = self.with_record(|r| {
            let due = r.reminder_state.next_at.replace(now);
            (r.decision.take(), std::mem::take(&mut r.votes), due)
        });
        let claim = self
            .store
            .claim_reminder(id, sent, 0, escalate, next_at, now)
            .await;
        let claimed = matches!(claim, Ok(Some(_)));
        self.with_record(|r| {
            r.decision = decision;
            r.votes = votes;
            if !claimed {
                r.reminder_state.next_at = due;
            }
        });
        Ok(claim?.map(|_| self.record()))
    }
}

#[async_trait]
impl ReminderStore for Gate<'_> {
    async fn due_for_reminder(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        let due = self.store.due_for_reminder(now, limit);
        self.call(Op::DueForReminder, due).await
    }

    async fn claim_reminder(
        &self,
        id: &ApprovalId,
        sent: u32,
        votes: usize,
        escalate: bool,
        next_at: Option<i64>,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let claim = async {
            let before = self.record();
            let claim = match self.rules {
                Rules::ReminderIgnoresVotes => {
                    self.claim_ignoring_votes(id, sent, escalate, next_at, now)
                        .await
                }
                _ => {
                    let store = &self.store;
                    store
                        .claim_reminder(id, sent, votes, escalate, next_at, now)
                        .await
                }
            };
            if let Ok(Some(after)) = &claim {
                self.log.lock().unwrap().claims.push(Claim {
                    number: after.reminder_state.sent,
                    after_settlement: before.decision.is_some(),
                    filled: filled(after),
                });
            }
            claim
        };
        self.call(Op::ClaimReminder, claim).await
    }

    async fn stop_reminders(&self, id: &ApprovalId) -> Result<(), HitlError> {
        let stop = self.store.stop_reminders(id);
        self.call(Op::StopReminders, stop).await
    }
}
