//! The rules every approval store keeps, as one suite: the in-memory store (unit tests) and the
//! DynamoDB store (on moto) run it alike, so the use cases are tested against the same
//! conditional rules production has. Each check panics with what broke.

use crate::approval::{ApprovalRecord, LEASE_SECONDS};
use crate::ports::{ChatApprovals, DecisionWrite, FinalDelivery};
use crate::{
    ApprovalId, Channel, DecidedBy, Decision, HitlError, MessageRef, RecordedDecision, TaskToken,
};

pub(super) const NOW: i64 = 1_800_000_000;
pub(super) const EXPIRES: i64 = NOW + 100;

pub(super) fn decision(who: &str, d: Decision) -> RecordedDecision {
    RecordedDecision {
        decision: d,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: NOW,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    }
}

pub(super) async fn new_request(
    store: &dyn ChatApprovals,
    id: &str,
    token: Option<&str>,
) -> ApprovalRecord {
    new_request_from(store, id, token, Channel::Email).await
}

pub(super) async fn new_request_from(
    store: &dyn ChatApprovals,
    id: &str,
    token: Option<&str>,
    origin: Channel,
) -> ApprovalRecord {
    let mut record = ApprovalRecord::new(id, "t".into(), origin, NOW, EXPIRES, 1);
    record.task_token = token.map(TaskToken::from);
    store.create(&record).await.expect("create");
    store
        .get(&id.into())
        .await
        .unwrap()
        .expect("created record")
}

/// Leases the delivery of `id`'s decision to `token` at `NOW` and finishes it with `outcome`
/// at `at`.
pub(super) async fn deliver(
    s: &dyn ChatApprovals,
    id: &str,
    token: &str,
    outcome: FinalDelivery,
    at: i64,
) {
    let token = &TaskToken::from(token);
    let id = &ApprovalId::from(id);
    s.claim_delivery(id, token, NOW, NOW + LEASE_SECONDS)
        .await
        .unwrap()
        .expect("claim");
    s.finish_delivery(id, token, outcome, at).await.unwrap();
}

pub(super) async fn get(store: &dyn ChatApprovals, id: &str) -> ApprovalRecord {
    store.get(&id.into()).await.unwrap().expect("record")
}

/// Runs every check; ids start with `prefix` so runs do not collide.
pub async fn check_store_contract(store: &dyn ChatApprovals, prefix: &str) {
    create_is_once_and_a_waiting_request_is_due_at_expiry(store, prefix).await;
    first_decision_wins_and_late_ones_are_kept_apart(store, prefix).await;
    super::store_contract_leases::deliveries_are_leases_tied_to_their_token(store, prefix).await;
    super::store_contract_leases::a_delivery_refused_for_good_is_given_up(store, prefix).await;
    a_late_mark_belongs_to_its_token(store, prefix).await;
    a_late_mark_belongs_to_its_lease(store, prefix).await;
    expiry_is_claimed_once_and_only_when_due(store, prefix).await;
    settling_waits_for_every_piece_of_work(store, prefix).await;
    plain_messages_are_never_open(store, prefix).await;
    super::store_contract_follow_up::questions_and_answers_are_kept(store, prefix).await;
    super::store_contract_protocol::check_protocol_rules(store, prefix).await;
    super::store_contract_teams::teams_bot_cards_are_kept(store, prefix).await;
    super::store_contract_progress::bot_cards_show_progress(store, prefix).await;
}

async fn create_is_once_and_a_waiting_request_is_due_at_expiry(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-create"));
    let record = new_request(s, &id, Some("tok")).await;
    assert_eq!(
        record.delivery.relay_at,
        Some(EXPIRES),
        "waiting: due at expiry"
    );
    let mut same = ApprovalRecord::new(id.clone(), "t".into(), Channel::Email, NOW, EXPIRES, 1);
    same.task_token = Some("tok".into());
    assert_eq!(
        s.create(&same).await,
        Ok(()),
        "the same put again (a retry whose first answer was lost) is the same request"
    );
    let again = ApprovalRecord::new(id.clone(), "other".into(), Channel::Email, NOW, EXPIRES, 1);
    assert_eq!(
        s.create(&again).await,
        Err(HitlError::AlreadyExists(id.to_string()))
    );
    assert_eq!(get(s, &id).await.title, "t", "the first request is kept");
    let due = s.due_for_relay(EXPIRES - 1, 100).await.unwrap();
    assert!(!due.contains(&id), "not due before its expiry");
    assert!(s.due_for_relay(EXPIRES, 100).await.unwrap().contains(&id));
    let plain = new_request(s, &format!("{p}-plain"), None).await;
    assert_eq!(
        plain.delivery.relay_at, None,
        "nobody waits: not in the index"
    );
}

async fn first_decision_wins_and_late_ones_are_kept_apart(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-decide"));
    new_request(s, &id, None).await;
    let first = s
        .record_decision(&id, &decision("a", Decision::Approve), NOW + 1)
        .await;
    let Ok(DecisionWrite::Recorded(record)) = first else {
        panic!("first decision not recorded: {first:?}");
    };
    assert_eq!(record.delivery.relay_at, Some(NOW + 1 + LEASE_SECONDS));
    let second = s
        .record_decision(&id, &decision("b", Decision::Reject), NOW + 2)
        .await;
    let Ok(DecisionWrite::AlreadyDecided(record)) = second else {
        panic!("second decision not refused: {second:?}");
    };
    assert_eq!(record.decision.unwrap().decided_by.id, "a");

    let late_id = ApprovalId::from(format!("{p}-late-click"));
    new_request(s, &late_id, Some("tok")).await;
    let late = s
        .record_decision(&late_id, &decision("c", Decision::Approve), EXPIRES)
        .await;
    let Ok(DecisionWrite::TooLate(record)) = late else {
        panic!("a decision at expiry is not late: {late:?}");
    };
    assert!(
        record.decision.is_none(),
        "a late decision is never effective"
    );
    assert_eq!(record.late_decisions.len(), 1, "kept in the audit");
    assert_eq!(record.late_decisions[0].decided_by.id, "c");
    let missing = s
        .record_decision(
            &format!("{p}-none").into(),
            &decision("x", Decision::Approve),
            NOW,
        )
        .await;
    assert_eq!(missing, Ok(DecisionWrite::NotFound));
}

/// A deliverer slow past its lease, whose "no longer waiting" came from the deliverer that took
/// over (and resumed the Task): its late mark is refused, and the taker's delivery stands.
async fn a_late_mark_belongs_to_its_lease(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-late-lease"));
    let token = TaskToken::from("tok-1");
    new_request(s, &id, Some("tok-1")).await;
    s.record_decision(&id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    let slow_until = NOW + LEASE_SECONDS;
    s.claim_delivery(&id, &token, NOW, slow_until)
        .await
        .unwrap()
        .expect("claim");
    let taker = s.claim_delivery(&id, &token, slow_until, slow_until + LEASE_SECONDS);
    assert!(taker.await.unwrap().expect("a takeover").takeover);
    let late = FinalDelivery::Late {
        lease_until: slow_until,
    };
    s.finish_delivery(&id, &token, late, slow_until + 1)
        .await
        .unwrap();
    assert_eq!(
        get(s, &id).await.delivery.late_at,
        None,
        "not the slow one's lease"
    );
    s.finish_delivery(&id, &token, FinalDelivery::Delivered, slow_until + 2)
        .await
        .unwrap();
    let delivery = get(s, &id).await.delivery;
    assert_eq!(
        (delivery.delivered_at, delivery.late_at),
        (Some(slow_until + 2), None)
    );
}

async fn a_late_mark_belongs_to_its_token(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-late"));
    new_request(s, &id, Some("tok-1")).await;
    s.record_decision(&id, &decision("a", Decision::Reject), NOW)
        .await
        .unwrap();
    let late = FinalDelivery::Late {
        lease_until: NOW + LEASE_SECONDS,
    };
    deliver(s, &id, "tok-1", late, NOW + 1).await;
    assert_eq!(get(s, &id).await.delivery.late_at, Some(NOW + 1));
    assert_eq!(
        s.claim_delivery(&id, &TaskToken::from("tok-1"), NOW + 99, NOW + 120)
            .await
            .unwrap(),
        None
    );
    let record = s
        .attach_task_token(&id, &"tok-2".into(), NOW + 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.delivery.late_at, None,
        "a new waiting Task can still get it"
    );
    assert_eq!(
        record.delivery.relay_at,
        Some(NOW + 2 + LEASE_SECONDS),
        "decided: due soon"
    );
    assert!(s
        .claim_delivery(&id, &TaskToken::from("tok-2"), NOW + 2, NOW + 20)
        .await
        .unwrap()
        .is_some());
}

async fn expiry_is_claimed_once_and_only_when_due(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-expiry"));
    new_request(s, &id, Some("tok")).await;
    assert!(
        !s.claim_expiry(&id, &TaskToken::from("tok"), EXPIRES - 1, EXPIRES + 10)
            .await
            .unwrap(),
        "not expired yet"
    );
    assert!(
        !s.claim_expiry(&id, &TaskToken::from("other"), EXPIRES, EXPIRES + 10)
            .await
            .unwrap(),
        "not its token"
    );
    assert!(s
        .claim_expiry(&id, &TaskToken::from("tok"), EXPIRES, EXPIRES + 10)
        .await
        .unwrap());
    assert!(
        !s.claim_expiry(&id, &TaskToken::from("tok"), EXPIRES + 1, EXPIRES + 11)
            .await
            .unwrap(),
        "leased"
    );
    s.finish_expiry(&id, &TaskToken::from("tok"), EXPIRES + 2)
        .await
        .unwrap();
    assert!(
        !s.claim_expiry(&id, &TaskToken::from("tok"), EXPIRES + 99, EXPIRES + 120)
            .await
            .unwrap(),
        "told once"
    );
    assert!(s.settle(&id).await.unwrap());
    let decided = ApprovalId::from(format!("{p}-expiry-decided"));
    new_request(s, &decided, Some("tok")).await;
    s.record_decision(&decided, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    assert!(
        !s.claim_expiry(&decided, &TaskToken::from("tok"), EXPIRES, EXPIRES + 10)
            .await
            .unwrap(),
        "decided in time"
    );
}

async fn settling_waits_for_every_piece_of_work(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-settle"));
    new_request_from(s, &id, Some("tok"), Channel::Slack).await;
    assert!(!s.settle(&id).await.unwrap(), "a Task is waiting");
    let message = MessageRef {
        channel: "C1".into(),
        ts: "1.2".into(),
    };
    s.attach_message(&id, &message, Some(r#"[{"type": "actions"}]"#))
        .await
        .unwrap();
    s.record_decision(&id, &decision("a", Decision::Approve), NOW)
        .await
        .unwrap();
    assert!(!s.settle(&id).await.unwrap(), "not delivered yet");
    deliver(s, &id, "tok", FinalDelivery::Delivered, NOW).await;
    assert!(
        !s.settle(&id).await.unwrap(),
        "the message still shows buttons"
    );
    s.reschedule(&id, NOW + 50).await.unwrap();
    assert_eq!(get(s, &id).await.delivery.relay_at, Some(NOW + 50));
    s.message_updated(&id, NOW + 1).await.unwrap();
    assert!(s.settle(&id).await.unwrap());
    let record = get(s, &id).await;
    assert_eq!(record.delivery.relay_at, None);
    assert!(!s
        .due_for_relay(NOW + 10_000, 1000)
        .await
        .unwrap()
        .contains(&id));
    s.reschedule(&id, NOW + 60).await.unwrap();
    assert_eq!(
        get(s, &id).await.delivery.relay_at,
        None,
        "settled records stay out"
    );
}

async fn plain_messages_are_never_open(s: &dyn ChatApprovals, p: &str) {
    let plain = ApprovalId::from(format!("{p}-plain-message"));
    new_request(s, &plain, None).await;
    let message = MessageRef {
        channel: "C1".into(),
        ts: "1.3".into(),
    };
    s.attach_message(&plain, &message, None).await.unwrap();
    let buttons = ApprovalId::from(format!("{p}-buttons"));
    new_request(s, &buttons, None).await;
    s.attach_message(&buttons, &message, Some(r#"[{"type": "actions"}]"#))
        .await
        .unwrap();
    let open = s.expired_open_messages(EXPIRES, 1000).await.unwrap();
    assert!(
        open.contains(&buttons),
        "a message with buttons is open until decided"
    );
    assert!(
        !open.contains(&plain),
        "a message with nothing shown has nothing to close"
    );
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_in_memory_store_keeps_the_contract() {
        let store = crate::testing::FakeStore::default();
        super::check_store_contract(&store, "mem").await;
    }

    #[tokio::test]
    async fn the_in_memory_store_keeps_the_team_decision_contract() {
        let store = crate::testing::FakeStore::default();
        crate::testing::store_contract_votes::check_team_contract(&store, "mem").await;
    }
}
