//! The invariants of a team decision, in every reachable state. The quorum rule is written
//! here again, on its own, so that the store's (`quorum::cast`) is checked, not trusted.

use approvals::quorum::{Quorum, Vote};
use approvals::{ApprovalRecord, Decision};

use super::team::{TeamLog, APPROVERS, ESCALATE_TO};

/// What must hold of a request with a quorum, and of what its calls saw.
pub fn team_invariants(record: &ApprovalRecord, log: &TeamLog) -> Result<(), String> {
    let Some(quorum) = record.quorum else {
        return Ok(());
    };
    if let Some(broken) = log.broken.first() {
        return Err(broken.clone());
    }
    slots(record)?;
    no_lost_vote(record, log)?;
    settlement(record, quorum)?;
    reminders(log)
}

fn key(who: &str) -> String {
    who.to_lowercase()
}

/// No slot filled twice, nobody in two slots, each approver in their own slot, an escalation
/// target only once the request escalated.
fn slots(record: &ApprovalRecord) -> Result<(), String> {
    let keys: Vec<String> = APPROVERS.iter().map(|a| key(a)).collect();
    for (i, vote) in record.votes.iter().enumerate() {
        let voter = key(&vote.decision.decided_by.id);
        let earlier = &record.votes[..i];
        if !keys.contains(&vote.slot) {
            return Err(format!("{voter} filled {:?}, which is no slot", vote.slot));
        }
        if earlier.iter().any(|v| v.slot == vote.slot) {
            return Err(format!("the slot of {} was filled twice", vote.slot));
        }
        if earlier
            .iter()
            .any(|v| key(&v.decision.decided_by.id) == voter)
        {
            return Err(format!("{voter} filled two slots (counted twice)"));
        }
        let own_slot = keys.contains(&voter);
        if own_slot && vote.slot != voter {
            return Err(format!("{voter} filled {}'s slot", vote.slot));
        }
        if !own_slot && (voter != ESCALATE_TO || record.reminder_state.escalated_at.is_none()) {
            return Err(format!("{voter} counted without a slot of their own"));
        }
    }
    Ok(())
}

/// Every voter told their vote counted is in the record (once: see [`slots`]).
pub(super) fn no_lost_vote(record: &ApprovalRecord, log: &TeamLog) -> Result<(), String> {
    for (i, voter) in log.counted.iter().enumerate() {
        if log.counted[..i].contains(voter) {
            return Err(format!("{voter} was told twice that their vote counted"));
        }
        if !record
            .votes
            .iter()
            .any(|v| key(&v.decision.decided_by.id) == *voter)
        {
            return Err(format!("{voter} was told their vote counted; it is lost"));
        }
    }
    Ok(())
}

/// The quorum rule: approved once `approvals` slots approved; rejected once `rejections`
/// rejected, or once the approvals can no longer be reached; open otherwise.
fn outcome(quorum: Quorum, votes: &[Vote]) -> Option<bool> {
    let approvals = votes
        .iter()
        .filter(|v| v.decision.decision == Decision::Approve)
        .count() as u32;
    let rejections = votes.len() as u32 - approvals;
    let open = (APPROVERS.len() - votes.len()) as u32;
    if approvals >= quorum.approvals {
        Some(true)
    } else if rejections >= quorum.rejections || approvals + open < quorum.approvals {
        Some(false)
    } else {
        None
    }
}

/// Settled exactly when the votes make the outcome certain, by the vote that made it so, with
/// that outcome (no vote after it).
pub(super) fn settlement(record: &ApprovalRecord, quorum: Quorum) -> Result<(), String> {
    let votes = &record.votes;
    let Some(decision) = &record.decision else {
        return match outcome(quorum, votes) {
            Some(approved) => Err(format!(
                "the votes settle it ({}), yet it is open",
                if approved { "approved" } else { "rejected" }
            )),
            None => Ok(()),
        };
    };
    let Some((last, before)) = votes.split_last() else {
        return Err("settled without a vote".into());
    };
    if last.decision != *decision {
        return Err("the recorded decision is not the settling vote".into());
    }
    if outcome(quorum, before).is_some() {
        return Err("a vote was counted after the votes had settled it".into());
    }
    let approved = decision.decision == Decision::Approve;
    if outcome(quorum, votes) != Some(approved) {
        return Err(format!(
            "settled as {:?}, which the votes do not make certain",
            decision.decision
        ));
    }
    Ok(())
}

/// Each reminder claimed once, none after the settlement; one composed after the settlement
/// says who decided; none asks a slot filled when it was claimed or composed.
fn reminders(log: &TeamLog) -> Result<(), String> {
    for (i, claim) in log.claims.iter().enumerate() {
        if log.claims[..i].iter().any(|c| c.number == claim.number) {
            return Err(format!("reminder {} was claimed twice", claim.number));
        }
        if claim.after_settlement {
            return Err(format!(
                "reminder {} was claimed after the settlement",
                claim.number
            ));
        }
    }
    for sent in &log.sends {
        if sent.settled_then && !sent.says_decided {
            return Err(format!(
                "reminder {} asks although the request was settled when it was composed",
                sent.number
            ));
        }
        if sent.says_decided {
            continue;
        }
        let claimed = log.claims.iter().find(|c| c.number == sent.number);
        let filled = claimed.into_iter().flat_map(|c| &c.filled);
        if let Some(slot) = filled
            .chain(&sent.filled_then)
            .find(|s| sent.asks.contains(s))
        {
            return Err(format!(
                "reminder {} asks {slot}, whose slot was filled",
                sent.number
            ));
        }
    }
    Ok(())
}
