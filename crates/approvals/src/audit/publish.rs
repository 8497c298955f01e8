//! Publishing the events of a batch of committed writes, in order, at least once.
//!
//! The writes' events go out [`MAX_ENTRIES_PER_CALL`] at a time, in the order of the writes.
//! At the first write not wholly published (a refused call, a refused event, a write whose
//! record could not be read) publishing stops, and that write is named: the caller (the stream
//! function) reports it, so the stream hands it and everything after it over again. Events
//! already out are then published again with the same `eventId`s: consumers drop repeats.

use crate::ports::AuditSink;
use crate::HitlError;

/// The most events one `PutEvents` call takes.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// One event to publish: its stable id, its `detail-type`, its `detail` JSON, and when the
/// write was made (unix seconds, when known).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub event_id: String,
    pub detail_type: &'static str,
    pub detail: String,
    pub time: Option<f64>,
}

/// One committed write: what names it to its source (a stream sequence number), and its events
/// (or why they could not be read).
pub struct Write {
    pub id: String,
    pub entries: Result<Vec<AuditEntry>, HitlError>,
}

/// Publishes the events of `writes` in order; the id of the first write not wholly published.
pub async fn publish_writes(sender: &dyn AuditSink, writes: Vec<Write>) -> Option<String> {
    let mut pending: Vec<(usize, AuditEntry)> = Vec::new();
    let mut unreadable = None;
    for (i, write) in writes.iter().enumerate() {
        match &write.entries {
            Ok(entries) => pending.extend(entries.iter().cloned().map(|e| (i, e))),
            Err(err) => {
                tracing::error!(error = err.name(), message = %err, write = %write.id, "a write's record could not be read: retried, then kept by the failure destination");
                unreadable = Some(i);
                break;
            }
        }
    }
    let failed = first_failure(sender, &pending).await.or(unreadable);
    failed.map(|i| writes[i].id.clone())
}

/// Sends the entries ten at a time; the write of the first entry not published, if any.
async fn first_failure(sender: &dyn AuditSink, pending: &[(usize, AuditEntry)]) -> Option<usize> {
    for chunk in pending.chunks(MAX_ENTRIES_PER_CALL) {
        let entries: Vec<AuditEntry> = chunk.iter().map(|(_, e)| e.clone()).collect();
        let failed_at = match sender.publish_events(&entries).await {
            Err(err) => {
                tracing::warn!(error = err.name(), message = %err, "publishing audit events failed: retried from the first write not published");
                Some(0)
            }
            Ok(results) => {
                // An answer missing for an entry counts as a refusal: never assume it went out.
                let failed = (0..chunk.len()).find(|&n| !matches!(results.get(n), Some(None)));
                if let Some(n) = failed {
                    let code = results.get(n).cloned().flatten();
                    tracing::warn!(error_code = ?code, event_id = %chunk[n].1.event_id, "an audit event was refused: retried");
                }
                failed
            }
        };
        if let Some(n) = failed_at {
            return Some(chunk[n].0);
        }
    }
    None
}
