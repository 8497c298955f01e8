//! The store contract's rules that keep the decision protocol sound where its actors race: an
//! expiry and a decision exclude each other, and the delivery state belongs to the task token
//! it delivers (a repeated wait starts a fresh delivery). The protocol explorer
//! (`tests/protocol_explorer.rs`) checks the protocol over these rules.

use super::store_contract::{decision, deliver, get, new_request, new_request_from, EXPIRES, NOW};
use crate::approval::LEASE_SECONDS;
use crate::ports::{ChatApprovals, DecisionWrite, FinalDelivery};
use crate::{ApprovalId, Channel, Decision, MessageRef, TaskToken};

pub(super) async fn check_protocol_rules(s: &dyn ChatApprovals, p: &str) {
    a_claimed_expiry_shuts_out_a_decision(s, p).await;
    a_wait_that_finds_the_request_expired_shuts_out_a_decision(s, p).await;
    a_new_token_starts_a_fresh_delivery(s, p).await;
    an_expiry_belongs_to_its_token(s, p).await;
    a_message_given_up_settles_the_record(s, p).await;
}

/// A click that read its clock before the expiry writes after the relay claimed the
/// expiry: the Task is being told "expired", so the decision is late, never recorded.
async fn a_claimed_expiry_shuts_out_a_decision(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-expiry-race"));
    new_request(s, &id, Some("tok")).await;
    assert!(s
        .claim_expiry(
            &id,
            &TaskToken::from("tok"),
            EXPIRES,
            EXPIRES + LEASE_SECONDS
        )
        .await
        .unwrap());
    let stale = s
        .record_decision(&id, &decision("a", Decision::Approve), EXPIRES - 1)
        .await;
    let Ok(DecisionWrite::TooLate(record)) = stale else {
        panic!("a decision after the expiry was claimed must be late: {stale:?}");
    };
    assert!(record.decision.is_none());
    assert_eq!(record.late_decisions.len(), 1, "kept in the audit");
    assert_eq!(record.delivery.expiry_claimed_at, Some(EXPIRES));
    // The claim stays when its lease is given back (the failure call failed): still no decision.
    s.release_lease(&id, &TaskToken::from("tok"), EXPIRES + 2)
        .await
        .unwrap();
    let after = s
        .record_decision(&id, &decision("b", Decision::Reject), EXPIRES - 1)
        .await;
    assert!(
        matches!(after, Ok(DecisionWrite::TooLate(_))),
        "the claim is permanent: {after:?}"
    );
}

/// Wait For Approval that finds the request expired fails its Task with `Hitl.Expired`: that is
/// an expiry told, so a slower click cannot record a decision afterwards.
async fn a_wait_that_finds_the_request_expired_shuts_out_a_decision(
    s: &dyn ChatApprovals,
    p: &str,
) {
    let id = ApprovalId::from(format!("{p}-expired-wait"));
    new_request(s, &id, None).await;
    let record = s
        .attach_task_token(&id, &"tok".into(), EXPIRES)
        .await
        .unwrap()
        .expect("attached");
    assert_eq!(record.delivery.expiry_claimed_at, Some(EXPIRES));
    let stale = s
        .record_decision(&id, &decision("a", Decision::Approve), EXPIRES - 1)
        .await;
    assert!(
        matches!(stale, Ok(DecisionWrite::TooLate(_))),
        "the wait told the Task it expired: {stale:?}"
    );
    let open = ApprovalId::from(format!("{p}-open-wait"));
    new_request(s, &open, None).await;
    let record = s
        .attach_task_token(&open, &"tok".into(), NOW)
        .await
        .unwrap();
    assert_eq!(
        record.unwrap().delivery.expiry_claimed_at,
        None,
        "not expired"
    );
}

/// A second Wait For Approval (a new token) on a delivered decision gets it too; the same
/// token attached again (a retried invoke) keeps its delivery.
async fn a_new_token_starts_a_fresh_delivery(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-rewait"));
    new_request(s, &id, Some("tok-1")).await;
    s.record_decision(&id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    deliver(s, &id, "tok-1", FinalDelivery::Delivered, NOW + 1).await;
    let retried = s
        .attach_task_token(&id, &"tok-1".into(), NOW + 2)
        .await
        .unwrap();
    assert_eq!(
        retried.unwrap().delivery.delivered_at,
        Some(NOW + 1),
        "the same token again: delivered once"
    );
    let record = s
        .attach_task_token(&id, &"tok-2".into(), NOW + 3)
        .await
        .unwrap()
        .expect("attached");
    let d = &record.delivery;
    assert_eq!(d.delivered_at, None, "the new token has not got it yet");
    assert_eq!((d.late_at, d.lease.clone(), d.attempts), (None, None, 0));
    assert!(record.needs_delivery());
    let claim = s
        .claim_delivery(
            &id,
            &TaskToken::from("tok-2"),
            NOW + 3,
            NOW + 3 + LEASE_SECONDS,
        )
        .await
        .unwrap();
    assert!(!claim.expect("the new token is delivered").takeover);
}

/// The relay told token 1 "expired"; a workflow that caught it waits again (token 2) with a
/// clock read before the expiry: token 2 must be told too, and token 1's end does not count
/// for token 2.
async fn an_expiry_belongs_to_its_token(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-expiry-token"));
    new_request(s, &id, Some("tok-1")).await;
    assert!(s
        .claim_expiry(
            &id,
            &TaskToken::from("tok-1"),
            EXPIRES,
            EXPIRES + LEASE_SECONDS
        )
        .await
        .unwrap());
    s.attach_task_token(&id, &"tok-2".into(), EXPIRES - 1)
        .await
        .unwrap()
        .expect("attached");
    s.finish_expiry(&id, &TaskToken::from("tok-1"), EXPIRES + 1)
        .await
        .unwrap();
    let record = get(s, &id).await;
    assert_eq!(record.delivery.expiry_sent_at, None, "token 2 was not told");
    assert!(record.needs_expiry(EXPIRES + 1));
    assert!(!s.settle(&id).await.unwrap(), "token 2 still waits");
    assert!(s
        .claim_expiry(
            &id,
            &TaskToken::from("tok-2"),
            EXPIRES + 1,
            EXPIRES + 1 + LEASE_SECONDS
        )
        .await
        .unwrap());
    s.finish_expiry(&id, &TaskToken::from("tok-2"), EXPIRES + 2)
        .await
        .unwrap();
    assert_eq!(get(s, &id).await.delivery.expiry_sent_at, Some(EXPIRES + 2));
    assert!(s.settle(&id).await.unwrap());
}

/// A message that cannot be updated: failures are counted and rescheduled; giving up keeps the
/// reason, once, and lets the record settle; an updated message is never given up.
async fn a_message_given_up_settles_the_record(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-give-up"));
    new_request_from(s, &id, Some("tok"), Channel::Slack).await;
    let message = MessageRef {
        channel: "C1".into(),
        ts: "1.9".into(),
    };
    s.attach_message(&id, &message, Some("[]")).await.unwrap();
    s.record_decision(&id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    deliver(s, &id, "tok", FinalDelivery::Delivered, NOW).await;
    s.message_update_failed(&id, NOW + 40).await.unwrap();
    s.message_update_failed(&id, NOW + 80).await.unwrap();
    let record = get(s, &id).await;
    assert_eq!(record.message_update_attempts, 2);
    assert_eq!(record.delivery.relay_at, Some(NOW + 80));
    assert!(
        !s.settle(&id).await.unwrap(),
        "the message still shows buttons"
    );
    assert!(s
        .give_up_message_update(&id, "Slack.ChannelNotFound: is_archived", NOW + 90)
        .await
        .unwrap());
    assert!(
        !s.give_up_message_update(&id, "again", NOW + 91)
            .await
            .unwrap(),
        "given up once"
    );
    let failure = get(s, &id).await.message_update_failed.expect("kept");
    assert_eq!(
        (failure.reason.as_str(), failure.at),
        ("Slack.ChannelNotFound: is_archived", NOW + 90)
    );
    assert!(s.settle(&id).await.unwrap(), "settled without the update");
    let updated = ApprovalId::from(format!("{p}-updated"));
    new_request_from(s, &updated, Some("tok"), Channel::Slack).await;
    s.message_updated(&updated, NOW).await.unwrap();
    assert!(!s
        .give_up_message_update(&updated, "late", NOW + 1)
        .await
        .unwrap());
}
