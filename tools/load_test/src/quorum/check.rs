//! Reads what the stack holds about every request after the drain (the record by a consistent
//! read, the execution, its history, the audit trail) and hands it to [`super::judge`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::judge::{judge, RecordSeen, RecordVote, Seen};
use super::{QuorumReport, Voted};
use crate::{verify, Target};

/// The audit trail kept locally holds this many events at most (`audit::bus::KEPT`); a run
/// that made more is not checked against it.
const AUDIT_KEPT: usize = 2000;

/// Judges every request into `report`.
pub async fn check_all(target: &Arc<Target>, voted: &[Voted], report: &mut QuorumReport) {
    let table = Arc::new(verify::table_name(target).await);
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    let tasks: Vec<_> = voted
        .iter()
        .map(|v| {
            let (target, table, limit) = (target.clone(), table.clone(), limit.clone());
            let (arn, id) = (v.request.arn.clone(), v.request.approval_id.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                observe(&target, &table, &arn, id.as_deref()).await
            })
        })
        .collect();
    let mut seen = Vec::with_capacity(tasks.len());
    for task in tasks {
        seen.push(task.await.unwrap_or_default());
    }
    let audit = audit_counts(target).await;
    report.audit_events = audit.as_ref().map(|a| a.values().map(|(v, d)| v + d).sum());
    for (v, mut seen) in voted.iter().zip(seen) {
        if let (Some(audit), Some(id)) = (&audit, &v.request.approval_id) {
            seen.audit = Some(audit.get(id).copied().unwrap_or((0, 0)));
        }
        let problems = judge(&v.plan, &v.people, &seen);
        report.add(v, &seen, problems);
    }
}

async fn observe(target: &Target, table: &str, arn: &str, approval_id: Option<&str>) -> Seen {
    let mut seen = Seen::default();
    if let Ok(out) = target
        .sfn
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
    {
        seen.status = out.status().as_str().to_string();
        seen.output = out
            .output()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default();
    }
    seen.resumed = resumed(target, arn).await;
    if let Some(id) = approval_id {
        seen.record = record(target, table, id).await;
    }
    seen
}

/// `TaskSucceeded` events while the execution was in `WaitForApproval` (the flow's only
/// service-integration Task): how many times its Task resumed.
async fn resumed(target: &Target, arn: &str) -> usize {
    let events = target
        .sfn
        .get_execution_history()
        .execution_arn(arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap_or_default();
    let mut state = String::new();
    let mut resumed = 0;
    for event in events {
        if let Some(entered) = event.state_entered_event_details() {
            state = entered.name().to_string();
        }
        let succeeded = event.r#type().as_str() == "TaskSucceeded";
        resumed += usize::from(succeeded && state == "WaitForApproval");
    }
    resumed
}

async fn record(target: &Target, table: &str, approval_id: &str) -> Option<RecordSeen> {
    let item = target
        .dynamodb
        .get_item()
        .table_name(table)
        .key("approvalId", AttributeValue::S(approval_id.to_string()))
        .consistent_read(true)
        .send()
        .await
        .ok()?
        .item?;
    let s = |item: &HashMap<String, AttributeValue>, name: &str| {
        item.get(name).and_then(|v| v.as_s().ok()).cloned()
    };
    let votes = item
        .get("votes")
        .and_then(|v| v.as_l().ok())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_m().ok())
        .map(|v| RecordVote {
            slot: s(v, "slot").unwrap_or_default(),
            decision: s(v, "decision").unwrap_or_default(),
            by: s(v, "decidedById").unwrap_or_default(),
            write: s(v, "w"),
        })
        .collect();
    Some(RecordSeen {
        votes,
        vote_count: item
            .get("voteCount")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
        decision: s(&item, "decision"),
        decided_by: s(&item, "decidedById"),
        decision_write: s(&item, "decisionWrite"),
        delivery_failed: item.contains_key("deliveryFailedAt"),
    })
}

/// Distinct `Vote Counted` and `Approval Decided` events per approval, once the trail stopped
/// growing (the publisher follows the table's stream); `None` when the stack keeps no trail or
/// the run made more events than it keeps.
async fn audit_counts(target: &Target) -> Option<HashMap<String, (usize, usize)>> {
    let mut last = usize::MAX;
    let mut events = Vec::new();
    for _ in 0..24 {
        let report: Value = target.get_json("/_local/api/audit-events").await.ok()?;
        events = report["events"].as_array()?.clone();
        if events.len() == last {
            break;
        }
        last = events.len();
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    if events.len() >= AUDIT_KEPT {
        return None;
    }
    let mut seen_ids = HashSet::new();
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for event in &events {
        let detail = &event["detail"];
        let id = detail["eventId"].as_str().unwrap_or_default();
        if !seen_ids.insert(id.to_string()) {
            continue;
        }
        let approval = detail["approvalId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let entry = counts.entry(approval).or_default();
        match event["detail-type"].as_str() {
            Some("Vote Counted") => entry.0 += 1,
            Some("Approval Decided") => entry.1 += 1,
            _ => {}
        }
    }
    Some(counts)
}
