//! Which approval (and which execution) a log line or a metric belongs to.
//!
//! Each event is handled inside a `request` span ([`scope`]) whose `approval_id` and
//! `execution_arn` fields are filled in as soon as they are known (from the input, from an id
//! just created, from the record read); the JSON formatter writes the current span's fields on
//! every line (`"span":{"approval_id":...}`), so one Logs Insights filter finds all of a
//! request's lines. The same ids ride along in a task-local, for the metrics' properties.

use std::future::Future;
use std::sync::Mutex;

use serde_json::Value;
use tracing::Instrument;

/// The ids known so far for the event being handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    pub approval_id: Option<String>,
    pub execution_arn: Option<String>,
    /// An approval whose decision this event committed, and when (Unix milliseconds): the
    /// precise start of its resume latency (the record keeps whole seconds).
    pub decided: Option<(String, i64)>,
}

struct Request {
    span: tracing::Span,
    ids: Mutex<Ids>,
}

tokio::task_local! {
    static REQUEST: Request;
}

/// Handles one event inside its `request` span.
pub async fn scope<F: Future>(handling: F) -> F::Output {
    // At ERROR level, so it is enabled whatever `RUST_LOG` lets through: a warning logged
    // under `RUST_LOG=warn` carries its approval id too.
    let span = tracing::error_span!(
        "request",
        approval_id = tracing::field::Empty,
        execution_arn = tracing::field::Empty
    );
    let request = Request {
        span: span.clone(),
        ids: Mutex::new(Ids::default()),
    };
    REQUEST.scope(request, handling.instrument(span)).await
}

fn with_request(f: impl FnOnce(&Request)) {
    let _ = REQUEST.try_with(f);
}

/// The approval this event is about (outside an event: nothing).
pub fn approval_id(id: &str) {
    with_request(|r| {
        r.span.record("approval_id", id);
        r.ids.lock().expect("not poisoned").approval_id = Some(id.to_string());
    });
}

/// The execution this event is about (outside an event: nothing).
pub fn execution_arn(arn: &str) {
    with_request(|r| {
        r.span.record("execution_arn", arn);
        r.ids.lock().expect("not poisoned").execution_arn = Some(arn.to_string());
    });
}

/// The execution of the record just read, when the record is this event's approval: an event
/// that reads many records (the relay's run) names none of them here.
pub fn record_read(approval_id: &str, execution_arn: Option<&str>) {
    let Some(arn) = execution_arn else { return };
    let ours = current().approval_id.as_deref() == Some(approval_id);
    if ours && current().execution_arn.is_none() {
        self::execution_arn(arn);
    }
}

pub use approvals::ids::{plausible_approval_id, MAX_APPROVAL_ID_CHARS};

/// A Task's input names its approval (`approvalId`, or in the object another function returned:
/// Send Email's `approval`, a Slack message's `message`) and execution (`executionArn`), when
/// it has them. Read before the function's strict parsing, so only values that pass the same
/// checks are recorded ([`plausible_approval_id`], `approvals::input::is_execution_arn`): a
/// workflow that wires `"executionArn.$": "$$.Task.Token"` must not put its token in the logs
/// and metrics of the very failure that refuses it.
pub fn from_input(payload: &Value) {
    let id = ["", "/approval", "/message"]
        .iter()
        .find_map(|at| payload.pointer(&format!("{at}/approvalId"))?.as_str());
    if let Some(id) = id.filter(|id| plausible_approval_id(id)) {
        approval_id(id);
    }
    let arn = payload.get("executionArn").and_then(Value::as_str);
    if let Some(arn) = arn.filter(|arn| approvals::input::is_execution_arn(arn)) {
        execution_arn(arn);
    }
}

/// This event committed the decision of `approval_id` now.
pub fn decision_committed(approval_id: &str, at_ms: i64) {
    with_request(|r| {
        r.ids.lock().expect("not poisoned").decided = Some((approval_id.to_string(), at_ms));
    });
}

/// The ids known so far (empty outside an event).
pub fn current() -> Ids {
    REQUEST
        .try_with(|r| r.ids.lock().expect("not poisoned").clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
