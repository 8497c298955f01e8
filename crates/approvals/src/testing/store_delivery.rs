//! The in-memory store's delivery side ([`DeliveryStore`]): claiming a decision's or an
//! expiry's delivery under a lease, finishing or giving it up, and the relay's index, with the
//! conditions of the DynamoDB store.

use async_trait::async_trait;

use super::FakeStore;
use crate::approval::Lease;
use crate::ports::{DeliveryClaim, DeliveryStore, FinalDelivery};
use crate::{ApprovalId, ApprovalRecord, HitlError, TaskToken};

fn lease_free(r: &ApprovalRecord, token: &str, now: i64) -> bool {
    r.delivery
        .lease
        .as_ref()
        .is_none_or(|l| l.until <= now || l.token != token)
}

fn take_lease(r: &mut ApprovalRecord, token: &str, until: i64) -> bool {
    let takeover = r.delivery.lease.as_ref().is_some_and(|l| l.token == token);
    r.delivery.lease = Some(Lease {
        token: TaskToken::from(token),
        until,
    });
    r.delivery.attempts += 1;
    r.delivery.relay_at = Some(until);
    takeover
}

#[async_trait]
impl DeliveryStore for FakeStore {
    async fn claim_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let claimable = r.decision.is_some()
                    && r.task_token.as_ref() == Some(token)
                    && r.delivery.delivered_at.is_none()
                    && r.delivery.late_at.is_none()
                    && r.delivery.failed.is_none()
                    && lease_free(r, token, now);
                claimable.then(|| DeliveryClaim {
                    takeover: take_lease(r, token, until),
                })
            })
            .flatten())
    }

    async fn finish_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError> {
        self.with(approval_id, |r| {
            if r.task_token.as_ref() == Some(token) {
                // "Late" is inferred from "no longer waiting" and a slower deliverer can infer
                // it after another delivered: a delivery wins over it, whatever the order.
                match outcome {
                    FinalDelivery::Delivered => {
                        r.delivery.delivered_at = Some(now);
                        r.delivery.late_at = None;
                    }
                    FinalDelivery::Late { lease_until }
                        if r.delivery.delivered_at.is_none()
                            && r.delivery
                                .lease
                                .as_ref()
                                .is_some_and(|l| l.until == lease_until) =>
                    {
                        r.delivery.late_at = Some(now);
                        r.delivery.lease = None;
                    }
                    // Delivered already, or another deliverer's lease now: theirs to record.
                    FinalDelivery::Late { .. } => return,
                }
                r.delivery.lease = None;
            }
        });
        Ok(())
    }

    async fn release_lease(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        retry_at: i64,
    ) -> Result<(), HitlError> {
        self.with(approval_id, |r| {
            if r.delivery
                .lease
                .as_ref()
                .is_some_and(|l| l.token == token.as_str())
            {
                r.delivery.lease = None;
                r.delivery.relay_at = Some(retry_at);
            }
        });
        Ok(())
    }

    async fn give_up_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let open = r.task_token.as_ref() == Some(token) && !r.delivery.is_final();
                if open {
                    let (reason, at) = (reason.to_string(), now);
                    r.delivery.failed = Some(crate::DeliveryFailure { reason, at });
                    r.delivery.lease = None;
                    r.delivery.relay_at = (!r.is_settled()).then_some(now);
                }
                open
            })
            .unwrap_or(false))
    }

    async fn claim_expiry(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let claimable = r.decision.is_none()
                    && r.is_expired(now)
                    && r.task_token.as_ref() == Some(token)
                    && r.delivery.expiry_sent_at.is_none()
                    && r.delivery.failed.is_none()
                    && lease_free(r, token, now);
                if claimable {
                    take_lease(r, token, until);
                    r.delivery.expiry_claimed_at.get_or_insert(now);
                }
                claimable
            })
            .unwrap_or(false))
    }

    async fn finish_expiry(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError> {
        self.with(approval_id, |r| {
            if r.task_token.as_ref() == Some(token) {
                r.delivery.expiry_sent_at = Some(now);
                r.delivery.lease = None;
            }
        });
        Ok(())
    }

    async fn message_updated(&self, approval_id: &ApprovalId, now: i64) -> Result<(), HitlError> {
        self.with(approval_id, |r| r.message_updated_at = Some(now));
        Ok(())
    }

    async fn every_message_updated(
        &self,
        approval_id: &ApprovalId,
        companions: usize,
        now: i64,
    ) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let all = r.companions.len() == companions;
                if all {
                    r.message_updated_at = Some(now);
                }
                all
            })
            .unwrap_or(false))
    }

    async fn message_update_failed(
        &self,
        approval_id: &ApprovalId,
        retry_at: i64,
    ) -> Result<(), HitlError> {
        self.with(approval_id, |r| {
            if r.delivery.relay_at.is_some() {
                r.message_update_attempts += 1;
                r.delivery.relay_at = Some(retry_at);
            }
        });
        Ok(())
    }

    async fn give_up_message_update(
        &self,
        approval_id: &ApprovalId,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let open = r.message_updated_at.is_none() && r.message_update_failed.is_none();
                if open {
                    r.message_update_failed = Some(crate::MessageUpdateFailure {
                        reason: reason.to_string(),
                        at: now,
                    });
                }
                open
            })
            .unwrap_or(false))
    }

    async fn settle(&self, approval_id: &ApprovalId) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let settled = r.is_settled();
                if settled {
                    r.delivery.relay_at = None;
                }
                settled
            })
            .unwrap_or(false))
    }

    async fn reschedule(&self, approval_id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.with(approval_id, |r| {
            if r.delivery.relay_at.is_some() {
                r.delivery.relay_at = Some(at);
            }
        });
        Ok(())
    }

    async fn progress_due(&self, approval_id: &ApprovalId, now: i64) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let due =
                    r.delivery.relay_at.is_some_and(|at| at > now) && r.needs_progress_update(now);
                if due {
                    r.delivery.relay_at = Some(now);
                }
                due
            })
            .unwrap_or(false))
    }

    async fn progress_shown(
        &self,
        approval_id: &ApprovalId,
        votes: u32,
        now: i64,
    ) -> Result<bool, HitlError> {
        Ok(self
            .with(approval_id, |r| {
                let newer = r.progress_open(now) && r.message_progress_votes <= votes;
                if newer {
                    r.message_progress_votes = votes;
                    // No vote since: back where an open request waits, at its expiry.
                    if r.votes.len() == votes as usize && r.delivery.relay_at.is_some() {
                        r.delivery.relay_at = Some(r.expires_at);
                    }
                }
                newer
            })
            .unwrap_or(false))
    }

    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        let records = self.records.lock().unwrap();
        let mut due: Vec<(i64, ApprovalId)> = records
            .values()
            .filter_map(|r| r.delivery.relay_at.map(|at| (at, r.approval_id.clone())))
            .filter(|(at, _)| *at <= now)
            .collect();
        due.sort();
        Ok(due.into_iter().take(limit).map(|(_, id)| id).collect())
    }
}
