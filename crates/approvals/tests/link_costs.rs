//! Bad requests cost little: a forged, tampered or expired link is answered before the store
//! is touched (no DynamoDB read), and a genuine one still reads and decides.

use approvals::ports::FinalDelivery;
use approvals::ports::{ApprovalStore, DecisionWrite, DeliveryClaim, DeliveryStore};
use approvals::testing::{InMemoryStore, RecordingResumer};
use approvals::use_cases::{decide, view_link, ClientInfo, LinkView};
use approvals::{ApprovalRecord, Channel, Decision, HitlError, LinkSigner, RecordedDecision};
use async_trait::async_trait;

const NOW: i64 = 1_800_000_000;
const KEYS: &str = "k1:0123456789abcdef0123456789abcdef";

/// A store that must never be reached: every call fails the test.
struct Untouchable;

fn touched<T>(what: &str) -> T {
    panic!("the store was touched ({what}) for a request that should cost nothing")
}

#[async_trait]
impl ApprovalStore for Untouchable {
    async fn create(&self, _: &ApprovalRecord) -> Result<(), HitlError> {
        touched("create")
    }
    async fn get(&self, _: &str) -> Result<Option<ApprovalRecord>, HitlError> {
        touched("get")
    }
    async fn attach_task_token(
        &self,
        _: &str,
        _: &str,
        _: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        touched("attach_task_token")
    }
    async fn record_decision(
        &self,
        _: &str,
        _: &RecordedDecision,
        _: i64,
    ) -> Result<DecisionWrite, HitlError> {
        touched("record_decision")
    }
}

#[async_trait]
impl DeliveryStore for Untouchable {
    async fn claim_delivery(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        touched("claim_delivery")
    }
    async fn finish_delivery(
        &self,
        _: &str,
        _: &str,
        _: FinalDelivery,
        _: i64,
    ) -> Result<(), HitlError> {
        touched("finish_delivery")
    }
    async fn release_lease(&self, _: &str, _: &str, _: i64) -> Result<(), HitlError> {
        touched("release_lease")
    }
    async fn claim_expiry(&self, _: &str, _: &str, _: i64, _: i64) -> Result<bool, HitlError> {
        touched("claim_expiry")
    }
    async fn finish_expiry(&self, _: &str, _: i64) -> Result<(), HitlError> {
        touched("finish_expiry")
    }
    async fn message_updated(&self, _: &str, _: i64) -> Result<(), HitlError> {
        touched("message_updated")
    }
    async fn settle(&self, _: &str) -> Result<bool, HitlError> {
        touched("settle")
    }
    async fn reschedule(&self, _: &str, _: i64) -> Result<(), HitlError> {
        touched("reschedule")
    }
    async fn due_for_redrive(&self, _: i64, _: usize) -> Result<Vec<String>, HitlError> {
        touched("due_for_redrive")
    }
}

fn query_of(url: &str) -> String {
    url.split_once('?').unwrap().1.to_string()
}

async fn post(store_is_untouchable: bool, query: &str, store: &InMemoryStore) -> LinkView {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let resumer = RecordingResumer::default();
    let client = ClientInfo::default();
    if store_is_untouchable {
        decide(
            "appr-1",
            query,
            client,
            &signer,
            &Untouchable,
            &resumer,
            NOW,
        )
        .await
    } else {
        decide("appr-1", query, client, &signer, store, &resumer, NOW).await
    }
}

#[tokio::test]
async fn forged_tampered_and_expired_links_are_answered_without_a_read() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let other = LinkSigner::from_config("k1:ffffffffffffffffffffffffffffffff").unwrap();
    let good = query_of(&signer.link_url("h", "appr-1", Decision::Reject, NOW + 60, None));
    let forged = [
        query_of(&other.link_url("h", "appr-1", Decision::Approve, NOW + 60, None)),
        good.replace("d=reject", "d=approve"),
        good.replace(&format!("exp={}", NOW + 60), &format!("exp={}", NOW + 6000)),
        format!("{good}&a=0"),
        good.replace("kid=k1", "kid=k9"),
        good.split("&sig=").next().unwrap().to_string(),
        String::new(),
    ];
    for query in &forged {
        let view = view_link("appr-1", query, &signer, &Untouchable, NOW).await;
        assert!(
            matches!(view, LinkView::Invalid { .. }),
            "{query}: {view:?}"
        );
        let view = post(true, query, &InMemoryStore::default()).await;
        assert!(
            matches!(view, LinkView::Invalid { .. }),
            "{query}: {view:?}"
        );
    }
    // A genuine link for another id is forged for this one.
    let elsewhere = query_of(&signer.link_url("h", "appr-2", Decision::Approve, NOW + 60, None));
    let view = view_link("appr-1", &elsewhere, &signer, &Untouchable, NOW).await;
    assert!(matches!(view, LinkView::Invalid { .. }), "{view:?}");

    // An expired (genuine) link decides nothing: its GET reads nothing either.
    let expired = query_of(&signer.link_url("h", "appr-1", Decision::Approve, NOW - 1, None));
    let view = view_link("appr-1", &expired, &signer, &Untouchable, NOW).await;
    assert!(
        matches!(view, LinkView::TooLate { kept: false, stopped_at: Some(at), .. } if at == NOW - 1),
        "{view:?}"
    );
}

#[tokio::test]
async fn a_genuine_link_still_reads_and_decides() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let store = InMemoryStore::default();
    let record = ApprovalRecord::new(
        "appr-1".into(),
        "t".into(),
        Channel::Email,
        NOW,
        NOW + 60,
        1,
    );
    store.create(&record).await.unwrap();
    let good = query_of(&signer.link_url("h", "appr-1", Decision::Approve, NOW + 60, None));
    let view = view_link("appr-1", &good, &signer, &store, NOW).await;
    assert!(matches!(view, LinkView::Confirm { .. }), "{view:?}");
    let view = post(false, &good, &store).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
}
