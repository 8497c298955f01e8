//! The invariants of one request on several channels. In every reachable state: the team's
//! votes counted once per person whichever channel each came through (a Slack id and an Entra
//! object id are that person's address, by this model's own directory), each in their own
//! address-keyed slot, and the quorum rule (`team_check`) settling it. At quiescence (every
//! started actor returned, then the relay run until nothing is due): every companion, attached
//! whenever, shows the final outcome last.

use approvals::ApprovalRecord;

use super::companions::{outcome_line, person, ADDRESSES};
use super::team::TeamLog;
use super::team_check::{no_lost_vote, settlement};
use super::world::World;

pub fn invariants(record: &ApprovalRecord, log: &TeamLog) -> Result<(), String> {
    if let Some(broken) = log.broken.first() {
        return Err(broken.clone());
    }
    if !record.votes.is_empty() && record.quorum.is_none() {
        return Err("a first-answer request counted votes".into());
    }
    let Some(quorum) = record.quorum else {
        return Ok(());
    };
    slots(record)?;
    no_lost_vote(record, log)?;
    settlement(record, quorum)
}

/// Each vote in its voter's own address-keyed slot; no slot filled twice; nobody counted twice
/// (under any of their names, on any channel).
fn slots(record: &ApprovalRecord) -> Result<(), String> {
    let mut people: Vec<&str> = Vec::new();
    for vote in &record.votes {
        let id = &vote.decision.decided_by.id;
        let slot = vote.slot.to_ascii_lowercase();
        let Some(who) = person(id) else {
            return Err(format!("{id}, who is no approver, was counted"));
        };
        if !ADDRESSES.contains(&slot.as_str()) {
            return Err(format!("{id} filled {slot:?}, which is no slot"));
        }
        if slot != who {
            return Err(format!("{id} ({who}) filled {slot}'s slot"));
        }
        if people.contains(&who) {
            return Err(format!(
                "{who} was counted twice (the second time as {id}, on {:?})",
                vote.decision.decided_by.channel
            ));
        }
        people.push(who);
    }
    Ok(())
}

/// No actor stands between two calls (each started one returned).
pub fn quiescent(world: &World) -> bool {
    world.actors.iter().all(|a| a.next.is_none())
}

/// Once settled: every companion shows the outcome last (decided, with the decision its line
/// names; too late; not delivered; or expired), none its buttons or its progress only.
pub fn every_message_shows_the_outcome(world: &World) -> Result<(), String> {
    let record = &world.record;
    let expected = format!("outcome: {}", outcome_line(record));
    for companion in &record.companions {
        let m = &companion.message;
        let key = format!("{}/{}", m.channel, m.ts);
        let shown = world.log.shown.get(&key).map(String::as_str);
        // A click's own update while the delivery is pending adds what it is waiting for.
        if !shown.is_some_and(|s| s.starts_with(&expected)) {
            return Err(format!(
                "once settled, the {:?} message {key} shows {}, not {expected:?}",
                companion.channel,
                shown.map_or("its buttons (nothing since it was posted)".into(), |s| {
                    format!("{s:?}")
                }),
            ));
        }
    }
    Ok(())
}
