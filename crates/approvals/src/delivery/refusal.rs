//! An attempt Step Functions refused. A refusal a retry may change (throttled, a 5xx, a
//! timeout) is tried again after a pause; one it cannot (access denied, an output or cause it
//! will not take, a KMS key it may not use, an output we could not even encode) is given up at
//! once: retried, it would only keep the relay busy until the record's TTL.

use super::retry_delay;
use crate::ports::DeliveryStore;
use crate::{ApprovalRecord, HitlError, TaskToken};

/// What became of a refused attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Tried again after a pause (or already ended by another deliverer).
    RetryLater,
    /// Settled without it, with the reason (`deliveryFailedAt`).
    GaveUp,
}

/// Releases the lease for a later attempt, or gives the delivery to `token` up for good.
pub(super) async fn after_refusal(
    record: &ApprovalRecord,
    token: &TaskToken,
    err: &HitlError,
    store: &dyn DeliveryStore,
    now: i64,
) -> Result<Refusal, HitlError> {
    let id = &record.approval_id;
    let attempts = record.delivery.attempts + 1;
    if err.is_transient() {
        tracing::warn!(approval_id = %id, error = err.name(), message = %err, attempts, "delivery failed; relayed later");
        store
            .release_lease(id, token, now + retry_delay(attempts))
            .await?;
        return Ok(Refusal::RetryLater);
    }
    let reason = format!("{}: {err}", err.name());
    // Logged once: by the call whose write gave it up.
    if !store.give_up_delivery(id, token, &reason, now).await? {
        return Ok(Refusal::RetryLater);
    }
    tracing::warn!(approval_id = %id, error = err.name(), message = %err, attempts, "delivery given up; the record settles without it");
    Ok(Refusal::GaveUp)
}
