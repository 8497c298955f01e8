//! The audit trail on EventBridge: each stream record of the approvals table becomes the
//! events of `approvals::audit::events_between` ([`writes`]), which
//! `approvals::audit::publish_writes` publishes through [`EventBridgeAuditSink`] (`PutEvents`)
//! in the order of the stream, in calls of at most ten events and 256 KB (an event over 256 KB
//! on its own is skipped and logged), stopping at the first write not wholly published: [`BatchResponse::retry_from`] names it, and Lambda hands it over again with
//! everything after it.
//!
//! A stream record handed over again publishes its events again with the same `eventId`s (the
//! stream record's id and the event's place), which is how consumers drop repeats:
//! EventBridge itself does not.

use approvals::audit::{events_between, AuditEntry, Write, SOURCE};
use approvals::ports::AuditSink;
use approvals::HitlError;
use async_trait::async_trait;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use serde::Serialize;

use crate::dynamodb_stream::StreamRecord;
use crate::sdk_errors::classify;

/// The events of one stream record.
pub fn entries_of(record: &StreamRecord) -> Result<Vec<AuditEntry>, HitlError> {
    let (old, new) = record.records()?;
    let events = events_between(old.as_ref(), new.as_ref(), record.removed_by_ttl());
    Ok(events
        .iter()
        .enumerate()
        .map(|(n, event)| {
            let event_id = format!("{}#{n}", record.event_id);
            AuditEntry {
                detail: event.detail_json(&event_id),
                event_id,
                detail_type: event.kind.detail_type(),
                time: record.dynamodb.approximate_creation_date_time,
            }
        })
        .collect())
}

/// Lambda's answer for a stream batch: the record to hand over again, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The failed stream record's sequence number.
    pub item_identifier: String,
}

/// The writes of `records`, in stream order, for `approvals::audit::publish_writes`: each
/// named by its sequence number, which Lambda takes back as the record to retry from.
pub fn writes(records: &[StreamRecord]) -> Vec<Write> {
    records
        .iter()
        .map(|r| Write {
            id: r.dynamodb.sequence_number.clone(),
            entries: entries_of(r),
        })
        .collect()
}

impl BatchResponse {
    /// The answer when the write `failed` (a sequence number) was the first not published.
    pub fn retry_from(failed: Option<String>) -> Self {
        BatchResponse {
            batch_item_failures: failed
                .map(|item_identifier| BatchItemFailure { item_identifier })
                .into_iter()
                .collect(),
        }
    }
}

/// `PutEvents` on one event bus.
pub struct EventBridgeAuditSink {
    client: Client,
    bus_name: String,
}

impl EventBridgeAuditSink {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        EventBridgeAuditSink {
            client,
            bus_name: bus_name.into(),
        }
    }

    pub fn from_config(config: &aws_config::SdkConfig, bus_name: impl Into<String>) -> Self {
        EventBridgeAuditSink::new(Client::new(config), bus_name)
    }

    fn entry(&self, e: &AuditEntry) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(e.detail_type)
            .detail(&e.detail)
            .set_time(e.time.map(DateTime::from_secs_f64))
            .build()
    }
}

#[async_trait]
impl AuditSink for EventBridgeAuditSink {
    async fn publish_events(
        &self,
        entries: &[AuditEntry],
    ) -> Result<Vec<Option<String>>, HitlError> {
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries.iter().map(|e| self.entry(e)).collect()))
            .send()
            .await
            .map_err(|err| classify("EventBridge", err))?;
        Ok(out
            .entries()
            .iter()
            .map(|r| match r.event_id() {
                Some(_) => None,
                None => Some(r.error_code().unwrap_or("unknown").to_string()),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
