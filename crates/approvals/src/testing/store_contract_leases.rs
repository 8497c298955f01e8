//! The store contract's rules for delivery leases: one live lease per decision, on the
//! waiting task token only; a lapsed lease is taken over; a retried wait is delivered once.

use super::store_contract::*;
use crate::approval::LEASE_SECONDS;
use crate::ports::{ChatApprovals, FinalDelivery};
use crate::{ApprovalId, Decision, TaskToken};

pub(super) async fn deliveries_are_leases_tied_to_their_token(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-lease"));
    new_request(s, &id, Some("tok-1")).await;
    let until = NOW + LEASE_SECONDS;
    one_lease_for_a_decision_on_its_token(s, &id, until).await;
    a_lapsed_lease_is_taken_over_and_released(s, &id, until).await;
    a_retried_wait_is_delivered_once(s, &id, until).await;
}

/// Nothing to deliver before a decision; after it, one live lease, on the waiting token only.
async fn one_lease_for_a_decision_on_its_token(s: &dyn ChatApprovals, id: &ApprovalId, until: i64) {
    assert_eq!(
        s.claim_delivery(id, &TaskToken::from("tok-1"), NOW, until)
            .await
            .unwrap(),
        None,
        "nothing decided yet"
    );
    s.record_decision(id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    assert_eq!(
        s.claim_delivery(id, &TaskToken::from("tok-0"), NOW, until)
            .await
            .unwrap(),
        None,
        "not its token"
    );
    let claim = s
        .claim_delivery(id, &TaskToken::from("tok-1"), NOW, until)
        .await
        .unwrap()
        .expect("claim");
    assert!(!claim.takeover);
    assert_eq!(
        s.claim_delivery(id, &TaskToken::from("tok-1"), NOW + 1, until)
            .await
            .unwrap(),
        None,
        "one live lease"
    );
}

/// The deliverer died: its lease (until `until`) runs out and another takes over. A failed release
/// never wedges.
async fn a_lapsed_lease_is_taken_over_and_released(
    s: &dyn ChatApprovals,
    id: &ApprovalId,
    until: i64,
) {
    let takeover = s
        .claim_delivery(id, &TaskToken::from("tok-1"), until, until + LEASE_SECONDS)
        .await
        .unwrap();
    assert!(
        takeover.expect("taken over").takeover,
        "an earlier attempt may have delivered"
    );
    // A failed release never wedges: releasing someone else's lease does nothing.
    s.release_lease(id, &TaskToken::from("tok-other"), NOW)
        .await
        .unwrap();
    assert!(get(s, id).await.delivery.lease.is_some());
    s.release_lease(id, &TaskToken::from("tok-1"), until + 5)
        .await
        .unwrap();
    let record = get(s, id).await;
    assert!(record.delivery.lease.is_none());
    assert_eq!(
        record.delivery.relay_at,
        Some(until + 5),
        "due again at the retry time"
    );
    assert_eq!(record.delivery.attempts, 2);
}

/// A new token (a retried wait) may be delivered at once, whatever lease the old one had; the old
/// token's end is ignored, and a delivered request is delivered once.
async fn a_retried_wait_is_delivered_once(s: &dyn ChatApprovals, id: &ApprovalId, until: i64) {
    s.claim_delivery(id, &TaskToken::from("tok-1"), until + 5, until + 20)
        .await
        .unwrap()
        .expect("claim");
    s.attach_task_token(id, &"tok-2".into(), until + 6)
        .await
        .unwrap()
        .expect("attached");
    let fresh = s
        .claim_delivery(id, &TaskToken::from("tok-2"), until + 6, until + 21)
        .await
        .unwrap();
    assert!(!fresh.expect("claim on the new token").takeover);
    s.finish_delivery(
        id,
        &TaskToken::from("tok-1"),
        FinalDelivery::Delivered,
        until + 7,
    )
    .await
    .unwrap();
    assert_eq!(
        get(s, id).await.delivery.delivered_at,
        None,
        "the old token's end is ignored"
    );
    s.finish_delivery(
        id,
        &TaskToken::from("tok-2"),
        FinalDelivery::Delivered,
        until + 8,
    )
    .await
    .unwrap();
    let record = get(s, id).await;
    assert_eq!(record.delivery.delivered_at, Some(until + 8));
    assert!(record.delivery.lease.is_none());
    assert_eq!(
        s.claim_delivery(id, &TaskToken::from("tok-2"), until + 100, until + 200)
            .await
            .unwrap(),
        None,
        "delivered once"
    );
}
