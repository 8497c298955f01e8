//! Team decisions: how many of a request's named approvers must agree, and what one vote does.
//!
//! Slots, not people, are counted: each named approver has one slot, filled by their own vote
//! or (once the request escalated) by one escalation target's vote; nobody fills two. A vote is
//! one conditional write that also settles the request when its outcome became certain (see
//! [`cast`]): approved once `approvals` slots approved; rejected once `rejections` slots
//! rejected (1 by default: a veto), or as soon as the approvals can no longer be reached.
//! A request without a quorum is decided by its first answer, as before.

use serde::{Deserialize, Serialize};

use crate::{ApprovalRecord, Decision, HitlError, RecordedDecision};

mod input;
#[cfg(test)]
mod tests;
pub use input::{
    ApprovalsRequired, ApprovalsWord, QuorumInput, RemindersInput, TeamRules, MAX_ESCALATE_TO,
};

/// How many slots must approve, and how many rejects settle the request as rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    /// Approvals that settle the request as approved: 1 to the number of slots.
    pub approvals: u32,
    /// Rejects that settle it as rejected (1: a veto). It also settles as rejected as soon as
    /// `approvals` can no longer be reached.
    pub rejections: u32,
}

/// One slot's vote: whose slot it fills (the approver as named: an address, a Slack user id, a
/// Teams object id) and the decision as recorded (who actually voted, when, where, comment,
/// follow-up answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub slot: String,
    pub decision: RecordedDecision,
}

/// One slot of a request: the key a vote is matched by, and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Lower-cased: an email address, a Slack user id, a Teams object id.
    pub key: String,
    /// What people read: the address, the Slack user id, the Teams user's name or UPN.
    pub label: String,
    /// Other names of the same person, lower-cased: a Teams approver's UPN and the address the
    /// request named them by, so their personal email link fills the slot their card click
    /// would (and not a second one).
    pub aliases: Vec<String>,
}

impl Slot {
    /// Whether a voter known by `ids` (lower-cased, see [`identities`]) is this slot's person.
    pub fn is(&self, ids: &[String]) -> bool {
        ids.contains(&self.key) || self.aliases.iter().any(|a| ids.contains(a))
    }
}

/// Reminders of the approvers who have not voted, and escalation after some of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminders {
    /// Seconds between reminders (the first this long after the request).
    pub every_seconds: i64,
    /// After this many reminders, `escalate_to` may fill the unfilled slots (`None`: never).
    pub escalate_after: Option<u32>,
    /// Who is added when the request escalates (same kind of identity as the approvers).
    pub escalate_to: Vec<String>,
}

/// Where a request's reminders stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderState {
    /// Reminders sent so far.
    pub sent: u32,
    /// When the next reminder is due (the sparse `Remind` index); `None`: none is.
    pub next_at: Option<i64>,
    /// When the request escalated: from then on `escalate_to` may vote.
    pub escalated_at: Option<i64>,
}

/// What the votes say so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub approvals: u32,
    pub rejections: u32,
    /// Approvals needed to approve.
    pub approvals_required: u32,
    /// Rejects needed to reject (1: a veto).
    pub rejections_required: u32,
    /// The slots nobody filled yet, as shown (in the order named).
    pub waiting_for: Vec<String>,
}

/// What one vote does to a request with a quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cast {
    /// Counted; the request stays open.
    Counted(Vote),
    /// Counted, and it settles the request: the decision to record (this vote's own).
    Settles(Vote),
    /// The voter filled a slot already: nothing changes.
    AlreadyVoted(Vote),
    /// The voter has no slot to fill (not an approver, barred as the requester, an escalation
    /// target before the escalation, or no slot left).
    NoSlot,
}

/// How many waiting approvers a progress line names before counting the rest.
pub const SHOWN_WAITING: usize = 10;

impl Tally {
    /// "1 of 2 approved, 1 of 2 rejected; waiting for bob, carol" (rejects only once there
    /// are some; at most [`SHOWN_WAITING`] names, then "N more"), each waiting approver shown
    /// by `name`: the words every page, message and card says the progress with.
    pub fn progress_line(&self, name: impl Fn(&str) -> String) -> String {
        let mut line = format!("{} of {} approved", self.approvals, self.approvals_required);
        if self.rejections > 0 {
            line.push_str(&format!(
                ", {} of {} rejected",
                self.rejections, self.rejections_required
            ));
        }
        if !self.waiting_for.is_empty() {
            let mut named: Vec<String> = self
                .waiting_for
                .iter()
                .take(SHOWN_WAITING)
                .map(|w| name(w))
                .collect();
            if self.waiting_for.len() > SHOWN_WAITING {
                named.push(format!("{} more", self.waiting_for.len() - SHOWN_WAITING));
            }
            line.push_str(&format!("; waiting for {}", named.join(", ")));
        }
        line
    }
}

impl Quorum {
    /// The tally of `votes` over `slots`.
    pub fn tally(&self, slots: &[Slot], votes: &[Vote]) -> Tally {
        let counted = |d: fn(&Decision) -> bool| {
            votes.iter().filter(|v| d(&v.decision.decision)).count() as u32
        };
        Tally {
            approvals: counted(|d| matches!(d, Decision::Approve)),
            rejections: counted(|d| !matches!(d, Decision::Approve)),
            approvals_required: self.approvals,
            rejections_required: self.rejections,
            waiting_for: slots
                .iter()
                .filter(|s| !votes.iter().any(|v| v.slot == s.key))
                .map(|s| s.label.clone())
                .collect(),
        }
    }

    /// The outcome the tally makes certain, if any: approved, or rejected (by the reject
    /// quorum, or because the approvals can no longer be reached).
    pub fn outcome(&self, tally: &Tally) -> Option<Decision> {
        let open = tally.waiting_for.len() as u32;
        if tally.approvals >= self.approvals {
            Some(Decision::Approve)
        } else if tally.rejections >= self.rejections || tally.approvals + open < self.approvals {
            Some(Decision::Reject)
        } else {
            None
        }
    }
}

/// The slots of `record`: its Teams approvers (by object id) on a request the Teams bot made,
/// its approvers otherwise; without the requester's (`requestedBy`), who may not vote.
pub fn slots(record: &ApprovalRecord) -> Vec<Slot> {
    let teams_made = record.origin == crate::Channel::Teams
        && !record.teams_approvers.is_empty()
        && !record.is_companion_view();
    let named: Vec<Slot> = match teams_made {
        true => record
            .teams_approvers
            .iter()
            .enumerate()
            .map(|(i, u)| Slot {
                key: u.object_id.to_ascii_lowercase(),
                label: u
                    .user_principal_name
                    .clone()
                    .unwrap_or_else(|| u.name.clone()),
                // Resolved in the order named: the first ones are the addresses given.
                aliases: u
                    .user_principal_name
                    .iter()
                    .chain(record.approvers.get(i))
                    .map(|a| a.to_ascii_lowercase())
                    .collect(),
            })
            .collect(),
        // Keyed by address whatever channels the request was posted to later (a vote cast
        // before a post keeps its slot); each channel's identity of that person is an alias.
        false => record
            .approvers
            .iter()
            .enumerate()
            .map(|(i, a)| Slot {
                key: a.to_ascii_lowercase(),
                label: a.clone(),
                aliases: elsewhere(record, i),
            })
            .collect(),
    };
    // Only `requestedBy`, as the request named it, takes a slot away (by a name the request
    // was made with: a Teams request's resolved names are those). Identities learnt when the
    // request was posted to another channel never change how many slots there are (the quorum
    // was checked against them): they only bar the requester's votes (`cast`).
    let named_requester = |who: &String| {
        record
            .requested_by
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(who))
    };
    named
        .into_iter()
        .filter(|s| {
            let made_with = std::iter::once(&s.key).chain([&s.label]);
            let made_with = made_with.chain(s.aliases.iter().filter(|_| teams_made));
            !made_with.into_iter().any(named_requester)
        })
        .collect()
}

/// Approver `i`'s identities on the channels the request was posted to as a companion: their
/// Slack user id, their Entra object id and user principal name.
fn elsewhere(record: &ApprovalRecord, i: usize) -> Vec<String> {
    let slack = record.slack_approvers.get(i).into_iter().cloned();
    let teams =
        record.teams_approvers.get(i).into_iter().flat_map(|u| {
            std::iter::once(u.object_id.clone()).chain(u.user_principal_name.clone())
        });
    slack
        .chain(teams)
        .filter(|id| !id.is_empty())
        .map(|id| id.to_ascii_lowercase())
        .collect()
}

/// Whether `who` (an identity of a vote or a slot) is the request's requester: `requestedBy`,
/// or the requester's identity on a channel the request was posted to.
pub fn is_requester(record: &ApprovalRecord, who: &str) -> bool {
    record
        .requested_by
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(who))
        || record.is_requester_elsewhere(who)
}

/// The identities a decision's voter is known by (lower-cased): its id, and a Teams user's
/// object id and UPN.
pub fn identities(decision: &RecordedDecision) -> Vec<String> {
    let mut ids = vec![decision.decided_by.id.to_ascii_lowercase()];
    if let Some(user) = &decision.teams_user {
        ids.push(user.object_id.to_ascii_lowercase());
        ids.extend(
            user.user_principal_name
                .as_ref()
                .map(|u| u.to_ascii_lowercase()),
        );
    }
    ids
}

/// Whether the voter may fill some slot of `record` now: a named approver (not the requester),
/// or, once it escalated, an escalation target.
pub fn may_vote(record: &ApprovalRecord, decision: &RecordedDecision) -> bool {
    let ids = identities(decision);
    if ids.iter().any(|id| is_requester(record, id)) {
        return false;
    }
    slots(record).iter().any(|s| s.is(&ids)) || is_escalation_target(record, &ids)
}

fn is_escalation_target(record: &ApprovalRecord, ids: &[String]) -> bool {
    let (Some(reminders), Some(_)) = (&record.reminders, record.reminder_state.escalated_at) else {
        return false;
    };
    reminders
        .escalate_to
        .iter()
        .any(|t| ids.contains(&t.to_ascii_lowercase()))
}

/// What `decision` does to `record` (which has a quorum, is open, and was read just now): the
/// voter's own slot, or for an escalation target the first unfilled one; a voter who filled a
/// slot already changes nothing.
pub fn cast(record: &ApprovalRecord, decision: &RecordedDecision) -> Cast {
    let Some(quorum) = record.quorum else {
        return Cast::Settles(Vote {
            slot: decision.decided_by.id.clone(),
            decision: decision.clone(),
        });
    };
    let ids = identities(decision);
    if let Some(earlier) = record
        .votes
        .iter()
        .find(|v| identities(&v.decision).iter().any(|id| ids.contains(id)))
    {
        return Cast::AlreadyVoted(earlier.clone());
    }
    if ids.iter().any(|id| is_requester(record, id)) {
        return Cast::NoSlot;
    }
    let slots = slots(record);
    let unfilled = |s: &&Slot| !record.votes.iter().any(|v| v.slot == s.key);
    let slot = match slots.iter().find(|s| s.is(&ids)) {
        Some(own) if !unfilled(&own) => {
            let filled = record.votes.iter().find(|v| v.slot == own.key);
            return match filled {
                // Their own vote, known there by another name (a card click, then their link).
                Some(vote) if own.is(&identities(&vote.decision)) => {
                    Cast::AlreadyVoted(vote.clone())
                }
                // Filled by an escalation target: their vote is no longer needed.
                _ => Cast::NoSlot,
            };
        }
        Some(own) => own,
        None if is_escalation_target(record, &ids) => match slots.iter().find(unfilled) {
            Some(first_open) => first_open,
            None => return Cast::NoSlot,
        },
        None => return Cast::NoSlot,
    };
    let vote = Vote {
        slot: slot.key.clone(),
        decision: decision.clone(),
    };
    let mut votes = record.votes.clone();
    votes.push(vote.clone());
    match quorum.outcome(&quorum.tally(&slots, &votes)) {
        Some(outcome) if outcome == decision.decision => Cast::Settles(vote),
        // Never settled by a vote for the other outcome (an approval when approvals can no
        // longer be reached): only if the slots changed under the request, which they must
        // not; counted, and the request settles by a vote for its outcome, or expires.
        Some(outcome) => {
            tracing::error!(approval_id = %record.approval_id, outcome = outcome.as_str(), "a vote would settle the request for the other outcome; counted only");
            Cast::Counted(vote)
        }
        None => Cast::Counted(vote),
    }
}

/// The tally of `record`'s votes, when it has a quorum.
pub fn tally_of(record: &ApprovalRecord) -> Option<Tally> {
    record
        .quorum
        .map(|q| q.tally(&slots(record), &record.votes))
}

/// Checks a quorum against the request it is for: named approvers are needed, `approvals` and
/// `rejections` must be reachable with the slots there are, and only approve and reject count.
pub fn check(quorum: &Quorum, slot_count: usize, custom_choices: bool) -> Result<(), HitlError> {
    if slot_count == 0 {
        return Err(HitlError::invalid_input(
            "quorum needs named approvers (approvers): it counts their votes",
        ));
    }
    if custom_choices {
        return Err(HitlError::invalid_input(
            "quorum counts approve and reject: a request with buttons of its own is decided by its first answer (leave quorum out)",
        ));
    }
    for (field, n) in [
        ("quorum.approvals", quorum.approvals),
        ("quorum.rejections", quorum.rejections),
    ] {
        if n == 0 || n as usize > slot_count {
            return Err(HitlError::invalid_input(format!(
                "{field} must be between 1 and the number of approvers who may vote ({slot_count}), got {n}"
            )));
        }
    }
    Ok(())
}
