//! Bringing a chat message up to date with the final outcome, once: a failure for now backs
//! off (it shares Slack's `chat.update` rate limit with clicks); a refusal for good, or too many
//! failures, is given up with its reason and the record settles without it.

use super::{doubling, MAX_MESSAGE_UPDATE_ATTEMPTS, MAX_RETRY_DELAY_SECONDS};
use crate::ports::{DeliveryStore, OutcomeNotifier};
use crate::{ApprovalRecord, HitlError};

/// What became of bringing the chat message up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageUpdate {
    /// Nothing to update (no message, updated already, or the outcome is not final yet).
    NotNeeded,
    Updated,
    /// Failed for now: counted, and due again after a pause that grows with each failure.
    RetryLater,
    /// Refused for good (an archived channel, a removed app, a deleted message, a revoked
    /// token) or failing too long: kept with its reason, and the record settles without it.
    GaveUp,
}

/// Brings the chat message up to date with the final outcome, once.
pub async fn update_message(
    record: &ApprovalRecord,
    store: &dyn DeliveryStore,
    notifier: &dyn OutcomeNotifier,
    now: i64,
) -> Result<MessageUpdate, HitlError> {
    if !record.needs_message_update(now) {
        return Ok(MessageUpdate::NotNeeded);
    }
    match notifier.show_outcome(record).await {
        Ok(()) => {
            // Not written when a companion was attached since we read the record: it still
            // shows buttons, so the record stays unsettled and is shown again.
            let (id, seen) = (&record.approval_id, record.companions.len());
            store.every_message_updated(id, seen, now).await?;
            Ok(MessageUpdate::Updated)
        }
        Err(err) => message_not_updated(record, store, &err, now).await,
    }
}

/// Pause before try `attempts + 1` of a failing message update: 20 s, 40 s, ... up to 15 min
/// (it shares Slack's `chat.update` rate limit with clicks).
pub(super) fn message_retry_delay(attempts: u32) -> i64 {
    doubling(MAX_RETRY_DELAY_SECONDS, attempts, 15 * 60)
}

async fn message_not_updated(
    record: &ApprovalRecord,
    store: &dyn DeliveryStore,
    err: &HitlError,
    now: i64,
) -> Result<MessageUpdate, HitlError> {
    let id = &record.approval_id;
    let attempts = record.message_update_attempts + 1;
    if err.is_transient() && attempts < MAX_MESSAGE_UPDATE_ATTEMPTS {
        tracing::info!(approval_id = %id, error = err.name(), attempts, "message not updated; tried again later");
        let retry_at = now + message_retry_delay(attempts);
        store.message_update_failed(id, retry_at).await?;
        return Ok(MessageUpdate::RetryLater);
    }
    let reason = format!("{}: {err}", err.name());
    // Logged once: by the call whose write gave it up.
    if store.give_up_message_update(id, &reason, now).await? {
        tracing::warn!(approval_id = %id, error = err.name(), message = %err, attempts, "message update given up; the record settles without it");
    }
    Ok(MessageUpdate::GaveUp)
}
