//! The verdict on one request: what its people were told against what the stack holds. Pure,
//! so each rule can be shown to fail. The quorum's arithmetic is written again here, on
//! purpose, rather than borrowed from the product: the check replays the recorded votes in
//! order and asks when the outcome became certain (approvals reached; rejections reached;
//! approvals no longer reachable with the slots left).

use serde_json::Value;

use super::{Person, Plan, Told};

/// One vote as the record holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVote {
    pub slot: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub by: String,
    /// The id of the write that appended it.
    pub write: Option<String>,
}

/// The approval record after the drain.
#[derive(Debug, Clone, Default)]
pub struct RecordSeen {
    pub votes: Vec<RecordVote>,
    pub vote_count: Option<i64>,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    /// The id of the write that set the decision.
    pub decision_write: Option<String>,
    pub delivery_failed: bool,
}

/// What the stack holds about one request.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub status: String,
    pub output: Value,
    /// `TaskSucceeded` events while in `WaitForApproval`: the Task resumed this many times.
    pub resumed: usize,
    pub record: Option<RecordSeen>,
    /// Distinct (`eventId`) `Vote Counted` and `Approval Decided` events, when checked.
    pub audit: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A vote told "counted" that the record or the workflow lacks, or an unsettled request.
    Lost,
    /// A slot counted twice, or a vote counted after the settlement.
    Double,
    /// The waiting Task resumed more than once.
    DoubleResume,
    /// Anything else that differs (the output, the audit, who was told what).
    Wrong,
    /// A person got no answer that settled what became of their vote.
    Unanswered,
}

/// When the votes (approve: `true`), replayed in order, settle the request: the index of the
/// settling vote and the outcome (`approve`/`reject`).
pub fn settles_at(plan: &Plan, votes: &[bool]) -> Option<(usize, &'static str)> {
    let (mut yes, mut no) = (0, 0);
    for (i, approve) in votes.iter().enumerate() {
        if *approve {
            yes += 1;
        } else {
            no += 1;
        }
        let open = plan.slots() as u32 - (i as u32 + 1).min(plan.slots() as u32);
        if yes >= plan.approvals {
            return Some((i, "approve"));
        }
        if no >= plan.rejections || yes + open < plan.approvals {
            return Some((i, "reject"));
        }
    }
    None
}

/// Every problem of one request.
pub fn judge(plan: &Plan, people: &[Person], seen: &Seen) -> Vec<(Kind, String)> {
    let mut problems = Vec::new();
    let Some(record) = &seen.record else {
        return vec![(Kind::Lost, "no record".into())];
    };
    judge_votes(plan, record, &mut problems);
    judge_people(plan, people, record, &mut problems);
    judge_workflow(record, seen, &mut problems);
    problems
}

fn judge_votes(plan: &Plan, record: &RecordSeen, problems: &mut Vec<(Kind, String)>) {
    let votes = &record.votes;
    for (i, vote) in votes.iter().enumerate() {
        if votes[..i].iter().any(|v| v.slot == vote.slot) {
            problems.push((Kind::Double, format!("slot {} counted twice", vote.slot)));
        }
        let slot = crate::email::APPROVERS.iter().position(|a| *a == vote.slot);
        if slot.is_none() || slot == plan.requester {
            problems.push((
                Kind::Wrong,
                format!("{} has no slot, yet counted", vote.slot),
            ));
        }
    }
    if record.vote_count != Some(votes.len() as i64) {
        let count = record.vote_count;
        let msg = format!("voteCount {count:?} beside {} votes", votes.len());
        problems.push((Kind::Double, msg));
    }
    let approvals: Vec<bool> = votes.iter().map(|v| v.decision == "approve").collect();
    match (settles_at(plan, &approvals), &record.decision) {
        (None, None) => problems.push((Kind::Lost, "never settled".into())),
        (None, Some(d)) => problems.push((Kind::Wrong, format!("{d} before the quorum"))),
        (Some((i, _)), _) if i + 1 < votes.len() => {
            let after = votes.len() - i - 1;
            let msg = format!("{after} vote(s) counted after the settling one");
            problems.push((Kind::Double, msg));
        }
        (Some(_), None) => problems.push((Kind::Lost, "settled by the votes, not decided".into())),
        (Some((i, outcome)), Some(decision)) => {
            let settling = &votes[i];
            if decision != outcome || record.decided_by.as_deref() != Some(settling.by.as_str()) {
                let msg = format!(
                    "decision {decision} by {:?}; the votes settle it {outcome} by {}",
                    record.decided_by, settling.by
                );
                problems.push((Kind::Wrong, msg));
            }
            if settling.write.is_none() || record.decision_write != settling.write {
                let msg = "the decision was not set by the settling vote's write".to_string();
                problems.push((Kind::Double, msg));
            }
        }
    }
}

fn judge_people(
    plan: &Plan,
    people: &[Person],
    record: &RecordSeen,
    problems: &mut Vec<(Kind, String)>,
) {
    let last = record.votes.last().map(|v| v.slot.as_str());
    for person in people {
        let vote = record.votes.iter().find(|v| v.slot == person.who);
        let who = person.who;
        let mut fail = |kind, what: &str| problems.push((kind, format!("{who}: {what}")));
        match (&person.told, vote) {
            (told, None) if told.counted() => fail(Kind::Lost, "told counted, not in the record"),
            (Told::AlreadyVoted, None) => fail(Kind::Lost, "told voted already, no vote recorded"),
            (Told::Recorded { .. }, Some(_)) if last != Some(who) || record.decision.is_none() => {
                fail(
                    Kind::Double,
                    "told it settled the request, but another vote did",
                )
            }
            (Told::NoSlot, _)
                if plan.requester.map(|i| crate::email::APPROVERS[i]) != Some(who) =>
            {
                fail(Kind::Wrong, "told they have no vote")
            }
            (Told::NotTaken, Some(_)) => fail(Kind::Wrong, "told not taken, yet counted"),
            (told, _) if !told.is_final() => fail(Kind::Unanswered, &format!("{told:?}")),
            _ => {}
        }
        let choice = if person.approve { "approve" } else { "reject" };
        if vote.is_some_and(|v| v.decision != choice) {
            fail(Kind::Wrong, "recorded with the other choice");
        }
    }
}

fn judge_workflow(record: &RecordSeen, seen: &Seen, problems: &mut Vec<(Kind, String)>) {
    let outcome = seen.output["outcome"].as_str().unwrap_or("-");
    let expected = match record.decision.as_deref() {
        Some("approve") => "approved",
        Some("reject") => "rejected",
        _ => "(undecided)",
    };
    if seen.status != "SUCCEEDED" || outcome != expected {
        let msg = format!("execution {} {outcome}; record {expected}", seen.status);
        problems.push((Kind::Lost, msg));
    }
    match seen.resumed {
        1 => {}
        0 if seen.status != "SUCCEEDED" => {}
        n => problems.push((Kind::DoubleResume, format!("the Task resumed {n} times"))),
    }
    if record.delivery_failed {
        problems.push((Kind::Wrong, "delivery refused by Step Functions".into()));
    }
    let decision = &seen.output["decision"];
    let output: Vec<(String, String, String)> = decision["votes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let s = |x: &Value| x.as_str().unwrap_or_default().to_string();
            (
                s(&v["approver"]),
                s(&v["decision"]),
                s(&v["decidedBy"]["id"]),
            )
        })
        .collect();
    let recorded: Vec<(String, String, String)> = record
        .votes
        .iter()
        .map(|v| (v.slot.clone(), v.decision.clone(), v.by.clone()))
        .collect();
    if seen.status == "SUCCEEDED" && output != recorded {
        let msg = format!("output votes {output:?}; record {recorded:?}");
        problems.push((Kind::Wrong, msg));
    }
    let approvals = recorded.iter().filter(|v| v.1 == "approve").count();
    let tally = &decision["tally"];
    let told = (tally["approvals"].as_u64(), tally["rejections"].as_u64());
    let counted = (approvals as u64, (recorded.len() - approvals) as u64);
    if seen.status == "SUCCEEDED" && told != (Some(counted.0), Some(counted.1)) {
        problems.push((
            Kind::Wrong,
            format!("output tally {told:?}; record {counted:?}"),
        ));
    }
    if let Some((counted_events, decided_events)) = seen.audit {
        let votes = record.votes.len();
        if counted_events != votes {
            // More: a vote was committed that the record no longer holds. Fewer: a gap in
            // the trail.
            let kind = if counted_events > votes {
                Kind::Lost
            } else {
                Kind::Wrong
            };
            let msg = format!("{counted_events} Vote Counted events, {votes} votes");
            problems.push((kind, msg));
        }
        if decided_events != 1 {
            let kind = if decided_events > 1 {
                Kind::Double
            } else {
                Kind::Wrong
            };
            problems.push((kind, format!("{decided_events} Approval Decided events")));
        }
    }
}

#[cfg(test)]
mod tests;
