//! A store that counts what each request costs (reads, writes) and can lose the answer to the
//! decision write, as a timed-out DynamoDB call does: for tests of what a click costs and of
//! what a person is told when the store's answer is lost.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::FakeStore;
use crate::ports::{ApprovalStore, DecisionWrite, DeliveryClaim, DeliveryStore, FinalDelivery};
use crate::{ApprovalId, ApprovalRecord, HitlError, RecordedDecision, TaskToken};

/// How the next decision writes fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WriteFault {
    #[default]
    None,
    /// The write lands, then its answer is lost (a timeout after DynamoDB applied it).
    LostAnswer,
    /// The write is refused before anything is stored, and DynamoDB says so (a validation
    /// error, access denied): known not to be recorded.
    NotWritten,
    /// The write times out before anything is stored, and every read after it fails too:
    /// whether it landed cannot be learnt.
    Unreachable,
    /// The write times out before anything is stored, and lands later (DynamoDB still applies
    /// a write its caller gave up on): a read right after it does not see it.
    /// [`InstrumentedStore::land_late_write`] applies it.
    LandsLater,
}

#[derive(Default)]
pub struct InstrumentedStore {
    pub inner: FakeStore,
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
    pub write_fault: Mutex<WriteFault>,
    /// Every read fails while set.
    pub reads_fail: AtomicBool,
    /// A write that timed out and has not landed yet (`WriteFault::LandsLater`).
    late_write: Mutex<Option<(ApprovalId, RecordedDecision, i64)>>,
}

impl InstrumentedStore {
    /// (reads, writes) so far, counting every store call; and starts counting again.
    pub fn take_counts(&self) -> (usize, usize) {
        (
            self.reads.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }

    /// Lands the write that timed out under `WriteFault::LandsLater`, as DynamoDB would apply
    /// it: with its own conditions, at the time it was sent.
    pub async fn land_late_write(&self) -> Result<DecisionWrite, HitlError> {
        let late = self.late_write.lock().unwrap().take();
        let (id, decision, now) = late.expect("a write that lands later");
        self.inner.record_decision(&id, &decision, now).await
    }

    fn read(&self) -> Result<(), HitlError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        match self.reads_fail.load(Ordering::SeqCst) {
            true => Err(timed_out()),
            false => Ok(()),
        }
    }

    fn write(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A timeout: transient, as the DynamoDB adapter classifies one (it may have landed).
fn timed_out() -> HitlError {
    HitlError::transient("DynamoDB", "the call timed out")
}

#[async_trait]
impl ApprovalStore for InstrumentedStore {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.write();
        self.inner.create(record).await
    }
    async fn get(&self, approval_id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        self.read()?;
        self.inner.get(approval_id).await
    }
    async fn attach_task_token(
        &self,
        approval_id: &ApprovalId,
        task_token: &TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        self.write();
        self.inner
            .attach_task_token(approval_id, task_token, now)
            .await
    }
    async fn record_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        self.write();
        let fault = *self.write_fault.lock().unwrap();
        match fault {
            WriteFault::None => self.inner.record_decision(approval_id, decision, now).await,
            WriteFault::LostAnswer => {
                self.inner
                    .record_decision(approval_id, decision, now)
                    .await?;
                Err(timed_out())
            }
            WriteFault::NotWritten => Err(HitlError::dependency(
                "DynamoDB",
                "ValidationException: refused before anything was stored",
            )),
            WriteFault::LandsLater => {
                let late = (approval_id.clone(), decision.clone(), now);
                *self.late_write.lock().unwrap() = Some(late);
                Err(timed_out())
            }
            WriteFault::Unreachable => {
                self.reads_fail.store(true, Ordering::SeqCst);
                Err(timed_out())
            }
        }
    }
}

#[async_trait]
impl DeliveryStore for InstrumentedStore {
    async fn claim_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        self.write();
        self.inner.claim_delivery(id, token, now, until).await
    }
    async fn finish_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError> {
        self.write();
        self.inner.finish_delivery(id, token, outcome, now).await
    }
    async fn release_lease(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        at: i64,
    ) -> Result<(), HitlError> {
        self.write();
        self.inner.release_lease(id, token, at).await
    }
    async fn give_up_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.write();
        self.inner.give_up_delivery(id, token, reason, now).await
    }
    async fn claim_expiry(
        &self,
        id: &ApprovalId,
        t: &TaskToken,
        now: i64,
        u: i64,
    ) -> Result<bool, HitlError> {
        self.write();
        self.inner.claim_expiry(id, t, now, u).await
    }
    async fn finish_expiry(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError> {
        self.write();
        self.inner.finish_expiry(id, token, now).await
    }
    async fn message_updated(&self, id: &ApprovalId, now: i64) -> Result<(), HitlError> {
        self.write();
        self.inner.message_updated(id, now).await
    }
    async fn message_update_failed(&self, id: &ApprovalId, retry_at: i64) -> Result<(), HitlError> {
        self.write();
        self.inner.message_update_failed(id, retry_at).await
    }
    async fn give_up_message_update(
        &self,
        id: &ApprovalId,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.write();
        self.inner.give_up_message_update(id, reason, now).await
    }
    async fn settle(&self, id: &ApprovalId) -> Result<bool, HitlError> {
        self.write();
        self.inner.settle(id).await
    }
    async fn reschedule(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.write();
        self.inner.reschedule(id, at).await
    }
    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        self.read()?;
        self.inner.due_for_relay(now, limit).await
    }
    async fn every_message_updated(
        &self,
        id: &ApprovalId,
        companions: usize,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.write();
        self.inner.every_message_updated(id, companions, now).await
    }
    async fn progress_due(&self, id: &ApprovalId, now: i64) -> Result<bool, HitlError> {
        self.write();
        self.inner.progress_due(id, now).await
    }
    async fn progress_shown(
        &self,
        id: &ApprovalId,
        votes: u32,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.write();
        self.inner.progress_shown(id, votes, now).await
    }
}
