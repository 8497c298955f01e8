//! Waiting for the burst, draining, and checking every execution against its record.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::Value;

use super::{email, slack, Flow, Request, Target, EMAIL_FLOW, SLACK_FLOW};

mod report;
pub use report::Report;

/// The approvals table: the template's `ApprovalsTable` (named after its logical id locally).
pub(super) async fn table_name(target: &Target) -> String {
    let tables = target.dynamodb.list_tables().send().await;
    tables
        .ok()
        .and_then(|t| {
            t.table_names()
                .iter()
                .find(|n| n.contains("Approvals"))
                .cloned()
        })
        .unwrap_or_else(|| "ApprovalsTable".to_string())
}

/// Approvals whose record holds a task token: their Task is waiting.
async fn approvals_with_token(target: &Target, table: &str) -> HashSet<String> {
    let pages = target
        .dynamodb
        .scan()
        .table_name(table)
        .projection_expression("approvalId")
        .filter_expression("attribute_exists(taskToken)")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    pages
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item.get("approvalId")?.as_s().ok().cloned())
        .collect()
}

/// Executions of both flows with `status`.
async fn count(target: &Target, status: ExecutionStatus) -> usize {
    let mut total = 0;
    for flow in [EMAIL_FLOW, SLACK_FLOW] {
        let items = target
            .sfn
            .list_executions()
            .state_machine_arn(Target::state_machine_arn(flow))
            .status_filter(status.clone())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        total += items.map(|i| i.len()).unwrap_or(0);
    }
    total
}

/// Waits until every request's emails or message went out and its Task holds a token (or it
/// failed, or `timeout` passed); returns how many never got there.
pub async fn wait_until_waiting(
    target: &Target,
    requests: &mut [Request],
    timeout: Duration,
) -> usize {
    let deadline = Instant::now() + timeout;
    let table = table_name(target).await;
    let total = requests.len();
    let (mut emails_done, mut slack_done) = (false, false);
    loop {
        if !emails_done {
            emails_done = email::attach_emails(target, requests)
                .await
                .unwrap_or(false);
        }
        if !slack_done {
            slack_done = slack::attach_messages(target, requests)
                .await
                .unwrap_or(false);
        }
        let tokens = approvals_with_token(target, &table).await;
        let waiting = requests
            .iter()
            .filter(|r| r.approval_id.as_ref().is_some_and(|id| tokens.contains(id)))
            .count();
        let failed = count(target, ExecutionStatus::Failed).await;
        target.progress.set_waiting(waiting);
        target.progress.set_failed(failed);
        if waiting + failed >= total || Instant::now() > deadline {
            return total - waiting;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Waits until no execution runs, at most `timeout`; returns how many still run.
pub async fn drain(target: &Target, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let running = count(target, ExecutionStatus::Running).await;
        target.progress.set_running(running);
        if running == 0 || Instant::now() > deadline {
            return running;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// What the stack holds about one request after the drain.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    pub status: String,
    pub error: Option<String>,
    pub output: Value,
    /// Unix seconds.
    pub stopped_at: Option<f64>,
    /// The record's `decision`, `decidedById`, `decidedAt` (unix seconds).
    pub decision: Option<(String, String, f64)>,
    /// The record's `deliveredAt`: when Step Functions accepted the decision.
    pub delivered_at: Option<f64>,
    /// Slack: when Step Functions accepted the callback (the wait's `TaskSucceeded`).
    pub callback_at: Option<f64>,
}

async fn observe(target: &Target, table: &str, request: &Request) -> Observed {
    let mut seen = Observed::default();
    if let Ok(out) = target
        .sfn
        .describe_execution()
        .execution_arn(&request.arn)
        .send()
        .await
    {
        seen.status = out.status().as_str().to_string();
        seen.error = out.error().map(str::to_string);
        seen.output = out
            .output()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default();
        seen.stopped_at = out.stop_date().map(|d| d.as_secs_f64());
    }
    if let Some(id) = &request.approval_id {
        (seen.decision, seen.delivered_at) = match decision_of(target, table, id).await {
            Some((decision, delivered_at)) => (Some(decision), delivered_at),
            None => (None, None),
        };
    }
    if request.flow == Flow::Slack {
        seen.callback_at = callback_time(target, &request.arn).await;
    }
    seen
}

pub(super) async fn decision_of(
    target: &Target,
    table: &str,
    approval_id: &str,
) -> Option<((String, String, f64), Option<f64>)> {
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
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let decided_at: f64 = item.get("decidedAt")?.as_n().ok()?.parse().ok()?;
    // Seconds today; milliseconds would also read right.
    let decided_at = if decided_at > 1e11 {
        decided_at / 1000.0
    } else {
        decided_at
    };
    let delivered_at = item
        .get("deliveredAt")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok());
    Some((
        (
            s("decision")?,
            s("decidedById").unwrap_or_default(),
            decided_at,
        ),
        delivered_at,
    ))
}

async fn callback_time(target: &Target, arn: &str) -> Option<f64> {
    let history = target
        .sfn
        .get_execution_history()
        .execution_arn(arn)
        .reverse_order(true)
        .max_results(100)
        .send()
        .await
        .ok()?;
    history
        .events()
        .iter()
        .find(|e| e.r#type().as_str() == "TaskSucceeded")
        .map(|e| e.timestamp().as_secs_f64())
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Checks every request against its record: doubles, losses, re-delivery latency.
pub async fn check(
    target: &Arc<Target>,
    requests: &[Request],
    last_click: SystemTime,
) -> anyhow::Result<Report> {
    let table = Arc::new(table_name(target).await);
    let limit = Arc::new(tokio::sync::Semaphore::new(32));
    let tasks: Vec<_> = requests
        .iter()
        .cloned()
        .map(|request| {
            let (target, table, limit) = (target.clone(), table.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire().await;
                observe(&target, &table, &request).await
            })
        })
        .collect();
    let mut observed = Vec::with_capacity(tasks.len());
    for task in tasks {
        observed.push(task.await?);
    }
    let chat = slack::snapshot(target).await.unwrap_or_default();
    let messages: HashMap<(String, String), String> = chat["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let field = |name: &str| m[name].as_str().unwrap_or_default().to_string();
            ((field("channel"), field("ts")), field("text"))
        })
        .collect();
    let refusals = chat["ephemerals"].as_array().map_or(0, Vec::len);
    let mut report = Report::default();
    for (request, seen) in requests.iter().zip(&observed) {
        let text = request.message.as_ref().and_then(|m| messages.get(m));
        report.add(request, seen, text.map(String::as_str));
    }
    report.slack_refusals = refusals;
    report.finish(unix(last_click));
    Ok(report)
}
