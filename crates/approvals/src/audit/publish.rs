//! Publishing the events of a batch of committed writes, in order, at least once.
//!
//! The writes' events go out in the order of the writes, at most [`MAX_ENTRIES_PER_CALL`] and
//! [`MAX_BYTES_PER_CALL`] (counted as EventBridge counts them, [`entry_size`]) per call: a call
//! over either limit is refused whole, every time, and would hold the stream shard forever.
//! An event over the size limit on its own can never be published: it is skipped with an
//! error log (`audit event too large`, its `eventId`, its size) and the events after it go out;
//! the table keeps the write itself (docs/AUDIT.md).
//! At the first write not wholly published (a refused call, a refused event, a write whose
//! record could not be read) publishing stops, and that write is named: the caller (the stream
//! function) reports it, so the stream hands it and everything after it over again. Events
//! already out are then published again with the same `eventId`s: consumers drop repeats.

use super::SOURCE;
use crate::ports::AuditSink;
use crate::HitlError;

/// The most events one `PutEvents` call takes.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// The most bytes one `PutEvents` call takes (256 KB, the entries' sizes summed).
pub const MAX_BYTES_PER_CALL: usize = 256 * 1024;

/// An entry's size as EventBridge counts it toward [`MAX_BYTES_PER_CALL`]
/// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): 14 bytes
/// for a `Time`, and the UTF-8 bytes of `Source`, `DetailType` and `Detail` (no `Resources`
/// are sent).
pub fn entry_size(entry: &AuditEntry) -> usize {
    let time = if entry.time.is_some() { 14 } else { 0 };
    time + SOURCE.len() + entry.detail_type.len() + entry.detail.len()
}

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

/// The entries in calls of at most ten and 256 KB, in order; an entry too large for any call is
/// left out (logged), so it cannot hold back those after it.
fn batches(pending: &[(usize, AuditEntry)]) -> Vec<&[(usize, AuditEntry)]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (n, (_, entry)) in pending.iter().enumerate() {
        let size = entry_size(entry);
        let full = n - start == MAX_ENTRIES_PER_CALL || bytes + size > MAX_BYTES_PER_CALL;
        if full && n > start {
            out.push(&pending[start..n]);
            (start, bytes) = (n, 0);
        }
        if size > MAX_BYTES_PER_CALL {
            tracing::error!(event_id = %entry.event_id, detail_type = entry.detail_type, size, limit = MAX_BYTES_PER_CALL, "audit event too large: not published (the table keeps the write)");
            start = n + 1;
            continue;
        }
        bytes += size;
    }
    if start < pending.len() {
        out.push(&pending[start..]);
    }
    out
}

/// Sends the entries in [`batches`]; the write of the first entry not published, if any.
async fn first_failure(sender: &dyn AuditSink, pending: &[(usize, AuditEntry)]) -> Option<usize> {
    for chunk in batches(pending) {
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

#[cfg(test)]
mod tests;
