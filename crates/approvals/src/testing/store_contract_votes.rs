//! The store contract's part on team decisions: a request with a quorum counts one vote per
//! slot, in one conditional write per vote, and the vote that settles it records the decision,
//! queues its delivery and takes it out of the open-message and reminder indexes in the same
//! write. Racing votes are neither lost nor counted twice, and the request is decided once.
//! The in-memory store (unit tests) and the DynamoDB store (on moto) run it alike.

use futures_util::future::join_all;

use super::store_contract::{decision, get, EXPIRES, NOW};
use crate::approval::{ApprovalRecord, LEASE_SECONDS};
use crate::ports::{ChatApprovals, DecisionWrite, ReminderStore};
use crate::quorum::{Quorum, Reminders};
use crate::{ApprovalId, Channel, Decision, MessageRef, TaskToken, TeamsUser};

/// A store with every port the team decisions use.
pub trait TeamStore: ChatApprovals + ReminderStore {}
impl<T: ChatApprovals + ReminderStore + ?Sized> TeamStore for T {}

/// Runs every team-decision check; ids start with `prefix` so runs do not collide.
pub async fn check_team_contract(store: &dyn TeamStore, prefix: &str) {
    votes_are_counted_until_one_settles_the_request(store, prefix).await;
    a_voter_without_a_slot_changes_nothing(store, prefix).await;
    a_teams_user_votes_once_whatever_the_channel(store, prefix).await;
    an_escalation_target_fills_an_open_slot_once_escalated(store, prefix).await;
    a_vote_after_the_expiry_is_late(store, prefix).await;
    super::store_contract_reminders::check_reminders(store, prefix).await;
    for round in 0..3 {
        racing_votes_settle_once(store, &format!("{prefix}-race{round}-2of5"), 2, 5).await;
        racing_votes_settle_once(store, &format!("{prefix}-race{round}-3of3"), 3, 3).await;
    }
}

/// A request asking `approvers` (`v0@x.io`...) with a quorum, a waiting Task, and reminders
/// every 60 s; created and read back.
pub(super) async fn team_request(
    s: &dyn TeamStore,
    id: &ApprovalId,
    approvers: usize,
    approvals: u32,
) -> ApprovalRecord {
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Email, NOW, EXPIRES, 1);
    record.task_token = Some(TaskToken::from("tok"));
    record.approvers = (0..approvers).map(voter).collect();
    record.quorum = Some(Quorum {
        approvals,
        rejections: 1,
    });
    record.reminders = Some(Reminders {
        every_seconds: 60,
        escalate_after: None,
        escalate_to: Vec::new(),
    });
    s.create(&record).await.expect("create");
    get(s, id).await
}

pub(super) fn voter(i: usize) -> String {
    format!("v{i}@x.io")
}

/// What a write says, without the record.
pub(super) fn kind(write: &DecisionWrite) -> &'static str {
    match write {
        DecisionWrite::Recorded(_) => "recorded",
        DecisionWrite::Counted(_) => "counted",
        DecisionWrite::AlreadyDecided(_) => "already decided",
        DecisionWrite::AlreadyVoted(_) => "already voted",
        DecisionWrite::NoSlot(_) => "no slot",
        DecisionWrite::TooLate(_) => "too late",
        DecisionWrite::NotFound => "not found",
    }
}

async fn vote(
    s: &dyn TeamStore,
    id: &ApprovalId,
    who: &str,
    d: Decision,
    at: i64,
) -> DecisionWrite {
    s.record_decision(id, &decision(who, d), at)
        .await
        .expect("vote")
}

async fn votes_are_counted_until_one_settles_the_request(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-quorum"));
    team_request(s, &id, 3, 2).await;
    let message = MessageRef {
        channel: "C1".into(),
        ts: "1.9".into(),
    };
    s.attach_message(&id, &message, Some(r#"[{"type": "actions"}]"#))
        .await
        .unwrap();
    let DecisionWrite::Counted(record) = vote(s, &id, &voter(0), Decision::Approve, NOW + 1).await
    else {
        panic!("the first of two approvals is counted");
    };
    assert_eq!((record.votes.len(), record.decision.clone()), (1, None));
    assert_eq!(record.votes[0].slot, voter(0));
    assert_eq!(record.delivery.relay_at, Some(EXPIRES), "still waiting");
    assert!(s
        .due_for_reminder(NOW + 60, 100)
        .await
        .unwrap()
        .contains(&id));
    assert!(s
        .expired_open_messages(EXPIRES, 1000)
        .await
        .unwrap()
        .contains(&id));

    let again = vote(s, &id, &voter(0).to_uppercase(), Decision::Reject, NOW + 2).await;
    assert_eq!(kind(&again), "already voted", "one vote per approver");
    assert_eq!(
        get(s, &id).await.votes.len(),
        1,
        "the second changed nothing"
    );

    let DecisionWrite::Recorded(record) = vote(s, &id, &voter(2), Decision::Approve, NOW + 3).await
    else {
        panic!("the second approval settles the request");
    };
    let settling = record.decision.clone().expect("decided");
    assert_eq!(
        settling.decided_by.id,
        voter(2),
        "the settling vote is the decision"
    );
    assert_eq!(record.votes.len(), 2);
    assert_eq!(
        record.delivery.relay_at,
        Some(NOW + 3 + LEASE_SECONDS),
        "relay due"
    );
    assert_eq!(record.reminder_state.next_at, None);
    assert!(!s
        .due_for_reminder(NOW + 10_000, 1000)
        .await
        .unwrap()
        .contains(&id));
    assert!(
        !s.expired_open_messages(EXPIRES, 1000)
            .await
            .unwrap()
            .contains(&id),
        "the open message is closed by the settling vote"
    );
    assert_eq!(get(s, &id).await, record, "as stored");
    let after = vote(s, &id, &voter(1), Decision::Reject, NOW + 4).await;
    assert_eq!(kind(&after), "already decided");
}

async fn a_voter_without_a_slot_changes_nothing(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-no-slot"));
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Email, NOW, EXPIRES, 1);
    record.approvers = vec![voter(0), voter(1), "dave@x.io".into()];
    record.requested_by = Some("dave@x.io".into());
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    s.create(&record).await.unwrap();
    for who in ["dave@x.io", "stranger@x.io"] {
        let write = vote(s, &id, who, Decision::Approve, NOW).await;
        assert_eq!(kind(&write), "no slot", "{who}");
    }
    assert_eq!(get(s, &id).await, record, "nothing written");
}

fn teams_person(oid: &str, upn: &str) -> TeamsUser {
    TeamsUser {
        object_id: oid.into(),
        name: oid.into(),
        user_principal_name: Some(upn.into()),
        tenant_id: "tenant-1".into(),
    }
}

async fn a_teams_user_votes_once_whatever_the_channel(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-teams-vote"));
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Teams, NOW, EXPIRES, 1);
    record.teams_approvers = vec![
        teams_person("oid-1", "alice@corp.example"),
        teams_person("oid-2", "bob@corp.example"),
    ];
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    s.create(&record).await.unwrap();
    let mut clicked = decision("oid-1", Decision::Approve);
    clicked.decided_by.channel = Channel::Teams;
    clicked.teams_user = Some(teams_person("oid-1", "alice@corp.example"));
    let write = s.record_decision(&id, &clicked, NOW).await.unwrap();
    assert_eq!(kind(&write), "counted");
    // The same person through their email link: another id, the same slot.
    let write = vote(s, &id, "alice@corp.example", Decision::Reject, NOW + 1).await;
    assert_eq!(kind(&write), "already voted");
    let stored = get(s, &id).await;
    assert_eq!(stored.votes.len(), 1);
    assert_eq!(
        stored.votes[0].decision, clicked,
        "the Teams user is kept on the vote"
    );
}

async fn an_escalation_target_fills_an_open_slot_once_escalated(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-escalate"));
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Email, NOW, EXPIRES, 1);
    record.approvers = vec![voter(0), voter(1)];
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    record.reminders = Some(Reminders {
        every_seconds: 10,
        escalate_after: Some(1),
        escalate_to: vec!["lead@x.io".into()],
    });
    s.create(&record).await.unwrap();
    let early = vote(s, &id, "lead@x.io", Decision::Approve, NOW + 1).await;
    assert_eq!(kind(&early), "no slot", "not before the escalation");
    let claimed = s
        .claim_reminder(&id, 0, 0, true, Some(NOW + 20), NOW + 10)
        .await
        .unwrap()
        .expect("reminder claimed");
    assert_eq!(claimed.reminder_state.escalated_at, Some(NOW + 10));
    let DecisionWrite::Counted(record) =
        vote(s, &id, "lead@x.io", Decision::Approve, NOW + 11).await
    else {
        panic!("an escalation target fills an open slot");
    };
    assert_eq!(record.votes[0].slot, voter(0), "the first open slot");
    let replaced = vote(s, &id, &voter(0), Decision::Reject, NOW + 12).await;
    assert_eq!(kind(&replaced), "no slot", "their slot was filled for them");
    let settled = vote(s, &id, &voter(1), Decision::Approve, NOW + 13).await;
    assert_eq!(kind(&settled), "recorded");
}

async fn a_vote_after_the_expiry_is_late(s: &dyn TeamStore, p: &str) {
    let id = ApprovalId::from(format!("{p}-late-vote"));
    team_request(s, &id, 2, 2).await;
    let DecisionWrite::TooLate(record) = vote(s, &id, &voter(0), Decision::Approve, EXPIRES).await
    else {
        panic!("a vote at the expiry is late");
    };
    assert!(record.votes.is_empty() && record.decision.is_none());
    assert_eq!(record.late_decisions.len(), 1, "kept in the audit");

    let claimed = ApprovalId::from(format!("{p}-late-vote-claimed"));
    team_request(s, &claimed, 2, 1).await;
    let tok = TaskToken::from("tok");
    assert!(s
        .claim_expiry(&claimed, &tok, EXPIRES, EXPIRES + 10)
        .await
        .unwrap());
    let stale = vote(s, &claimed, &voter(0), Decision::Approve, EXPIRES - 1).await;
    assert_eq!(kind(&stale), "too late", "the expiry was claimed first");
    assert!(get(s, &claimed).await.votes.is_empty());
}

/// `voters` approvers approve a request needing `needed` of them, all at once: exactly
/// `needed` votes are counted, the last of them settles it, and it is decided once.
async fn racing_votes_settle_once(s: &dyn TeamStore, p: &str, needed: u32, voters: usize) {
    let id = ApprovalId::from(format!("{p}-racing"));
    team_request(s, &id, voters, needed).await;
    let writes = join_all((0..voters).map(|i| {
        let id = id.clone();
        async move {
            (
                voter(i),
                vote(s, &id, &voter(i), Decision::Approve, NOW).await,
            )
        }
    }))
    .await;
    let with = |k: &str| -> Vec<&String> {
        writes
            .iter()
            .filter(|(_, w)| kind(w) == k)
            .map(|(who, _)| who)
            .collect()
    };
    let summary: Vec<(&String, &str)> = writes.iter().map(|(who, w)| (who, kind(w))).collect();
    let (recorded, counted) = (with("recorded"), with("counted"));
    assert_eq!(recorded.len(), 1, "decided once: {summary:?}");
    assert_eq!(counted.len(), needed as usize - 1, "{summary:?}");
    assert_eq!(
        with("already decided").len(),
        voters - needed as usize,
        "{summary:?}"
    );
    let stored = get(s, &id).await;
    assert_eq!(
        stored.votes.len(),
        needed as usize,
        "no vote lost or counted twice"
    );
    let mut in_votes: Vec<&String> = stored
        .votes
        .iter()
        .map(|v| &v.decision.decided_by.id)
        .collect();
    let mut answered: Vec<&String> = counted.into_iter().chain(recorded.clone()).collect();
    in_votes.sort();
    answered.sort();
    assert_eq!(in_votes, answered, "each counted voter's vote, once");
    let slots: std::collections::BTreeSet<&String> = stored.votes.iter().map(|v| &v.slot).collect();
    assert_eq!(slots.len(), needed as usize, "one vote per slot");
    let decision = stored.decision.expect("decided");
    assert_eq!(
        &decision.decided_by.id, recorded[0],
        "the settling vote is the decision"
    );
    assert_eq!(
        stored.votes.last().unwrap().decision,
        decision,
        "and the last vote"
    );
}
