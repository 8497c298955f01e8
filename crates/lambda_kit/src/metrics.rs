//! The product's metrics, written as CloudWatch Embedded Metric Format: one JSON object per line
//! on stdout, which CloudWatch Logs turns into metrics, so counting costs no API call and no
//! latency. The namespace is `METRICS_NAMESPACE` (the template sets `Hitl/<stack name>`); unset,
//! nothing is written (said once at start).
//!
//! Every metric the product emits is named here, once ([`names`]), beside the one function that
//! shapes a document ([`document`], pure). Each line also carries the request's `approvalId` and
//! `executionArn` (as plain properties, not dimensions) when they are known
//! ([`crate::correlation`]). The domain never sees any of this: mains and adapters call the
//! functions below with what their use cases returned.

use std::io::Write;
use std::sync::OnceLock;

use approvals::{Channel, HitlError, Retry};
use serde_json::{json, Map, Value};

use crate::correlation::Ids;

/// The metric names, as alarms and the dashboard in `template.yaml` know them.
pub mod names {
    pub const DECISIONS_RECORDED: &str = "DecisionsRecorded";
    pub const RESUME_LATENCY: &str = "ResumeLatency";
    pub const LATE_CLICKS: &str = "LateClicks";
    pub const REDELIVERED: &str = "Redelivered";
    pub const RELAY_GAVE_UP: &str = "RelayGaveUp";
    pub const OLDEST_UNDELIVERED_AGE: &str = "OldestUndeliveredAgeSeconds";
    pub const VENDOR_REFUSALS: &str = "VendorRefusals";
    pub const COLD_STARTS: &str = "ColdStarts";
    pub const COLD_START_FAILURES: &str = "ColdStartFailures";
    pub const TASKS_FAILED: &str = "TasksFailed";
    pub const REMINDER_SEND_FAILURES: &str = "ReminderSendFailures";
    /// Every one of them.
    pub const ALL: [&str; 11] = [
        DECISIONS_RECORDED,
        RESUME_LATENCY,
        LATE_CLICKS,
        REDELIVERED,
        RELAY_GAVE_UP,
        OLDEST_UNDELIVERED_AGE,
        VENDOR_REFUSALS,
        COLD_STARTS,
        COLD_START_FAILURES,
        TASKS_FAILED,
        REMINDER_SEND_FAILURES,
    ];
}

/// The units we use (EMF takes CloudWatch's unit names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Seconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Seconds => "Seconds",
        }
    }
}

/// One value of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datum {
    pub name: &'static str,
    pub unit: Unit,
    pub value: f64,
}

/// How a document's metrics are dimensioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimensions<'a> {
    /// No dimension.
    None,
    /// One dimension (`Channel` = `slack`).
    One(&'static str, &'a str),
    /// One dimension, and the same values again without it: an alarm can only watch a metric
    /// as it was published (it cannot sum over a dimension's values), so a metric alarmed on
    /// as a whole (`TasksFailed`, `ColdStartFailures`) is also published undimensioned.
    WithTotal(&'static str, &'a str),
}

/// An EMF document (pure): `_aws` with the timestamp and one metric directive, the dimension
/// and metric values as top-level members, then `properties` (never overriding those).
pub fn document(
    namespace: &str,
    timestamp_ms: i64,
    dimensions: Dimensions<'_>,
    data: &[Datum],
    properties: &[(&str, &str)],
) -> Value {
    let mut root = Map::new();
    let sets: Vec<Vec<&str>> = match dimensions {
        Dimensions::None => vec![vec![]],
        Dimensions::One(key, value) => {
            root.insert(key.into(), value.into());
            vec![vec![key]]
        }
        Dimensions::WithTotal(key, value) => {
            root.insert(key.into(), value.into());
            vec![vec![key], vec![]]
        }
    };
    let metrics: Vec<Value> = data
        .iter()
        .map(|d| json!({"Name": d.name, "Unit": d.unit.name()}))
        .collect();
    for d in data {
        root.insert(d.name.into(), json!(d.value));
    }
    for (key, value) in properties {
        root.entry(*key).or_insert_with(|| (*value).into());
    }
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": sets,
                "Metrics": metrics,
            }],
        }),
    );
    Value::Object(root)
}

/// `METRICS_NAMESPACE`, read once.
fn namespace() -> Option<&'static str> {
    static NAMESPACE: OnceLock<Option<String>> = OnceLock::new();
    NAMESPACE
        .get_or_init(|| {
            let ns = std::env::var("METRICS_NAMESPACE")
                .ok()
                .filter(|ns| !ns.trim().is_empty());
            if ns.is_none() {
                tracing::info!("METRICS_NAMESPACE is not set: no metrics are written");
            }
            ns
        })
        .as_deref()
}

/// The approval a data point is about, and its execution when the caller knows it.
type About<'a> = Option<(&'a str, Option<&'a str>)>;

/// Writes one document to stdout, as one line, with the ids of the approval it is about, or else
/// the request's ([`crate::correlation`]).
fn emit(dimensions: Dimensions<'_>, data: &[Datum], about: About<'_>) {
    let Some(namespace) = namespace() else {
        return;
    };
    let line = line(namespace, dimensions, data, about);
    // One write of the whole line, so it never interleaves with a log line.
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// One document as the line [`emit`] writes, with the ids of `about` or the request's.
fn line(namespace: &str, dimensions: Dimensions<'_>, data: &[Datum], about: About<'_>) -> String {
    let ids = crate::correlation::current();
    let properties = correlation_properties(about, &ids);
    document(namespace, now_ms(), dimensions, data, &properties).to_string()
}

/// `approvalId` and `executionArn` of a data point about `about` (or, without it, the
/// request's), sent while handling a request that knows `ids`. The request's execution is
/// another approval's when the request is not about this one: then it is left out.
fn correlation_properties<'a>(about: About<'a>, ids: &'a Ids) -> Vec<(&'static str, &'a str)> {
    let (approval_id, execution_arn) = match about {
        Some((id, arn)) => {
            let ours = ids.approval_id.as_deref() == Some(id);
            (
                Some(id),
                arn.or(ids.execution_arn.as_deref().filter(|_| ours)),
            )
        }
        None => (ids.approval_id.as_deref(), ids.execution_arn.as_deref()),
    };
    let mut properties = Vec::new();
    if let Some(id) = approval_id {
        properties.push(("approvalId", id));
    }
    if let Some(arn) = execution_arn {
        properties.push(("executionArn", arn));
    }
    properties
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn count(name: &'static str, n: usize) -> Datum {
    Datum {
        name,
        unit: Unit::Count,
        value: n as f64,
    }
}

/// What a cold start is reported as: the function's name as Lambda gives it.
fn function_name() -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "unknown".into())
}

/// A decision write committed (first decision wins), by the channel it was made on.
pub fn decision_recorded(channel: Channel, approval_id: &str, execution_arn: Option<&str>) {
    let channel = channel_name(channel);
    let data = [count(names::DECISIONS_RECORDED, 1)];
    let about = Some((approval_id, execution_arn));
    emit(Dimensions::One("Channel", channel), &data, about);
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Slack => "slack",
        Channel::Teams => "teams",
    }
}

/// From the decision to `SendTaskSuccess` accepted, whoever delivered it.
pub fn resume_latency(latency_ms: i64, approval_id: &str) {
    let data = [Datum {
        name: names::RESUME_LATENCY,
        unit: Unit::Milliseconds,
        value: latency_ms.max(0) as f64,
    }];
    emit(Dimensions::None, &data, Some((approval_id, None)));
}

/// A click or link POST that came after the workflow stopped waiting: one kept in the record's
/// late decisions, or an expired link's POST (answered without reading the record).
pub fn late_click(approval_id: &str, execution_arn: Option<&str>) {
    let data = [count(names::LATE_CLICKS, 1)];
    emit(Dimensions::None, &data, Some((approval_id, execution_arn)));
}

/// One pass of the Decision Relay: what it delivered, what it gave up, and how old the
/// oldest decision it left undelivered is (0 when none; see `approvals::delivery`).
pub fn relay_pass(redelivered: usize, gave_up: usize, oldest_undelivered_age_seconds: i64) {
    let data = [
        count(names::REDELIVERED, redelivered),
        count(names::RELAY_GAVE_UP, gave_up),
        Datum {
            name: names::OLDEST_UNDELIVERED_AGE,
            unit: Unit::Seconds,
            value: oldest_undelivered_age_seconds.max(0) as f64,
        },
    ];
    emit(Dimensions::None, &data, None);
}

/// One run of Approval Reminders: the reminder messages that failed (each reminder stays
/// counted, so a failing mailbox or channel is not asked again every minute).
pub fn reminder_run(failed: usize) {
    let data = [count(names::REMINDER_SEND_FAILURES, failed)];
    emit(Dimensions::None, &data, None);
}

/// The vendor a refusal came from, when `err` is one: an error answer from Slack, Teams, Jira,
/// Microsoft Graph or a mail service. Not a throttle, an outage or an ambiguous post (those are
/// retried, or relayed, and are not the vendor saying no).
pub fn refusing_vendor(err: &HitlError) -> Option<&'static str> {
    match err {
        HitlError::EmailRejected(_) => Some("email"),
        HitlError::Dependency {
            name,
            retry: Retry::Never | Retry::Gone,
            ..
        } => vendor_of(name),
        _ => None,
    }
}

/// The `Vendor` value (the one the template's alarms filter on) of a service's error, from the
/// first part of the name its adapter gave it (`Slack.ChannelNotFound`: `slack`).
fn vendor_of(name: &str) -> Option<&'static str> {
    Some(match name.split_once('.')?.0 {
        "Slack" => "slack",
        "Teams" => "teams",
        "Jira" => "jira",
        "Outlook" => "graph",
        "Smtp" => "email",
        _ => return None,
    })
}

/// Counts `err` when it is a vendor's refusal ([`refusing_vendor`]).
pub fn vendor_refusal(err: &HitlError) {
    if let Some(vendor) = refusing_vendor(err) {
        let data = [count(names::VENDOR_REFUSALS, 1)];
        emit(Dimensions::One("Vendor", vendor), &data, None);
    }
}

/// A new execution environment started (once per process, at init).
pub fn cold_start() {
    let function = function_name();
    let data = [count(names::COLD_STARTS, 1)];
    emit(Dimensions::WithTotal("Function", &function), &data, None);
}

/// A cold start's dependencies (secrets, clients) failed to build.
pub fn cold_start_failure() {
    let function = function_name();
    let data = [count(names::COLD_START_FAILURES, 1)];
    emit(Dimensions::WithTotal("Function", &function), &data, None);
}

/// The `TasksFailed` line of `err`: by `Error` always, and in the undimensioned total (the
/// one `TasksFailedAlarm` watches) unless the recommended `Retry` usually recovers it
/// ([`HitlError::is_transient`]: `Hitl.Transient`, a vendor's `RateLimited`/`Unavailable`),
/// so a blip the next attempt fixes pages nobody.
pub(crate) fn task_failed_line(namespace: &str, err: &HitlError) -> String {
    let dimensions = if err.is_transient() {
        Dimensions::One("Error", err.name())
    } else {
        Dimensions::WithTotal("Error", err.name())
    };
    line(
        namespace,
        dimensions,
        &[count(names::TASKS_FAILED, 1)],
        None,
    )
}

/// A Task ended with `err`: counted by the name Step Functions sees, and as a vendor refusal
/// when it is one.
pub fn task_failed(err: &HitlError) {
    if let Some(namespace) = namespace() {
        let line = task_failed_line(namespace, err);
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
    vendor_refusal(err);
}

#[cfg(test)]
mod tests;
