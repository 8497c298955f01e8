use proptest::prelude::*;

use super::*;
use crate::quorum::{Reminders, Vote};
use crate::{Decision, DeliveryFailure};

fn record() -> ApprovalRecord {
    let mut r = ApprovalRecord::new("a-1", "Scale down db-7".into(), Channel::Email, 10, 1000, 1);
    r.approvers = vec!["ann@x.io".into(), "bob@x.io".into(), "cat@x.io".into()];
    r.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    r.execution_arn = Some("arn:aws:states:eu-west-1:1:execution:sm:run-1".into());
    r.task_token = Some("AQCEAAAA-secret-task-token".into());
    r
}

fn decided(who: &str, decision: Decision, at: i64) -> RecordedDecision {
    RecordedDecision {
        decision,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Slack,
        },
        decided_at: at,
        comment: Some("fine".into()),
        source_ip: Some("203.0.113.9".into()),
        user_agent: Some("secret-agent/1".into()),
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    }
}

fn vote(r: &mut ApprovalRecord, who: &str, at: i64) {
    r.votes.push(Vote {
        slot: who.into(),
        decision: decided(who, Decision::Approve, at),
    });
}

fn kinds(events: &[AuditEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.detail_type()).collect()
}

#[test]
fn a_new_record_is_requested_and_its_event_never_carries_the_token_or_where_a_click_came_from() {
    let mut r = record();
    r.votes.clear();
    let events = events_between(None, Some(&r), false);
    assert_eq!(kinds(&events), ["Approval Requested"]);
    let json = events[0].detail_json("stream-1#0");
    let detail: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(detail["eventId"], "stream-1#0");
    assert_eq!(detail["request"]["title"], "Scale down db-7");
    assert_eq!(detail["request"]["quorum"]["approvals"], 2);
    assert_eq!(detail["tally"]["waitingFor"].as_array().unwrap().len(), 3);
    assert_eq!(detail["at"], 10);
    assert!(!json.contains("secret"), "{json}");
}

#[test]
fn votes_then_the_settling_vote_publish_vote_counted_then_approval_decided() {
    let before = record();
    let mut first = before.clone();
    vote(&mut first, "ann@x.io", 20);
    let events = events_between(Some(&before), Some(&first), false);
    assert_eq!(kinds(&events), ["Vote Counted"]);
    assert_eq!(events[0].detail.tally.as_ref().unwrap().approvals, 1);

    let mut settled = first.clone();
    vote(&mut settled, "bob@x.io", 30);
    settled.decision = Some(settled.votes[1].decision.clone());
    let events = events_between(Some(&first), Some(&settled), false);
    assert_eq!(kinds(&events), ["Vote Counted", "Approval Decided"]);
    let decision = events[1].detail.decision.as_ref().unwrap();
    assert_eq!(
        (decision.decided_by.id.as_str(), decision.slot.as_deref()),
        ("bob@x.io", Some("bob@x.io"))
    );
    let json = events[1].detail_json("e#1");
    assert!(json.contains(r#""verified":true"#), "{json}");
    assert!(
        !json.contains("203.0.113.9") && !json.contains("secret"),
        "{json}"
    );
}

#[test]
fn delivery_late_clicks_reminders_escalation_and_expiry_each_publish_their_own_kind() {
    let mut r = record();
    r.reminders = Some(Reminders {
        every_seconds: 60,
        escalate_after: Some(1),
        escalate_to: vec!["lead@x.io".into()],
    });
    let mut next = r.clone();
    next.reminder_state.sent = 1;
    next.reminder_state.next_at = Some(130);
    next.reminder_state.escalated_at = Some(70);
    let events = events_between(Some(&r), Some(&next), false);
    assert_eq!(kinds(&events), ["Reminder Sent", "Approval Escalated"]);
    assert_eq!(events[0].detail.at, 70);
    assert_eq!(
        events[1].detail.escalate_to.as_deref(),
        Some(&["lead@x.io".to_string()][..])
    );

    let mut expired = next.clone();
    expired.delivery.expiry_claimed_at = Some(1000);
    expired.delivery.expiry_sent_at = Some(1001);
    expired
        .late_decisions
        .push(decided("cat@x.io", Decision::Reject, 1002).late_audit());
    let events = events_between(Some(&next), Some(&expired), false);
    assert_eq!(
        kinds(&events),
        ["Late Decision Kept", "Approval Expired", "Expiry Delivered"]
    );
}

#[test]
fn a_decision_delivered_or_given_up_is_published_once() {
    let mut r = record();
    r.quorum = None;
    r.decision = Some(decided("ann@x.io", Decision::Reject, 20));
    let mut delivered = r.clone();
    delivered.delivery.delivered_at = Some(21);
    assert_eq!(
        kinds(&events_between(Some(&r), Some(&delivered), false)),
        ["Decision Delivered"]
    );
    let mut failed = r.clone();
    failed.delivery.failed = Some(DeliveryFailure {
        reason: "Hitl.DependencyFailed: access denied".into(),
        at: 22,
    });
    let events = events_between(Some(&r), Some(&failed), false);
    assert_eq!(kinds(&events), ["Delivery Given Up"]);
    assert!(events[0]
        .detail
        .reason
        .as_ref()
        .unwrap()
        .contains("access denied"));
    // The next write (the relay clearing its schedule) changes nothing the audit tells.
    let mut after = failed.clone();
    after.delivery.relay_at = None;
    after.delivery.lease = None;
    assert!(events_between(Some(&failed), Some(&after), false).is_empty());
}

#[test]
fn a_removal_says_whether_the_ttl_removed_the_record() {
    let r = record();
    let ttl = events_between(Some(&r), None, true);
    assert_eq!(kinds(&ttl), ["Record Removed"]);
    assert_eq!(ttl[0].detail.removed_by_ttl, Some(true));
    assert_eq!(ttl[0].detail.at, r.delete_after);
    let by_hand = events_between(Some(&r), None, false);
    assert_eq!(by_hand[0].detail.removed_by_ttl, Some(false));
    assert!(events_between(None, None, true).is_empty());
}

#[test]
fn every_kind_has_its_own_detail_type() {
    let mut names: Vec<_> = AuditKind::ALL.iter().map(|k| k.detail_type()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), AuditKind::ALL.len());
}

/// One change a write can make, and the kind it must publish (`None`: no event).
#[derive(Debug, Clone, Copy)]
enum Change {
    Vote,
    Decide,
    Remind,
    Escalate,
    Late,
    Deliver,
    GiveUp,
    ClaimExpiry,
    SendExpiry,
    /// Bookkeeping the audit does not tell: a lease, a relay time, a message update.
    Bookkeeping,
}

fn apply(r: &mut ApprovalRecord, change: Change, at: i64) -> Option<AuditKind> {
    let d = &mut r.delivery;
    let kind = match change {
        Change::Vote => {
            vote(r, &format!("v{at}@x.io"), at);
            AuditKind::VoteCounted
        }
        Change::Decide if r.decision.is_none() => {
            r.decision = Some(decided("ann@x.io", Decision::Approve, at));
            AuditKind::ApprovalDecided
        }
        Change::Remind => {
            r.reminder_state.sent += 1;
            AuditKind::ReminderSent
        }
        Change::Escalate if r.reminder_state.escalated_at.is_none() => {
            r.reminder_state.escalated_at = Some(at);
            AuditKind::ApprovalEscalated
        }
        Change::Late => {
            r.late_decisions
                .push(decided("cat@x.io", Decision::Reject, at).late_audit());
            AuditKind::LateDecisionKept
        }
        Change::Deliver if d.delivered_at.is_none() => {
            d.delivered_at = Some(at);
            AuditKind::DecisionDelivered
        }
        Change::GiveUp if d.failed.is_none() => {
            d.failed = Some(DeliveryFailure {
                reason: "refused".into(),
                at,
            });
            AuditKind::DeliveryGivenUp
        }
        Change::ClaimExpiry if d.expiry_claimed_at.is_none() => {
            d.expiry_claimed_at = Some(at);
            AuditKind::ApprovalExpired
        }
        Change::SendExpiry if d.expiry_sent_at.is_none() => {
            d.expiry_sent_at = Some(at);
            AuditKind::ExpiryDelivered
        }
        _ => {
            // Rewriting what is already there, or bookkeeping: nothing the audit tells.
            d.relay_at = Some(at);
            d.attempts += 1;
            r.message_updated_at = Some(at);
            return None;
        }
    };
    Some(kind)
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Vote),
        Just(Change::Decide),
        Just(Change::Remind),
        Just(Change::Escalate),
        Just(Change::Late),
        Just(Change::Deliver),
        Just(Change::GiveUp),
        Just(Change::ClaimExpiry),
        Just(Change::SendExpiry),
        Just(Change::Bookkeeping),
    ]
}

proptest! {
    /// Over any history of writes, each write publishes exactly the kinds of what it changed,
    /// and a write that changed nothing publishes nothing.
    #[test]
    fn events_are_published_only_for_what_a_write_changed(
        writes in prop::collection::vec(prop::collection::vec(change(), 0..4), 1..8)
    ) {
        let mut current = record();
        for (i, changes) in writes.into_iter().enumerate() {
            let before = current.clone();
            prop_assert!(events_between(Some(&before), Some(&before), false).is_empty());
            let mut expected: Vec<AuditKind> = changes
                .iter()
                .enumerate()
                .filter_map(|(j, c)| apply(&mut current, *c, 100 + (i * 10 + j) as i64))
                .collect();
            let mut published: Vec<AuditKind> = events_between(Some(&before), Some(&current), false)
                .into_iter()
                .map(|e| e.kind)
                .collect();
            let order = |k: &AuditKind| AuditKind::ALL.iter().position(|x| x == k);
            expected.sort_by_key(order);
            published.sort_by_key(order);
            prop_assert_eq!(published, expected);
        }
    }
}
