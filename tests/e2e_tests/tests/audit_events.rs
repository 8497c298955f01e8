//! The audit trail on the local stack (docs/AUDIT.md): a request, its decision and its delivery
//! are published on the audit bus in that order, from the table's stream through the real Audit
//! Publisher; an EventBridge outage while they happen loses none (the stream hands the failed
//! records over again); a record removed by TTL is published as such.
//!
//! Faults are global to this binary's stack, so the scenarios run as phases of one test.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

const FLOW: &str = "EmailApprovalStateMachine";
const LONG: Duration = Duration::from_secs(60);

async fn post(path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}{path}", endpoints().api))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

fn approval_id_of(link: &str) -> String {
    let path = link.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

/// The audit events of `approval_id` published so far, in the order they were read.
async fn events_of(approval_id: &str) -> Vec<Value> {
    let all = local_api("/_local/api/audit-events").await;
    all["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["approvalId"] == approval_id)
        .cloned()
        .collect()
}

/// Waits until `approval_id`'s events include every type of `wanted`; returns them all.
async fn wait_for_types(approval_id: &str, wanted: &[&str]) -> Vec<Value> {
    let deadline = Instant::now() + LONG;
    loop {
        let events = events_of(approval_id).await;
        let types: Vec<&str> = events
            .iter()
            .filter_map(|e| e["detail-type"].as_str())
            .collect();
        if wanted.iter().all(|w| types.contains(w)) {
            return events;
        }
        assert!(Instant::now() < deadline, "{approval_id}: only {types:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The detail-types in first-published order, one per `eventId` (repeats after a retry
/// dropped as a consumer would).
fn first_of_each_event(events: &[Value]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut types = Vec::new();
    for e in events {
        let id = e["detail"]["eventId"].as_str().unwrap().to_string();
        if !seen.contains(&id) {
            seen.push(id);
            types.push(e["detail-type"].as_str().unwrap().to_string());
        }
    }
    types
}

#[tokio::test]
async fn requests_decisions_deliveries_and_ttl_removals_are_published_and_an_outage_loses_none() {
    // Phase 1: EventBridge refuses every PutEvents while the request is made and decided.
    post(
        "/_local/api/faults",
        json!({"rules": [{"service": "events", "operation": "PutEvents", "errorRate": 1.0}]}),
    )
    .await;
    let title = unique("Audit db-7");
    let arn = start_execution(FLOW, json!({"title": title, "to": ["owner@example.com"]})).await;
    let emails = emails_matching(&title, 1).await;
    let (approve, _) = links_of(&emails[0]);
    let approval_id = approval_id_of(&approve);
    let done = confirm(&approve, &[("name", "Dana Ops")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(wait_for_end(&arn, LONG).await.status, "SUCCEEDED");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        events_of(&approval_id).await.is_empty(),
        "nothing can be published while EventBridge refuses"
    );
    let retried = local_api("/_local/api/audit-events").await["mapping"]["retries"].clone();
    assert!(
        retried.as_u64().unwrap() > 0,
        "the stream hands the batch over again: {retried}"
    );

    // Phase 2: EventBridge is back: every event comes, in the order things happened.
    post("/_local/api/faults", json!({"rules": []})).await;
    let wanted = [
        "Approval Requested",
        "Approval Decided",
        "Decision Delivered",
    ];
    let events = wait_for_types(&approval_id, &wanted).await;
    assert_eq!(first_of_each_event(&events), wanted, "{events:#?}");
    let decided = events
        .iter()
        .find(|e| e["detail-type"] == "Approval Decided")
        .unwrap();
    assert_eq!(decided["source"], "hitl.approvals");
    assert_eq!(decided["detail"]["decision"]["decision"], "approve");
    assert_eq!(
        decided["detail"]["decision"]["decidedBy"]["name"],
        "Dana Ops"
    );
    assert_eq!(
        decided["detail"]["decision"]["decidedBy"]["channel"],
        "email"
    );
    let token = attr(&approval_record(&approval_id).await, "taskToken");
    let text = serde_json::to_string(&events).unwrap();
    assert!(
        !token.is_empty() && !text.contains(&token),
        "no event carries the task token"
    );

    // Phase 3: its retention ends: TTL removes the record, and that is published as such.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let in_a_year = now.as_secs() + 400 * 24 * 3600;
    let swept = post("/_local/api/audit/ttl-sweep", json!({"now": in_a_year})).await;
    assert!(
        swept["removed"]
            .as_array()
            .unwrap()
            .contains(&json!(approval_id)),
        "{swept}"
    );
    let events = wait_for_types(&approval_id, &["Record Removed"]).await;
    let removed = events
        .iter()
        .find(|e| e["detail-type"] == "Record Removed")
        .unwrap();
    assert_eq!(removed["detail"]["removedByTtl"], true, "{removed}");
}
