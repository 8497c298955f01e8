//! The store contract's part on reminders: a request with reminders is in the reminder index
//! from its creation, one claimer at a time gets a reminder, and none is claimed once the
//! request settled, expired, or changed since it was read.

use futures_util::future::join_all;

use super::store_contract::{get, new_request, EXPIRES, NOW};
use super::store_contract_votes::{kind, team_request, voter, TeamStore};
use crate::ports::DecisionWrite;
use crate::{ApprovalId, Decision, TaskToken};

pub(super) async fn check_reminders(s: &dyn TeamStore, p: &str) {
    a_request_with_reminders_is_due_one_interval_after_it_was_made(s, p).await;
    one_of_two_racing_claimers_gets_the_reminder(s, p).await;
    no_reminder_once_settled_expired_or_changed(s, p).await;
}

async fn a_request_with_reminders_is_due_one_interval_after_it_was_made(
    s: &dyn TeamStore,
    p: &str,
) {
    let id = ApprovalId::from(format!("{p}-remind"));
    let record = team_request(s, &id, 2, 2).await;
    assert_eq!(record.reminder_state.next_at, Some(NOW + 60));
    assert!(!s
        .due_for_reminder(NOW + 59, 1000)
        .await
        .unwrap()
        .contains(&id));
    assert!(s
        .due_for_reminder(NOW + 60, 1000)
        .await
        .unwrap()
        .contains(&id));
    let plain = ApprovalId::from(format!("{p}-remind-none"));
    new_request(s, &plain, Some("tok")).await;
    assert!(
        !s.due_for_reminder(NOW + 10_000, 1000)
            .await
            .unwrap()
            .contains(&plain),
        "no reminders asked: not in the index"
    );
    s.stop_reminders(&id).await.unwrap();
    assert!(!s
        .due_for_reminder(NOW + 60, 1000)
        .await
        .unwrap()
        .contains(&id));
    assert_eq!(
        s.claim_reminder(&id, 0, 0, false, Some(NOW + 120), NOW + 60)
            .await
            .unwrap(),
        None,
        "stopped: nothing to claim"
    );
}

async fn one_of_two_racing_claimers_gets_the_reminder(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-remind-race"));
    team_request(s, &id, 2, 2).await;
    let claims =
        join_all((0..2).map(|_| s.claim_reminder(&id, 0, 0, false, Some(NOW + 90), NOW + 60)))
            .await;
    let won: Vec<_> = claims.into_iter().filter_map(|c| c.unwrap()).collect();
    assert_eq!(won.len(), 1, "one reminder goes out");
    assert_eq!(won[0].reminder_state.sent, 1);
    assert_eq!(won[0].reminder_state.next_at, Some(NOW + 90));
    assert_eq!(won[0].reminder_state.escalated_at, None);
    assert!(!s
        .due_for_reminder(NOW + 89, 1000)
        .await
        .unwrap()
        .contains(&id));
    assert!(s
        .due_for_reminder(NOW + 90, 1000)
        .await
        .unwrap()
        .contains(&id));
    // The last reminder: the request leaves the index.
    let last = s
        .claim_reminder(&id, 1, 0, false, None, NOW + 90)
        .await
        .unwrap()
        .expect("the second reminder");
    assert_eq!(
        (last.reminder_state.sent, last.reminder_state.next_at),
        (2, None)
    );
    assert!(!s
        .due_for_reminder(NOW + 10_000, 1000)
        .await
        .unwrap()
        .contains(&id));
}

async fn no_reminder_once_settled_expired_or_changed(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-remind-voted"));
    team_request(s, &id, 2, 2).await;
    let counted = s
        .record_decision(
            &id,
            &super::store_contract::decision(&voter(0), Decision::Approve),
            NOW + 1,
        )
        .await
        .unwrap();
    assert_eq!(kind(&counted), "counted");
    assert_eq!(
        s.claim_reminder(&id, 0, 0, false, Some(NOW + 120), NOW + 60)
            .await
            .unwrap(),
        None,
        "a vote landed since the record was read: the reminder would name who voted"
    );
    assert!(s
        .claim_reminder(&id, 0, 1, false, Some(NOW + 120), NOW + 60)
        .await
        .unwrap()
        .is_some());
    let settled = s
        .record_decision(
            &id,
            &super::store_contract::decision(&voter(1), Decision::Approve),
            NOW + 61,
        )
        .await
        .unwrap();
    let DecisionWrite::Recorded(record) = settled else {
        panic!("the second approval settles: {settled:?}");
    };
    assert_eq!(
        record.reminder_state.next_at, None,
        "the settling vote left the index"
    );
    assert!(!s
        .due_for_reminder(NOW + 10_000, 1000)
        .await
        .unwrap()
        .contains(&id));
    assert_eq!(
        s.claim_reminder(&id, 1, 2, false, Some(NOW + 180), NOW + 62)
            .await
            .unwrap(),
        None,
        "never after the settlement"
    );

    let expired = ApprovalId::from(format!("{p}-remind-expired"));
    team_request(s, &expired, 2, 2).await;
    assert_eq!(
        s.claim_reminder(&expired, 0, 0, false, Some(EXPIRES + 60), EXPIRES)
            .await
            .unwrap(),
        None,
        "never after the expiry"
    );
    assert!(s
        .claim_expiry(&expired, &TaskToken::from("tok"), EXPIRES, EXPIRES + 10)
        .await
        .unwrap());
    assert_eq!(
        s.claim_reminder(&expired, 0, 0, false, Some(NOW + 120), EXPIRES - 1)
            .await
            .unwrap(),
        None,
        "never once the expiry is claimed"
    );
    assert_eq!(get(s, &expired).await.reminder_state.sent, 0);
}
