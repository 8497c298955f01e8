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

/// A callback Step Functions refused for good: given up once, on the waiting token only, with
/// its reason; nothing more is claimed for that token; a new token starts afresh. A record with
/// nothing else to do leaves the relay index; a chat message to update keeps it due.
pub(super) async fn a_delivery_refused_for_good_is_given_up(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-delivery-given-up"));
    let (tok, until) = (TaskToken::from("tok-1"), NOW + LEASE_SECONDS);
    new_request(s, &id, Some("tok-1")).await;
    s.record_decision(&id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    s.claim_delivery(&id, &tok, NOW, until)
        .await
        .unwrap()
        .expect("claim");
    let why = "Hitl.DependencyFailed: AccessDeniedException";
    assert!(!s
        .give_up_delivery(&id, &"tok-0".into(), why, NOW + 1)
        .await
        .unwrap());
    assert!(s.give_up_delivery(&id, &tok, why, NOW + 1).await.unwrap());
    let record = get(s, &id).await;
    let failed = record.delivery.failed.clone().expect("given up");
    assert_eq!((failed.reason.as_str(), failed.at), (why, NOW + 1));
    assert_eq!(record.delivery.lease, None);
    assert!(record.is_settled() && !record.needs_delivery());
    assert_eq!(record.delivery.relay_at, None, "nothing else to do: out");
    assert!(
        !s.give_up_delivery(&id, &tok, why, NOW + 2).await.unwrap(),
        "once"
    );
    let later = s.claim_delivery(&id, &tok, NOW + 100, NOW + 110).await;
    assert_eq!(later.unwrap(), None, "never claimed again for that token");
    s.attach_task_token(&id, &"tok-2".into(), NOW + 3)
        .await
        .unwrap();
    let record = get(s, &id).await;
    assert_eq!(record.delivery.failed, None, "a new token starts afresh");
    assert!(record.needs_delivery());
    let tok_2 = TaskToken::from("tok-2");
    let fresh = s.claim_delivery(&id, &tok_2, NOW + 3, NOW + 13).await;
    assert!(fresh.unwrap().is_some(), "claimed on the new token");
    a_given_up_message_request_stays_due(s, p).await;
    an_expiry_refused_for_good_is_given_up(s, p).await;
}

/// A Slack request's message still shows buttons: given up, it stays due so the relay shows
/// the outcome, then settles.
async fn a_given_up_message_request_stays_due(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-delivery-given-up-slack"));
    let tok = TaskToken::from("tok");
    new_request_from(s, &id, Some("tok"), crate::Channel::Slack).await;
    let message = crate::MessageRef {
        channel: "C1".into(),
        ts: "1.3".into(),
    };
    s.attach_message(&id, &message, Some("[]")).await.unwrap();
    s.record_decision(&id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    s.claim_delivery(&id, &tok, NOW, NOW + LEASE_SECONDS)
        .await
        .unwrap()
        .expect("claim");
    assert!(s.give_up_delivery(&id, &tok, "why", NOW + 1).await.unwrap());
    let record = get(s, &id).await;
    assert!(
        record.needs_message_update(NOW + 1),
        "the message shows the outcome"
    );
    assert_eq!(record.delivery.relay_at, Some(NOW + 1), "due at once");
    s.message_updated(&id, NOW + 2).await.unwrap();
    assert!(s.settle(&id).await.unwrap());
}

/// An expired request whose Task Step Functions will not fail: given up, settled, never
/// claimed again.
async fn an_expiry_refused_for_good_is_given_up(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-expiry-given-up"));
    let tok = TaskToken::from("tok");
    new_request(s, &id, Some("tok")).await;
    assert!(s
        .claim_expiry(&id, &tok, EXPIRES, EXPIRES + LEASE_SECONDS)
        .await
        .unwrap());
    assert!(s.give_up_delivery(&id, &tok, "why", EXPIRES).await.unwrap());
    let record = get(s, &id).await;
    assert!(record.is_settled() && !record.needs_expiry(EXPIRES + 100));
    assert_eq!(record.delivery.relay_at, None);
    let again = s.claim_expiry(&id, &tok, EXPIRES + 100, EXPIRES + 110);
    assert!(!again.await.unwrap(), "never claimed again");
}
