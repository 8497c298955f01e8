//! The in-memory store (its reminder index and claim are `testing::FakeStore`'s), with two
//! faults on demand: a settling vote that lands right after a claim, and reads that fail after
//! a claim.

use super::*;
use crate::ports::DecisionWrite;

#[derive(Default)]
pub struct RemindingStore {
    pub store: FakeStore,
    /// Recorded right after the next claim (`FakeStore::record_decision`: a vote that settles
    /// the request, which leaves the reminder index in the same write).
    pub after_claim: Mutex<Option<RecordedDecision>>,
    /// Set: every read after a claim fails (a throttled table).
    pub fail_reads_after_claim: AtomicBool,
    claimed: AtomicBool,
}

impl RemindingStore {
    pub fn put(&self, record: ApprovalRecord) {
        let mut records = self.store.records.lock().unwrap();
        records.insert(record.approval_id.clone(), record);
    }

    pub fn record(&self, id: &str) -> ApprovalRecord {
        self.store.records.lock().unwrap()[&ApprovalId::from(id)].clone()
    }

    /// Puts the request back in the index, due at `at`.
    pub fn put_due(&self, id: &str, at: i64) {
        let mut record = self.record(id);
        record.reminder_state.next_at = Some(at);
        self.put(record);
    }
}

#[async_trait]
impl ApprovalStore for RemindingStore {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.store.create(record).await
    }

    async fn get(&self, approval_id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        if self.claimed.load(Ordering::SeqCst) && self.fail_reads_after_claim.load(Ordering::SeqCst)
        {
            return Err(HitlError::transient("DynamoDB", "throttled"));
        }
        self.store.get(approval_id).await
    }

    async fn attach_task_token(
        &self,
        approval_id: &ApprovalId,
        task_token: &crate::TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        self.store
            .attach_task_token(approval_id, task_token, now)
            .await
    }

    async fn record_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        self.store.record_decision(approval_id, decision, now).await
    }
}

#[async_trait]
impl ReminderStore for RemindingStore {
    async fn due_for_reminder(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        self.store.due_for_reminder(now, limit).await
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
        let claim = self
            .store
            .claim_reminder(approval_id, sent, votes, escalate, next_at, now);
        let claimed = claim.await?;
        if claimed.is_some() {
            self.claimed.store(true, Ordering::SeqCst);
            let settling = self.after_claim.lock().unwrap().take();
            if let Some(settling) = settling {
                let write = self
                    .store
                    .record_decision(approval_id, &settling, now)
                    .await?;
                assert!(matches!(write, DecisionWrite::Recorded(_)), "{write:?}");
            }
        }
        Ok(claimed)
    }

    async fn stop_reminders(&self, approval_id: &ApprovalId) -> Result<(), HitlError> {
        self.store.stop_reminders(approval_id).await
    }
}
