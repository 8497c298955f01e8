//! The progress of an open request with a quorum on its Teams bot card, for everyone. The
//! Decision API holds no bot secret: a vote it counts only makes the record due
//! ([`crate::ports::DeliveryStore::progress_due`]), and the relay, which holds it, updates the shared card
//! (buttons kept, the progress line), records how many votes it shows, and puts the record back
//! where an open request waits in its index: at its expiry.
//!
//! Two relay runs may overlap (a slow one and the next minute's): the record of what the card
//! shows only grows and is never written once the outcome is shown, and an update whose record
//! was refused is followed by the card as it now is, so the last update is never the older one.

use super::RelayReport;
use crate::ports::{Approvals, OutcomeNotifier};
use crate::{ApprovalRecord, HitlError};

/// How long after the latest vote a progress update failing for now (throttled, a 5xx) is tried
/// again, every [`super::MAX_RETRY_DELAY_SECONDS`]; after that it waits for the next vote (the outcome
/// has its own retries).
pub const PROGRESS_RETRY_SECONDS: i64 = 5 * 60;

/// One pass's work on an open request with a quorum and a bot card
/// ([`ApprovalRecord::progress_open`]): its progress, if the card shows fewer votes than are
/// counted. An error is a failure for now: the relay looks again after a pause.
pub(super) async fn relay_progress(
    record: &ApprovalRecord,
    store: &dyn Approvals,
    notifier: Option<&dyn OutcomeNotifier>,
    now: i64,
    report: &mut RelayReport,
) -> Result<(), HitlError> {
    let id = &record.approval_id;
    let votes = u32::try_from(record.votes.len()).unwrap_or(u32::MAX);
    let mut shown = false;
    if let Some(notifier) = notifier.filter(|_| record.needs_progress_update(now)) {
        match notifier.show_progress(record).await {
            Ok(true) => {
                shown = true;
                report.progress_shown.push(id.clone());
            }
            Ok(false) => {}
            Err(err) if err.is_transient() && recent_vote(record, now) => return Err(err),
            Err(err) => {
                tracing::warn!(approval_id = %id, error = err.name(), message = %err, votes, "progress not shown on the Teams card; the next vote or the outcome updates it");
            }
        }
    }
    if store.progress_shown(id, votes, now).await? || !shown {
        return Ok(());
    }
    show_again(record, store, notifier, now).await
}

/// Whether the latest vote is recent enough for a failing update to be tried again.
fn recent_vote(record: &ApprovalRecord, now: i64) -> bool {
    let latest = record.votes.iter().map(|v| v.decision.decided_at).max();
    latest.is_some_and(|at| now - at < PROGRESS_RETRY_SECONDS)
}

/// Our progress was shown, but the store refused to record it: the request settled or expired,
/// or an overlapping relay recorded a newer progress, since we read it. Theirs may have reached
/// the card before ours did, so the card is shown once more as it now is: the outcome once it
/// is final (whoever shows it after us shows the same), or the newer progress. An outcome not
/// final yet is shown later by a relay that reads the record after our update.
async fn show_again(
    record: &ApprovalRecord,
    store: &dyn Approvals,
    notifier: Option<&dyn OutcomeNotifier>,
    now: i64,
) -> Result<(), HitlError> {
    let id = &record.approval_id;
    let (Some(notifier), Some(fresh)) = (notifier, store.get(id).await?) else {
        return Ok(());
    };
    let shown_again = if fresh.message_outcome_final(now) && fresh.message_update_failed.is_none() {
        notifier.show_outcome(&fresh).await
    } else if fresh.progress_open(now) && fresh.message_progress_votes as usize > record.votes.len()
    {
        notifier.show_progress(&fresh).await.map(|_| ())
    } else {
        return Ok(());
    };
    if let Err(err) = shown_again {
        tracing::warn!(approval_id = %id, error = err.name(), message = %err, "Teams card not shown again after a newer update; it may show an older progress");
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// A vote counted on a request whose chat messages show its progress (a Teams bot card, or
/// the request posted to Slack or Teams) from a link or a Slack click: the relay, which holds
/// every channel's credentials, shows it there; this makes the record due for it. Best effort:
/// the next vote, or the outcome, brings them up to date otherwise.
pub async fn progress_elsewhere(record: &ApprovalRecord, store: &dyn Approvals, now: i64) {
    if !record.needs_progress_update(now) {
        return;
    }
    if let Err(err) = store.progress_due(&record.approval_id, now).await {
        tracing::warn!(approval_id = %record.approval_id, error = err.name(), "the vote's progress not handed to the relay for the chat messages");
    }
}
