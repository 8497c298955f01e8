//! A request's outcome and progress on every chat message it has: its own and each companion
//! on another channel ([`crate::approval::Companion`]). The relay's rules stay the record's
//! (one outcome update, retried or given up as a whole); this shows it on each message, each
//! through its own channel's notifier, as if the request had been made there.

use async_trait::async_trait;

use crate::ports::OutcomeNotifier;
use crate::{ApprovalRecord, HitlError};

/// The relay's notifier for all of a record's messages.
pub struct EveryMessage<'a>(pub &'a dyn OutcomeNotifier);

#[async_trait]
impl OutcomeNotifier for EveryMessage<'_> {
    /// Every message is tried: one channel failing does not keep the others stale. A failure
    /// for now wins over a refusal for good (the whole update is tried again, and showing the
    /// same outcome twice changes nothing); otherwise the first refusal is the update's.
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let mut failed: Option<HitlError> = None;
        for view in record.updatable_views() {
            if let Err(err) = self.0.show_outcome(&view).await {
                tracing::info!(approval_id = %record.approval_id, channel = ?view.origin, error = err.name(), "outcome not shown on one message");
                failed = Some(match failed {
                    Some(first) if !err.is_transient() || first.is_transient() => first,
                    _ => err,
                });
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Progress on each message that shows it this way; `true` when any did. A failure is
    /// the update's after every message was tried.
    async fn show_progress(&self, record: &ApprovalRecord) -> Result<bool, HitlError> {
        let (mut shown, mut failed) = (false, None);
        for view in record.updatable_views() {
            match self.0.show_progress(&view).await {
                Ok(any) => shown |= any,
                Err(err) => failed = failed.or(Some(err)),
            }
        }
        match failed {
            Some(err) if !shown => Err(err),
            _ => Ok(shown),
        }
    }
}
