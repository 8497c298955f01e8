//! Clicks that race: two approvers at once, and a click against the relay telling the Task
//! that the request expired. The store here is the in-memory one, with every read giving way
//! to the other party before the click writes, as two Lambda invocations would.

use async_trait::async_trait;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::*;
use crate::ports::{DecisionWrite, DeliveryClaim, ExpiredMessage, FinalDelivery, MessageStore};
use crate::{ApprovalId, HitlError, RecordedDecision, TaskToken};

/// The memory store, yielding after every read so the other party runs in between; with
/// `expire_after_read`, the relay (its clock at that time) claims the expiry right after the
/// next read, before the click writes.
#[derive(Default)]
struct Interleaved {
    inner: FakeStore,
    expire_after_read: Mutex<Option<i64>>,
    /// Reads and decision writes, counted (nothing else is reached without a decision write).
    calls: AtomicUsize,
}

#[async_trait]
impl ApprovalStore for Interleaved {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.inner.create(record).await
    }
    async fn get(&self, id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let read = self.inner.get(id).await;
        let relay_now = self.expire_after_read.lock().unwrap().take();
        if let Some(relay_now) = relay_now {
            let token = TaskToken::from("tok");
            let claimed = self
                .inner
                .claim_expiry(id, &token, relay_now, relay_now)
                .await;
            assert_eq!(claimed, Ok(true), "the relay claims the expiry");
        }
        tokio::task::yield_now().await;
        read
    }
    async fn attach_task_token(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        self.inner.attach_task_token(id, token, now).await
    }
    async fn record_decision(
        &self,
        id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.record_decision(id, decision, now).await
    }
}

#[async_trait]
impl DeliveryStore for Interleaved {
    async fn claim_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        self.inner.claim_delivery(id, token, now, until).await
    }
    async fn finish_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError> {
        self.inner.finish_delivery(id, token, outcome, now).await
    }
    async fn release_lease(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        retry_at: i64,
    ) -> Result<(), HitlError> {
        self.inner.release_lease(id, token, retry_at).await
    }
    async fn give_up_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.inner.give_up_delivery(id, token, reason, now).await
    }
    async fn claim_expiry(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<bool, HitlError> {
        self.inner.claim_expiry(id, token, now, until).await
    }
    async fn finish_expiry(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError> {
        self.inner.finish_expiry(id, token, now).await
    }
    async fn message_updated(&self, id: &ApprovalId, now: i64) -> Result<(), HitlError> {
        self.inner.message_updated(id, now).await
    }
    async fn message_update_failed(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.inner.message_update_failed(id, at).await
    }
    async fn give_up_message_update(
        &self,
        id: &ApprovalId,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        self.inner.give_up_message_update(id, reason, now).await
    }
    async fn settle(&self, id: &ApprovalId) -> Result<bool, HitlError> {
        self.inner.settle(id).await
    }
    async fn reschedule(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.inner.reschedule(id, at).await
    }
    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        self.inner.due_for_relay(now, limit).await
    }
}

#[async_trait]
impl MessageStore for Interleaved {
    async fn attach_message(
        &self,
        id: &ApprovalId,
        message: &MessageRef,
        shown: Option<&str>,
    ) -> Result<(), HitlError> {
        self.inner.attach_message(id, message, shown).await
    }
    async fn expired_open_messages(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<ApprovalId>, HitlError> {
        self.inner.expired_open_messages(now, limit).await
    }
    async fn claim_message_close(
        &self,
        id: &ApprovalId,
        now: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError> {
        self.inner.claim_message_close(id, now).await
    }
    async fn release_message_close(&self, id: &ApprovalId) -> Result<(), HitlError> {
        self.inner.release_message_close(id).await
    }
    async fn attach_companion(
        &self,
        id: &ApprovalId,
        companion: &crate::approval::Companion,
        identities: &crate::approval::ChannelIdentities,
        now: i64,
    ) -> Result<(), HitlError> {
        self.inner
            .attach_companion(id, companion, identities, now)
            .await
    }
}

async fn answered(
    store: &Interleaved,
    resumer: &FakeResumer,
    action: CardAction,
    now: i64,
) -> Value {
    answer_card_action(action, store, resumer, &FakeTeamsBotFormat, now)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_approvers_clicking_at_once_make_one_decision() {
    let (store, resumer) = (Interleaved::default(), FakeResumer::default());
    bot_request(&store.inner, vec![alice(), bob()]).await;
    let (by_alice, by_bob) = tokio::join!(
        answered(&store, &resumer, click(alice(), "approve"), NOW),
        answered(&store, &resumer, click(bob(), "reject"), NOW),
    );

    let decision = stored(&store.inner).await.decision.unwrap();
    let (winner, loser) = match decision.decided_by.id.as_str() {
        "oid-alice" => (by_alice, by_bob),
        _ => (by_bob, by_alice),
    };
    assert_eq!(refused(&winner), "", "{winner}");
    assert_eq!(refused(&loser), "AlreadyDecided", "{loser}");
    assert_eq!(
        loser["shown"]["line"], winner["line"],
        "the loser sees who decided"
    );
    assert_eq!(resumer.resumed.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_click_losing_to_the_expiry_is_never_shown_as_recorded() {
    let (store, resumer) = (Interleaved::default(), FakeResumer::default());
    bot_request(&store.inner, vec![alice()]).await;
    // The click's clock still says open; the relay's says expired and claims it in between.
    *store.expire_after_read.lock().unwrap() = Some(EXPIRES_AT);
    let card = answered(&store, &resumer, click(alice(), "approve"), EXPIRES_AT - 1).await;

    assert_eq!(refused(&card), "Expired", "{card}");
    let record = stored(&store.inner).await;
    assert_eq!(record.decision, None);
    assert_eq!(record.late_decisions.len(), 1, "kept as a late click");
    // The relay goes on telling the Task it expired; nothing else reaches it.
    let told = crate::delivery::fail_expired(&record, &store, &resumer, EXPIRES_AT + 1).await;
    assert_eq!(told, Ok(true));
    assert!(resumer.resumed.lock().unwrap().is_empty());
    let failed = resumer.failed.lock().unwrap().clone();
    assert_eq!(
        failed,
        vec![("tok".to_string(), "Hitl.Expired".to_string())]
    );
}

#[tokio::test]
async fn a_card_in_another_conversation_costs_one_read_and_nothing_else() {
    let (store, resumer) = (Interleaved::default(), FakeResumer::default());
    let before = bot_request(&store.inner, vec![alice()]).await;
    let mut elsewhere = click(alice(), "approve");
    elsewhere.conversation_id = "19:other@thread.v2".into();
    let card = answered(&store, &resumer, elsewhere, NOW).await;
    assert_eq!(refused(&card), "UnknownCard");
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        1,
        "the record, nothing more"
    );
    assert_eq!(stored(&store.inner).await, before);
}
