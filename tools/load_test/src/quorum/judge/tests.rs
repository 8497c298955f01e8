use serde_json::json;

use super::*;
use crate::quorum::PLANS;

const A: &str = "a@example.com";
const B: &str = "b@example.com";
const C: &str = "c@example.com";

fn vote(slot: &str, decision: &str, w: &str) -> RecordVote {
    RecordVote {
        slot: slot.into(),
        decision: decision.into(),
        by: slot.into(),
        write: Some(w.into()),
    }
}

fn person(who: &'static str, told: Told) -> Person {
    Person {
        who,
        approve: true,
        told,
        posts: Vec::new(),
        opens: 1,
    }
}

/// 2 of 3, all approve: a counted, b settled it, c came after the settlement.
fn settled() -> (Plan, Vec<Person>, Seen) {
    let votes = vec![vote(A, "approve", "w1"), vote(B, "approve", "w2")];
    let output = json!({"outcome": "approved", "decision": {
        "votes": [
            {"approver": A, "decision": "approve", "decidedBy": {"id": A}},
            {"approver": B, "decision": "approve", "decidedBy": {"id": B}}],
        "tally": {"approvals": 2, "rejections": 0}}});
    let seen = Seen {
        status: "SUCCEEDED".into(),
        output,
        resumed: 1,
        record: Some(RecordSeen {
            votes,
            vote_count: Some(2),
            decision: Some("approve".into()),
            decided_by: Some(B.into()),
            decision_write: Some("w2".into()),
            delivery_failed: false,
        }),
        audit: Some((2, 1)),
    };
    let people = vec![
        person(A, Told::Counted),
        person(B, Told::Recorded { delivered: true }),
        person(C, Told::AlreadyDecided),
    ];
    (PLANS[0], people, seen)
}

fn kinds(problems: &[(Kind, String)]) -> Vec<Kind> {
    problems.iter().map(|(k, _)| *k).collect()
}

fn record(seen: &mut Seen) -> &mut RecordSeen {
    seen.record.as_mut().unwrap()
}

#[test]
fn a_request_settled_by_its_quorum_passes() {
    let (plan, people, seen) = settled();
    assert_eq!(judge(&plan, &people, &seen), []);
}

#[test]
fn a_slot_counted_twice_is_a_double_count() {
    let (plan, people, mut seen) = settled();
    let r = record(&mut seen);
    r.votes.insert(1, vote(A, "approve", "w3"));
    r.vote_count = Some(3);
    assert!(kinds(&judge(&plan, &people, &seen)).contains(&Kind::Double));
}

#[test]
fn a_vote_after_the_settlement_is_a_double_count() {
    let (plan, mut people, mut seen) = settled();
    let r = record(&mut seen);
    r.votes.push(vote(C, "approve", "w3"));
    r.vote_count = Some(3);
    people[2].told = Told::Counted;
    assert!(kinds(&judge(&plan, &people, &seen)).contains(&Kind::Double));
}

#[test]
fn a_vote_told_counted_that_the_record_lacks_is_lost() {
    let (plan, mut people, seen) = settled();
    people[2].told = Told::Counted;
    let problems = judge(&plan, &people, &seen);
    assert_eq!(kinds(&problems), [Kind::Lost], "{problems:?}");
}

#[test]
fn a_decision_not_written_by_the_settling_vote_is_a_double_decision() {
    let (plan, people, mut seen) = settled();
    record(&mut seen).decision_write = Some("w1".into());
    assert_eq!(kinds(&judge(&plan, &people, &seen)), [Kind::Double]);
}

#[test]
fn a_second_resume_and_a_second_decided_event_are_reported() {
    let (plan, people, mut seen) = settled();
    seen.resumed = 2;
    seen.audit = Some((2, 2));
    assert_eq!(
        kinds(&judge(&plan, &people, &seen)),
        [Kind::DoubleResume, Kind::Double]
    );
}

#[test]
fn output_votes_or_tally_unlike_the_record_are_wrong() {
    let (plan, people, mut seen) = settled();
    seen.output["decision"]["votes"][1]["decision"] = json!("reject");
    seen.output["decision"]["tally"]["approvals"] = json!(3);
    assert_eq!(
        kinds(&judge(&plan, &people, &seen)),
        [Kind::Wrong, Kind::Wrong]
    );
}

#[test]
fn an_unsettled_request_and_an_execution_not_ended_are_lost() {
    let (plan, people, mut seen) = settled();
    let r = record(&mut seen);
    r.votes.pop();
    r.vote_count = Some(1);
    r.decision = None;
    seen.status = "RUNNING".into();
    seen.resumed = 0;
    let problems = judge(&plan, &people, &seen);
    assert!(kinds(&problems)
        .iter()
        .all(|k| matches!(k, Kind::Lost | Kind::Double | Kind::Wrong)));
    assert!(
        problems.iter().any(|(_, m)| m == "never settled"),
        "{problems:?}"
    );
}

#[test]
fn the_quorums_arithmetic_settles_when_the_outcome_is_certain() {
    let [two, all, two_b, all_c, two_of_rejects, asked] = PLANS;
    assert_eq!(settles_at(&two, &[true, true]), Some((1, "approve")));
    assert_eq!(settles_at(&two, &[true]), None);
    assert_eq!(settles_at(&all, &[true, true]), None);
    assert_eq!(settles_at(&all, &[true, true, true]), Some((2, "approve")));
    assert_eq!(settles_at(&two_b, &[false]), Some((0, "reject")));
    assert_eq!(settles_at(&all_c, &[true, false]), Some((1, "reject")));
    // Two rejects reject: one reject leaves 2 approvals reachable.
    assert_eq!(settles_at(&two_of_rejects, &[false]), None);
    assert_eq!(
        settles_at(&two_of_rejects, &[false, true, true]),
        Some((2, "approve"))
    );
    assert_eq!(settles_at(&two_of_rejects, &[true, false]), None);
    // The requester has no slot: "all" is both others.
    assert_eq!(settles_at(&asked, &[true, true]), Some((1, "approve")));
}

#[test]
fn the_requester_told_no_slot_passes_and_anyone_else_is_wrong() {
    let (_, mut people, seen) = settled();
    people[2].told = Told::NoSlot;
    assert_eq!(kinds(&judge(&PLANS[5], &people, &seen)), []);
    assert_eq!(kinds(&judge(&PLANS[0], &people, &seen)), [Kind::Wrong]);
}
