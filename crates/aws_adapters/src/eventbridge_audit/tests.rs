use std::sync::Mutex;

use approvals::audit::MAX_ENTRIES_PER_CALL;
use approvals::{ApprovalRecord, Channel, DecidedBy, Decision, RecordedDecision};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Map, Value};

use super::*;
use crate::dynamodb_item::{to_item, Item};
use crate::dynamodb_stream::{image_to_item, StreamEvent};

/// The stream's JSON of an item, as DynamoDB Streams writes it.
fn image(item: &Item) -> Map<String, Value> {
    item.iter().map(|(k, v)| (k.clone(), value(v))).collect()
}

fn value(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(s) => json!({ "SS": s }),
        AttributeValue::Ns(s) => json!({ "NS": s }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(value).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": image(m) }),
        other => panic!("not used by the store: {other:?}"),
    }
}

fn request(n: u32) -> ApprovalRecord {
    let mut r = ApprovalRecord::new(
        format!("a-{n}"),
        "Restart".into(),
        Channel::Email,
        10,
        1000,
        1,
    );
    r.task_token = Some("AQCEAAAA-secret-task-token".into());
    r
}

fn decided(r: &ApprovalRecord) -> ApprovalRecord {
    let mut d = r.clone();
    d.decision = Some(RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: "ann@x.io".into(),
            name: "Ann".into(),
            channel: Channel::Email,
        },
        decided_at: 20,
        comment: None,
        source_ip: Some("203.0.113.9".into()),
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    });
    d
}

fn record(
    seq: u32,
    old: Option<&ApprovalRecord>,
    new: Option<&ApprovalRecord>,
    ttl: bool,
) -> StreamRecord {
    let name = match (old, new) {
        (None, _) => "INSERT",
        (_, None) => "REMOVE",
        _ => "MODIFY",
    };
    let mut change =
        json!({ "SequenceNumber": seq.to_string(), "ApproximateCreationDateTime": 1.7e9 });
    if let Some(o) = old {
        change["OldImage"] = Value::Object(image(&to_item(o)));
    }
    if let Some(n) = new {
        change["NewImage"] = Value::Object(image(&to_item(n)));
    }
    let mut rec = json!({ "eventID": format!("ev{seq}"), "eventName": name, "dynamodb": change, "awsRegion": "eu-west-1" });
    if ttl {
        rec["userIdentity"] = json!({ "type": "Service", "principalId": "dynamodb.amazonaws.com" });
    }
    let event: StreamEvent = serde_json::from_value(json!({ "Records": [rec] })).unwrap();
    event.records.into_iter().next().unwrap()
}

/// Records calls; fails the calls or entries it is told to.
#[derive(Default)]
struct FakeSink {
    calls: Mutex<Vec<Vec<AuditEntry>>>,
    published: Mutex<Vec<AuditEntry>>,
    /// Event ids whose entry fails (once each).
    fail_entries: Mutex<Vec<String>>,
    fail_call: Mutex<bool>,
}

#[async_trait]
impl AuditSink for FakeSink {
    async fn publish_events(
        &self,
        entries: &[AuditEntry],
    ) -> Result<Vec<Option<String>>, HitlError> {
        assert!(entries.len() <= MAX_ENTRIES_PER_CALL);
        self.calls.lock().unwrap().push(entries.to_vec());
        if std::mem::take(&mut *self.fail_call.lock().unwrap()) {
            return Err(HitlError::transient("EventBridge", "throttled"));
        }
        let mut failing = self.fail_entries.lock().unwrap();
        Ok(entries
            .iter()
            .map(|e| match failing.iter().position(|id| *id == e.event_id) {
                Some(i) => Some(failing.remove(i)).map(|_| "InternalFailure".to_string()),
                None => {
                    self.published.lock().unwrap().push(e.clone());
                    None
                }
            })
            .collect())
    }
}

async fn publish_stream(sink: &FakeSink, records: &[StreamRecord]) -> BatchResponse {
    BatchResponse::retry_from(approvals::audit::publish_writes(sink, writes(records)).await)
}

fn published_types(sink: &FakeSink) -> Vec<&'static str> {
    sink.published
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.detail_type)
        .collect()
}

#[test]
fn a_stream_image_reads_back_as_the_record_that_was_written() {
    let r = decided(&request(1));
    let item = image_to_item(&image(&to_item(&r))).unwrap();
    assert_eq!(crate::dynamodb_item::from_item(&item).unwrap(), r);
    let bad = serde_json::from_value(json!({ "approvalId": { "Q": "x" } })).unwrap();
    assert!(image_to_item(&bad).is_err());
}

#[tokio::test]
async fn a_request_and_its_decision_publish_in_order_with_stable_ids_and_no_token() {
    let r = request(1);
    let sink = FakeSink::default();
    let records = [
        record(1, None, Some(&r), false),
        record(2, Some(&r), Some(&decided(&r)), false),
    ];
    assert_eq!(
        publish_stream(&sink, &records).await,
        BatchResponse::default()
    );
    assert_eq!(
        published_types(&sink),
        ["Approval Requested", "Approval Decided"]
    );
    let entries = sink.published.lock().unwrap().clone();
    assert_eq!(entries[1].event_id, "ev2#0");
    let detail: Value = serde_json::from_str(&entries[1].detail).unwrap();
    assert_eq!(
        (
            detail["eventId"].as_str(),
            detail["decision"]["decidedBy"]["verified"].as_bool()
        ),
        (Some("ev2#0"), Some(true))
    );
    assert!(entries
        .iter()
        .all(|e| !e.detail.contains("secret") && !e.detail.contains("203.0.113.9")));
    // The same records again (a retry) give the same ids: consumers drop the repeats.
    let again: Vec<String> = records
        .iter()
        .flat_map(|r| entries_of(r).unwrap())
        .map(|e| e.event_id)
        .collect();
    assert_eq!(again, ["ev1#0", "ev2#0"]);
}

#[tokio::test]
async fn entries_are_sent_ten_at_a_time() {
    let records: Vec<StreamRecord> = (0..23)
        .map(|n| record(n, None, Some(&request(n)), false))
        .collect();
    let sink = FakeSink::default();
    assert_eq!(
        publish_stream(&sink, &records).await,
        BatchResponse::default()
    );
    let sizes: Vec<usize> = sink.calls.lock().unwrap().iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 3]);
}

fn failure(seq: &str) -> BatchResponse {
    BatchResponse {
        batch_item_failures: vec![BatchItemFailure {
            item_identifier: seq.into(),
        }],
    }
}

#[tokio::test]
async fn a_failed_entry_reports_its_record_and_nothing_after_it_is_sent_so_a_retry_loses_none() {
    let records: Vec<StreamRecord> = (0..25)
        .map(|n| record(n, None, Some(&request(n)), false))
        .collect();
    let sink = FakeSink::default();
    sink.fail_entries.lock().unwrap().push("ev13#0".into());
    assert_eq!(publish_stream(&sink, &records).await, failure("13"));
    assert_eq!(
        sink.calls.lock().unwrap().len(),
        2,
        "no call after the failed one"
    );
    // Lambda retries from record 13: every event is then published at least once, in order.
    publish_stream(&sink, &records[13..]).await;
    let ids: Vec<String> = sink
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_id.clone())
        .collect();
    // Records 14 to 19 went out twice (same ids: consumers drop them); none is missing, and
    // after the retry's start every record comes in stream order.
    let mut seen: Vec<String> = ids.clone();
    seen.sort();
    seen.dedup();
    assert_eq!((ids.len(), seen.len()), (31, 25), "{ids:?}");
    let retried: Vec<String> = (13..25).map(|n| format!("ev{n}#0")).collect();
    assert_eq!(ids[19..], retried[..], "{ids:?}");
}

#[tokio::test]
async fn a_failed_call_reports_the_first_record_of_its_chunk() {
    let records: Vec<StreamRecord> = (0..3)
        .map(|n| record(n, None, Some(&request(n)), false))
        .collect();
    let sink = FakeSink::default();
    *sink.fail_call.lock().unwrap() = true;
    assert_eq!(publish_stream(&sink, &records).await, failure("0"));
}

#[tokio::test]
async fn an_unreadable_image_is_reported_after_the_records_before_it_are_published() {
    let mut records: Vec<StreamRecord> = (0..3)
        .map(|n| record(n, None, Some(&request(n)), false))
        .collect();
    records[1].dynamodb.new_image =
        Some(serde_json::from_value(json!({ "approvalId": { "N": "oops" } })).unwrap());
    let sink = FakeSink::default();
    assert_eq!(publish_stream(&sink, &records).await, failure("1"));
    assert_eq!(sink.published.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_ttl_removal_is_published_as_such_and_another_delete_is_not_called_one() {
    let r = decided(&request(1));
    let sink = FakeSink::default();
    publish_stream(
        &sink,
        &[
            record(1, Some(&r), None, true),
            record(2, Some(&r), None, false),
        ],
    )
    .await;
    let entries = sink.published.lock().unwrap().clone();
    let by_ttl: Vec<Value> = entries
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.detail).unwrap()["removedByTtl"].clone())
        .collect();
    assert_eq!(published_types(&sink), ["Record Removed", "Record Removed"]);
    assert_eq!(by_ttl, [json!(true), json!(false)]);
}
