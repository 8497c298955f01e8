//! The store contract's part on the progress of a Teams bot card: a vote counted makes the
//! record due for the relay (which holds the bot's secret) only while the card shows fewer
//! votes than are counted; what the card shows only grows, is never written once the request
//! settled, expired or its outcome was shown, and brings the record back to its expiry in the
//! relay index unless a vote landed since. A settling vote's delivery is never put off by it.

use super::store_contract::{decision, get, EXPIRES, NOW};
use crate::approval::{ApprovalRecord, LEASE_SECONDS};
use crate::ports::{ChatApprovals, DecisionWrite};
use crate::quorum::Quorum;
use crate::{ApprovalId, Channel, Decision, MessageRef, TaskToken, TeamsUser};

fn person(n: usize) -> TeamsUser {
    TeamsUser {
        object_id: format!("oid-{n}"),
        name: format!("Person {n}"),
        user_principal_name: Some(format!("p{n}@corp.example")),
        tenant_id: "tenant-1".into(),
    }
}

/// A request with a quorum of all three, its card sent as `ts`, waiting on a Task when `token`.
async fn card_request(s: &dyn ChatApprovals, id: &ApprovalId, ts: &str, token: bool) {
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Teams, NOW, EXPIRES, 1);
    record.task_token = token.then(|| TaskToken::from("tok"));
    record.teams_approvers = (1..=3).map(person).collect();
    record.quorum = Some(Quorum {
        approvals: 3,
        rejections: 1,
    });
    s.create(&record).await.expect("create");
    let card = MessageRef {
        channel: "19:abc@thread.tacv2".into(),
        ts: ts.into(),
    };
    s.attach_message(id, &card, Some(r#"{"type":"AdaptiveCard"}"#))
        .await
        .unwrap();
}

async fn vote(s: &dyn ChatApprovals, id: &ApprovalId, n: usize, at: i64) -> DecisionWrite {
    let mut clicked = decision(&format!("oid-{n}"), Decision::Approve);
    clicked.decided_by.channel = Channel::Teams;
    clicked.decided_at = at;
    clicked.teams_user = Some(person(n));
    s.record_decision(id, &clicked, at).await.unwrap()
}

/// (votes the card shows, when the record is due for the relay)
async fn progress(s: &dyn ChatApprovals, id: &ApprovalId) -> (u32, Option<i64>) {
    let r = get(s, id).await;
    (r.message_progress_votes, r.delivery.relay_at)
}

pub(super) async fn bot_cards_show_progress(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-progress"));
    card_request(s, &id, "1700000000001", true).await;
    assert!(!s.progress_due(&id, NOW).await.unwrap(), "no vote yet");
    assert!(matches!(
        vote(s, &id, 1, NOW).await,
        DecisionWrite::Counted(_)
    ));
    assert!(s.progress_due(&id, NOW + 1).await.unwrap(), "a vote: due");
    assert_eq!(progress(s, &id).await, (0, Some(NOW + 1)));
    assert!(!s.progress_due(&id, NOW + 2).await.unwrap(), "due already");
    assert_eq!(progress(s, &id).await, (0, Some(NOW + 1)), "not put off");

    assert!(s.progress_shown(&id, 1, NOW + 2).await.unwrap());
    assert_eq!(
        progress(s, &id).await,
        (1, Some(EXPIRES)),
        "back at its expiry"
    );
    assert!(
        !s.settle(&id).await.unwrap(),
        "an open request stays in the index"
    );
    assert!(
        !s.progress_due(&id, NOW + 3).await.unwrap(),
        "the card shows it"
    );
    assert!(
        !s.progress_shown(&id, 0, NOW + 3).await.unwrap(),
        "older: refused"
    );
    assert!(
        s.progress_shown(&id, 1, NOW + 3).await.unwrap(),
        "the same again"
    );
    assert_eq!(progress(s, &id).await, (1, Some(EXPIRES)));

    // A relay that read one vote records it after a second vote landed: still due for it.
    assert!(matches!(
        vote(s, &id, 2, NOW + 4).await,
        DecisionWrite::Counted(_)
    ));
    assert!(s.progress_due(&id, NOW + 4).await.unwrap());
    assert!(s.progress_shown(&id, 1, NOW + 5).await.unwrap());
    assert_eq!(progress(s, &id).await, (1, Some(NOW + 4)), "still due");
    assert!(s.progress_shown(&id, 2, NOW + 6).await.unwrap());
    assert_eq!(progress(s, &id).await, (2, Some(EXPIRES)));

    // The settling vote: its delivery is due after one lease, and no progress touches it.
    assert!(matches!(
        vote(s, &id, 3, NOW + 7).await,
        DecisionWrite::Recorded(_)
    ));
    let queued = Some(NOW + 7 + LEASE_SECONDS);
    assert!(!s.progress_due(&id, NOW + 8).await.unwrap(), "settled");
    assert!(!s.progress_shown(&id, 3, NOW + 8).await.unwrap(), "settled");
    assert_eq!(progress(s, &id).await, (2, queued), "delivery not put off");

    no_progress_once_expired_or_shown(s, p).await;
    no_progress_for_cards_that_cannot_show_it(s, p).await;
}

async fn no_progress_once_expired_or_shown(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-progress-expired"));
    card_request(s, &id, "1700000000002", true).await;
    vote(s, &id, 1, NOW).await;
    assert!(!s.progress_due(&id, EXPIRES).await.unwrap(), "expired");
    assert!(!s.progress_shown(&id, 1, EXPIRES).await.unwrap(), "expired");
    // Its expiry claimed before the clock says so (the relay's clock ahead of ours).
    s.claim_expiry(&id, &"tok".into(), EXPIRES, EXPIRES + LEASE_SECONDS)
        .await
        .unwrap();
    assert!(
        !s.progress_shown(&id, 1, NOW + 1).await.unwrap(),
        "expiry claimed"
    );

    let id = ApprovalId::from(format!("{p}-progress-outcome"));
    card_request(s, &id, "1700000000003", true).await;
    vote(s, &id, 1, NOW).await;
    s.message_updated(&id, NOW + 1).await.unwrap();
    assert!(
        !s.progress_due(&id, NOW + 2).await.unwrap(),
        "outcome shown"
    );
    assert!(
        !s.progress_shown(&id, 1, NOW + 2).await.unwrap(),
        "outcome shown"
    );
    assert_eq!(progress(s, &id).await, (0, Some(EXPIRES)));
}

async fn no_progress_for_cards_that_cannot_show_it(s: &dyn ChatApprovals, p: &str) {
    // A webhook post cannot be updated: nothing due, nothing recorded.
    let id = ApprovalId::from(format!("{p}-progress-webhook"));
    card_request(s, &id, "webhook", true).await;
    vote(s, &id, 1, NOW).await;
    assert!(!s.progress_due(&id, NOW + 1).await.unwrap());
    assert!(!s.progress_shown(&id, 1, NOW + 1).await.unwrap());
    assert_eq!(progress(s, &id).await, (0, Some(EXPIRES)));

    // Nobody waits yet (not in the relay index): never made due, and the index is left alone.
    let id = ApprovalId::from(format!("{p}-progress-no-task"));
    card_request(s, &id, "1700000000004", false).await;
    vote(s, &id, 1, NOW).await;
    assert!(!s.progress_due(&id, NOW + 1).await.unwrap());
    assert!(s.progress_shown(&id, 1, NOW + 1).await.unwrap());
    assert_eq!(progress(s, &id).await, (1, None));
}
