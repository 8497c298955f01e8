//! A click on a request with a quorum: who may vote (the slots, not the plain allow-list), what
//! a counted vote shows (the progress on the message, for everyone; a note for the voter), and
//! why a vote changed nothing. The Teams bot's cards ask the same questions
//! ([`no_vote`], [`earlier_vote`]).

use super::{show, tell, Chat, Click, ClickOutcome, ClickRefusal};
use crate::ports::{Approvals, OutcomeNotifier};
use crate::quorum::{self, identities, Cast, Vote};
use crate::{ApprovalRecord, RecordedDecision};

/// Why `decision`'s voter may not vote on `record` (which has a quorum), known before anything
/// is written: they voted already (while it is open), or they have no slot.
pub(super) fn vote_refusal(
    record: &ApprovalRecord,
    decision: &RecordedDecision,
) -> Option<ClickRefusal> {
    if !quorum::may_vote(record, decision) {
        return Some(no_vote(record, decision));
    }
    // A decided request: the write says so ("already decided"), whoever clicks.
    if record.decision.is_some() {
        return None;
    }
    match quorum::cast(record, decision) {
        Cast::AlreadyVoted(earlier) => Some(already_voted(&earlier)),
        Cast::NoSlot => Some(no_vote(record, decision)),
        Cast::Counted(_) | Cast::Settles(_) => None,
    }
}

/// The clicker's earlier vote, as a refusal.
pub(crate) fn already_voted(earlier: &Vote) -> ClickRefusal {
    ClickRefusal::AlreadyVoted {
        decision: earlier.decision.decision.clone(),
        at: earlier.decision.decided_at,
        channel: earlier.decision.decided_by.channel,
    }
}

/// The vote `record` holds from `decision`'s voter (the store answered `AlreadyVoted`).
pub(crate) fn earlier_vote<'r>(
    record: &'r ApprovalRecord,
    decision: &RecordedDecision,
) -> Option<&'r Vote> {
    let ids = identities(decision);
    let same_name = record
        .votes
        .iter()
        .find(|v| identities(&v.decision).iter().any(|id| ids.contains(id)));
    // Their own vote on another channel of the request (a link, then a click): the slot they
    // are known by here holds a vote cast under another of their names.
    same_name.or_else(|| {
        let own = quorum::slots(record).into_iter().find(|s| s.is(&ids))?;
        record
            .votes
            .iter()
            .find(|v| v.slot == own.key && own.is(&identities(&v.decision)))
    })
}

/// Why `decision`'s voter has no slot to fill on `record`: the requester; their own slot filled
/// by an escalation target; an escalation target with no slot left; or nobody the request
/// counts (told who is).
pub(crate) fn no_vote(record: &ApprovalRecord, decision: &RecordedDecision) -> ClickRefusal {
    let ids = identities(decision);
    if ids.iter().any(|id| quorum::is_requester(record, id)) {
        return ClickRefusal::Requester;
    }
    let slots = quorum::slots(record);
    let own_filled = slots
        .iter()
        .filter(|s| s.is(&ids))
        .find_map(|s| record.votes.iter().find(|v| v.slot == s.key));
    if let Some(filler) = own_filled {
        return ClickRefusal::SlotFilled {
            by: filler.decision.decided_by.name.clone(),
        };
    }
    let escalated = record.reminder_state.escalated_at.is_some();
    let targets: Vec<String> = match (&record.reminders, escalated) {
        (Some(reminders), true) => reminders.escalate_to.clone(),
        _ => Vec::new(),
    };
    if targets
        .iter()
        .any(|t| ids.contains(&t.to_ascii_lowercase()))
    {
        return ClickRefusal::NoSlotLeft;
    }
    let mut approvers: Vec<String> = slots.into_iter().map(|s| s.label).collect();
    approvers.extend(targets);
    ClickRefusal::NotAnApprover { approvers }
}

/// A vote counted on a request still open: the message shows the progress to everyone
/// (buttons kept), and the voter is told theirs counted. Best effort: the votes are recorded.
pub(super) async fn vote_counted(
    click: Click,
    record: ApprovalRecord,
    store: &dyn Approvals,
    chat: Chat<'_>,
    now: i64,
) -> ClickOutcome {
    let shown_votes = record.votes.len();
    let companions = !record.companions.is_empty();
    let record = super::seen_from(record, &click.message);
    show_progress(chat, &record, &click).await;
    // Another vote may have landed, or settled the request and shown its outcome, between our
    // write and our update: the message must not be left behind it (a settled request showing
    // buttons again). One read after our update says what to show instead.
    let fresh = store.get(&record.approval_id).await;
    match fresh.map(|r| r.map(|r| super::seen_from(r, &click.message))) {
        Ok(Some(current)) if current.decision.is_some() => {
            let line = super::outcome_line(&current, chat.format);
            show(chat, &current, &click.message, &line).await;
        }
        Ok(Some(current)) if current.delivery.expiry_claimed_at.is_some() => {
            // Expired since (the relay told the Task): our progress must not stay over it.
            let _ = super::SlackOutcome(chat).show_outcome(&current).await;
        }
        Ok(Some(current)) if current.votes.len() != shown_votes => {
            show_progress(chat, &current, &click).await;
        }
        _ => {}
    }
    if companions {
        crate::delivery::progress_elsewhere(&record, store, now).await;
    }
    if let Some(tally) = quorum::tally_of(&record) {
        let note = chat.format.counted_note(&click.decision, &tally);
        tell(chat.slack, &click, &note).await;
    }
    ClickOutcome::Counted {
        approval_id: click.approval_id,
    }
}

/// The message with its buttons and the request's progress under them. A failure leaves the
/// message as it was (the next vote, or the relay once settled, brings it up to date).
async fn show_progress(chat: Chat<'_>, record: &ApprovalRecord, click: &Click) {
    let Some(tally) = quorum::tally_of(record) else {
        return;
    };
    let line = chat.format.progress_line(&tally);
    let mut record = record.clone();
    if record.message_shown.is_none() {
        record.message_shown = serde_json::to_string(&click.blocks).ok();
    }
    let shown = super::shown_blocks(&record);
    let update = chat.format.progress_message(&record.title, &shown, &line);
    if let Err(err) = chat.slack.update(&click.message, &update).await {
        tracing::warn!(approval_id = %record.approval_id, error = err.name(), "progress not shown on the message");
    }
}
