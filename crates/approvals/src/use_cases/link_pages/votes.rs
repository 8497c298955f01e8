//! Votes on a request with a quorum, as a link page meets them. What a vote does is
//! `quorum::cast`'s to say, here as in the stores: a page asks it about the record it read (a
//! consistent read) with a stand-in vote of the link's approver, so the page refuses exactly
//! what the store's write would refuse, and never shows a form whose vote cannot count.

use super::{LinkView, NoSlotReason};
use crate::quorum::{self, Cast, Vote};
use crate::{ApprovalRecord, DecidedBy, Decision, RecordedDecision};

/// The voter a link stands for: its approver, or on a shared link the id every shared-link
/// decision carries (which fills no slot).
pub(super) fn voter(approver: Option<&str>) -> &str {
    approver.unwrap_or("link")
}

/// A vote of `voter`, only to ask `quorum::cast` what it would do: the rule matches votes by
/// who cast them, never by what they chose.
fn stand_in(record: &ApprovalRecord, voter: &str) -> RecordedDecision {
    RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: voter.to_string(),
            name: voter.to_string(),
            channel: record.origin,
        },
        decided_at: record.created_at,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    }
}

/// What a vote of `voter` would do to `record` (read just now, undecided): `None` when it
/// counts (show the form, or write the vote); otherwise the view saying why not. A vote that
/// came from this very form (`submission`, after a lost answer) is answered as counted.
pub(super) fn before_vote(
    record: &ApprovalRecord,
    voter: &str,
    submission: Option<&str>,
) -> Option<LinkView> {
    // The requester has no say, whether the request counts votes or takes the first answer.
    if quorum::is_requester(record, voter) {
        return Some(LinkView::NoSlot {
            reason: NoSlotReason::Requester,
            record: record.clone(),
        });
    }
    record.quorum?;
    match quorum::cast(record, &stand_in(record, voter)) {
        Cast::Counted(_) | Cast::Settles(_) => None,
        Cast::AlreadyVoted(vote) => Some(voted(record.clone(), vote, submission)),
        Cast::NoSlot => Some(LinkView::NoSlot {
            reason: no_slot_reason(record, voter),
            record: record.clone(),
        }),
    }
}

/// The voter's earlier vote: the same vote counted when it came from this very form (as
/// `same_submission` answers a decision), otherwise "you voted already".
fn voted(record: ApprovalRecord, vote: Vote, submission: Option<&str>) -> LinkView {
    if submission.is_some() && vote.decision.submission_id.as_deref() == submission {
        LinkView::Counted { record, vote }
    } else {
        LinkView::AlreadyVoted { record, vote }
    }
}

/// Why `voter` has no slot of `record` (which `quorum::cast` said).
fn no_slot_reason(record: &ApprovalRecord, voter: &str) -> NoSlotReason {
    if quorum::is_requester(record, voter) {
        return NoSlotReason::Requester;
    }
    let key = voter.to_ascii_lowercase();
    match record.votes.iter().find(|v| v.slot == key) {
        // Their own slot, filled by somebody else: an escalation target.
        Some(filled) => NoSlotReason::FilledBy(Box::new(filled.clone())),
        None => NoSlotReason::NotAnApprover,
    }
}

/// The page for a personal link past the approvers that names nobody yet: an escalation
/// target's, before the request escalated (`None` when the index is nobody's at all).
pub(super) fn before_escalation(record: &ApprovalRecord, index: usize) -> Option<LinkView> {
    let targets = record.reminders.as_ref()?.escalate_to.len();
    let target = index.checked_sub(record.approvers.len())?;
    if target >= targets {
        return None;
    }
    Some(match record.decision {
        Some(_) => LinkView::AlreadyDecided {
            record: record.clone(),
        },
        None => LinkView::NoSlot {
            record: record.clone(),
            reason: NoSlotReason::NotEscalated,
        },
    })
}

/// The page for a vote the store counted without settling the request: the record with it.
/// `recorded` is the vote as written.
pub(super) fn counted(
    record: ApprovalRecord,
    voter: &str,
    recorded: &RecordedDecision,
) -> LinkView {
    let vote = match quorum::cast(&record, &stand_in(&record, voter)) {
        Cast::AlreadyVoted(vote) => vote,
        // The store counted it: it is there, whatever a read of it says.
        _ => Vote {
            slot: voter.to_ascii_lowercase(),
            decision: recorded.clone(),
        },
    };
    LinkView::Counted { record, vote }
}

/// The page for a vote the store did not take (`AlreadyVoted`, `NoSlot`): why, from the record
/// it answered with; this very form's vote, taken earlier, is answered as counted.
pub(super) fn not_taken(record: ApprovalRecord, voter: &str, submission: Option<&str>) -> LinkView {
    before_vote(&record, voter, submission).unwrap_or(LinkView::NoSlot {
        record,
        reason: NoSlotReason::NotAnApprover,
    })
}
