//! The pages of a request with a quorum: its progress ("1 of 2 approved; waiting for
//! bob@corp.com"), its votes (who, what, when, where), and the answers to one vote: counted,
//! voted already, or no slot to fill.

use maud::{html, Markup};

use approvals::approval::rfc3339;
use approvals::input::capitalized;
use approvals::quorum::{self, Slot, Vote};
use approvals::use_cases::NoSlotReason;
use approvals::{ApprovalRecord, Channel, Decision, RecordedDecision};

use super::{answered_line, layout, request_box};

/// Where a vote was cast, as a sentence goes on: "by email", "in Slack", "in Teams".
pub(super) fn where_cast(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "by email",
        Channel::Slack => "in Slack",
        Channel::Teams => "in Teams",
    }
}

/// "approved at 2027-01-15T08:00:05Z by email": what a vote chose, when and where.
fn what_when_where(d: &RecordedDecision) -> String {
    format!(
        "{} at {} {}",
        d.decision.past_tense(),
        rfc3339(d.decided_at),
        where_cast(d.decided_by.channel)
    )
}

/// Whether the vote fills the voter's own slot (not an escalation target filling somebody's):
/// by any of that person's identities, so a Slack click or a Teams card action filling the
/// slot their address keys (a request posted to several channels) is their own.
fn own_slot(slots: &[Slot], vote: &Vote) -> bool {
    let ids = quorum::identities(&vote.decision);
    ids.contains(&vote.slot.to_ascii_lowercase())
        || slots.iter().any(|s| s.key == vote.slot && s.is(&ids))
}

/// The progress of an open request with a quorum, and how rejections count; nothing for a
/// request decided by its first answer.
pub(super) fn progress(record: &ApprovalRecord) -> Markup {
    let Some(tally) = quorum::tally_of(record).filter(|_| record.decision.is_none()) else {
        return html! {};
    };
    let line = tally.progress_line(str::to_string);
    let rejects = match tally.rejections_required {
        1 => "One reject rejects the request".to_string(),
        n => format!("{n} rejects reject the request"),
    };
    html! {
        p class="status" id="progress" { (line) "." }
        p class="muted" id="reject-rule" {
            (rejects) ", as does the moment " (tally.approvals_required)
            " approvals can no longer be reached."
        }
    }
}

/// The votes of a request with a quorum, in the order cast: whose slot, what, when, where,
/// and who cast it when somebody else filled the slot. The comment and follow-up answer only
/// with `details` (see `decided_line`).
pub(super) fn votes_list(record: &ApprovalRecord, details: bool) -> Markup {
    if record.quorum.is_none() || record.votes.is_empty() {
        return html! {};
    }
    let slots = quorum::slots(record);
    let label = |vote: &Vote| {
        slots
            .iter()
            .find(|s| s.key == vote.slot)
            .map_or_else(|| vote.slot.clone(), |s| s.label.clone())
    };
    html! {
        h3 { "Votes" }
        ul id="votes" {
            @for vote in &record.votes {
                @let d = &vote.decision;
                @let slot = label(vote);
                li data-decision=(d.decision.as_str()) {
                    strong { (slot) }
                    @if !own_slot(&slots, vote) {
                        " (filled by " (d.decided_by.name) " after the escalation)"
                    }
                    ": " (what_when_where(d))
                    @if !d.decided_by.verified() { " (not verified)" }
                    @if details {
                        @if let Some(comment) = &d.comment {
                            br; span class="muted" { "Comment: " (comment) }
                        }
                        (answered_line(d))
                    }
                }
            }
        }
    }
}

/// "Approved at T: the deciding vote was carol@corp.com's, by email." for a decided request
/// with a quorum.
pub(super) fn settled_line(d: &RecordedDecision) -> Markup {
    html! {
        p class="status" id="decision" data-decision=(d.decision.as_str()) {
            (capitalized(&d.decision.past_tense())) " at " (rfc3339(d.decided_at))
            ": the deciding vote was " (d.decided_by.name) "'s, "
            (where_cast(d.decided_by.channel)) "."
        }
    }
}

/// "approval", "rejection": what a vote is called on its own page.
fn vote_noun(decision: &Decision) -> &'static str {
    match decision {
        Decision::Approve => "approval",
        Decision::Reject => "rejection",
        Decision::Custom(_) => "vote",
    }
}

/// A vote counted; the request stays open until its outcome is certain.
pub(super) fn counted_page(record: &ApprovalRecord, vote: &Vote) -> String {
    let d = &vote.decision;
    let noun = vote_noun(&d.decision);
    layout(
        "Vote counted",
        html! {
            h1 id="counted" { "Your " (noun) " is counted" }
            (request_box(record))
            (progress(record))
            p { "You " (what_when_where(d)) "." }
            @if let Some(comment) = &d.comment {
                p class="muted" { "Comment: " (comment) }
            }
            (answered_line(d))
            (votes_list(record, false))
            p class="muted" { "The request stays open until its outcome is certain; the workflow is told then." }
        },
    )
}

/// A second vote of the same approver, on whichever channel: their first stands.
pub(super) fn already_voted_page(record: &ApprovalRecord, vote: &Vote) -> String {
    layout(
        "You voted already",
        html! {
            h1 id="already-voted" { "You voted already" }
            p class="status" id="your-vote" data-decision=(vote.decision.decision.as_str()) {
                "You " (what_when_where(&vote.decision)) "; a second vote changes nothing."
            }
            (request_box(record))
            (progress(record))
            (votes_list(record, false))
        },
    )
}

/// Why this link's approver has no vote on the request; nothing was recorded.
pub(super) fn no_slot_page(record: &ApprovalRecord, reason: &NoSlotReason) -> String {
    let why = match reason {
        NoSlotReason::Requester => {
            "You asked for this approval, so you cannot vote on it: the others named decide."
                .to_string()
        }
        NoSlotReason::NotEscalated => "This request has not been escalated to you: your link counts only once it is, and you will be told then.".to_string(),
        NoSlotReason::FilledBy(vote) => format!(
            "Your place was filled after the request was escalated: {} {}. Your vote is no longer needed.",
            vote.decision.decided_by.name,
            what_when_where(&vote.decision)
        ),
        NoSlotReason::NotAnApprover => {
            "You are not one of the approvers whose votes this request counts.".to_string()
        }
    };
    layout(
        "You cannot vote on this request",
        html! {
            h1 id="no-slot" { "Your vote cannot count on this request" }
            p id="why" { (why) }
            (request_box(record))
            (progress(record))
            p class="muted" { "Nothing was recorded." }
        },
    )
}

#[cfg(test)]
mod tests;
