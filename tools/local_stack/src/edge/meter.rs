//! The meter: every billable call the local stack sees, counted the way AWS bills it, for
//! `hitl-load --scenario cost` (load_test::cost). Off until `POST /_local/api/meter
//! {"on": true}`: metering reads each written item before and after the write (side calls to
//! moto) and asks which process made each call, work the other scenarios should not pay for.
//!
//! Who made a call ([`Caller`]) is kept with it, so a run can leave out its own calls (the load
//! tool's `StartExecution`s and history reads) and the schedules' runs during a phase.
//! Counters only grow: a run diffs two snapshots.

pub mod capacity;
mod dynamodb;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use dynamodb::{after, before, Pending};

/// The stack's one meter (a `hitl-local` process is one stack).
pub static METER: LazyLock<Meter> = LazyLock::new(Meter::default);

/// The load tool's SDK names itself so (`AppName`), and the edge leaves its calls aside.
pub const LOAD_TOOL_APP: &str = "hitl-load";

#[derive(Default)]
pub struct Meter {
    on: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    /// Read request units, in halves.
    pub read_halves: u64,
    pub write_units: u64,
    /// Write request units taken by global secondary indexes.
    pub index_write_units: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaUse {
    pub invocations: u64,
    /// Each invocation's duration rounded up to the millisecond, as Lambda bills it.
    pub billed_ms: u64,
    pub cold_starts: u64,
    /// Process start to its first poll of `/next` (billed on `provided.al2023`).
    pub init_ms: u64,
}

#[derive(Default)]
struct State {
    /// caller → `service.Operation` → calls answered by moto.
    calls: BTreeMap<String, BTreeMap<String, u64>>,
    dynamodb: BTreeMap<String, Capacity>,
    ses_recipients: BTreeMap<String, u64>,
    lambda: BTreeMap<String, LambdaUse>,
    http_api: BTreeMap<String, u64>,
    standins: BTreeMap<String, u64>,
    log_bytes: BTreeMap<String, u64>,
    /// Per function, `namespace|metric|dimension=value,...` of each metric it emitted (EMF).
    metrics: BTreeMap<String, BTreeSet<String>>,
    /// Stored bytes of each item written while metering (with index entries and overhead).
    items: HashMap<String, u64>,
    /// Callers already looked up: peer → (function, pid).
    peers: HashMap<SocketAddr, (String, u32)>,
}

impl Meter {
    pub fn on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn call(&self, caller: &str, call: &str) {
        if self.on() {
            *self
                .lock()
                .calls
                .entry(caller.into())
                .or_default()
                .entry(call.into())
                .or_default() += 1;
        }
    }

    fn capacity(&self, caller: &str, add: &Capacity) {
        let mut st = self.lock();
        let c = st.dynamodb.entry(caller.into()).or_default();
        c.read_halves += add.read_halves;
        c.write_units += add.write_units;
        c.index_write_units += add.index_write_units;
    }

    fn stored(&self, item: String, bytes: Option<u64>) {
        let mut st = self.lock();
        match bytes {
            Some(bytes) => st.items.insert(item, bytes),
            None => st.items.remove(&item),
        };
    }

    fn ses(&self, caller: &str, recipients: u64) {
        *self.lock().ses_recipients.entry(caller.into()).or_default() += recipients;
    }

    /// An invocation of the function `arn` ended after `duration` (from its pick-up).
    pub fn invoked(&self, arn: &str, duration: Duration) {
        if self.on() {
            let mut st = self.lock();
            let f = st.lambda.entry(function_of(arn)).or_default();
            f.invocations += 1;
            f.billed_ms += duration.as_micros().div_ceil(1000) as u64;
        }
    }

    /// A process of the function `arn` polled for its first event `init` after it started.
    pub fn initialized(&self, arn: &str, init: Duration) {
        if self.on() {
            let mut st = self.lock();
            let f = st.lambda.entry(function_of(arn)).or_default();
            f.cold_starts += 1;
            f.init_ms += init.as_micros().div_ceil(1000) as u64;
        }
    }

    /// A request the HttpApi routed to a function (`route`: its route key).
    pub fn http_request(&self, route: &str) {
        if self.on() {
            *self.lock().http_api.entry(route.into()).or_default() += 1;
        }
    }

    /// A call to a stand-in (Slack, Teams, Jira): free, but counted.
    pub fn standin(&self, service: &str, operation: &str) {
        if self.on() {
            *self
                .lock()
                .standins
                .entry(format!("{service}.{operation}"))
                .or_default() += 1;
        }
    }

    /// A line a function's process wrote (`tag`: `Function#instance`), as CloudWatch Logs
    /// would ingest it; an Embedded Metric Format line names custom metrics.
    pub fn log_line(&self, tag: &str, line: &str) {
        if !self.on() {
            return;
        }
        let function = tag.split('#').next().unwrap_or(tag);
        let metrics = if line.contains("CloudWatchMetrics") {
            emf_metrics(line)
        } else {
            Vec::new()
        };
        let mut st = self.lock();
        *st.log_bytes.entry(function.into()).or_default() += line.len() as u64 + 1;
        if !metrics.is_empty() {
            st.metrics
                .entry(function.into())
                .or_default()
                .extend(metrics);
        }
    }

    pub fn snapshot(&self) -> Value {
        let st = self.lock();
        json!({
            "on": self.on(),
            "calls": st.calls,
            "dynamodb": st.dynamodb,
            "sesRecipients": st.ses_recipients,
            "storedBytes": st.items.values().sum::<u64>(),
            "storedItems": st.items.len(),
            "lambda": st.lambda,
            "httpApi": st.http_api,
            "standins": st.standins,
            "logBytes": st.log_bytes,
            "metrics": st.metrics,
        })
    }
}

/// `arn:aws:lambda:…:function:Name` → `Name`.
fn function_of(arn: &str) -> String {
    arn.rsplit(':').next().unwrap_or(arn).to_string()
}

/// The metrics of an EMF line: one per metric and dimension set, with the dimensions' values.
pub fn emf_metrics(line: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(line) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for directive in doc["_aws"]["CloudWatchMetrics"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let namespace = directive["Namespace"].as_str().unwrap_or_default();
        let sets: Vec<Vec<String>> = match directive["Dimensions"].as_array() {
            Some(sets) if !sets.is_empty() => sets
                .iter()
                .map(|set| {
                    let names = set
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str);
                    names.map(|n| format!("{n}={}", text(&doc[n]))).collect()
                })
                .collect(),
            _ => vec![Vec::new()],
        };
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let name = metric["Name"].as_str().unwrap_or_default();
            out.extend(
                sets.iter()
                    .map(|set| format!("{namespace}|{name}|{}", set.join(","))),
            );
        }
    }
    out
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// Who made a call at the edge: moto's Step Functions engine, the load tool, a function's
/// process (found by its connection, only while metering), or `other` (provisioning, the page).
pub async fn caller(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    pools: &BTreeMap<String, std::sync::Arc<crate::runtime_api::FunctionPool>>,
) -> String {
    if super::from_moto_engine(headers) {
        return "stepfunctions".into();
    }
    let agent = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    if format!("{} {}", agent("user-agent"), agent("x-amz-user-agent"))
        .contains(&format!("app/{LOAD_TOOL_APP}"))
    {
        return LOAD_TOOL_APP.into();
    }
    let Some(peer) = peer else {
        return "other".into();
    };
    let owners: Vec<(u32, String)> = pools
        .iter()
        .flat_map(|(name, pool)| pool.pids().into_iter().map(move |pid| (pid, name.clone())))
        .collect();
    let known = METER.lock().peers.get(&peer).cloned();
    if let Some((name, pid)) = known {
        if owners.iter().any(|(p, n)| *p == pid && *n == name) {
            return name;
        }
    }
    let pids: Vec<u32> = owners.iter().map(|(pid, _)| *pid).collect();
    let found = tokio::task::spawn_blocking(move || super::owner::caller(&peer, &pids))
        .await
        .ok()
        .flatten();
    match found.and_then(|pid| owners.into_iter().find(|(p, _)| *p == pid)) {
        Some((pid, name)) => {
            METER.lock().peers.insert(peer, (name.clone(), pid));
            name
        }
        None => "other".into(),
    }
}

/// `GET /_local/api/meter` (the counters) and `POST` `{"on": true|false}`.
pub fn api_router() -> Router {
    Router::new().route(
        "/_local/api/meter",
        get(|| async { Json(METER.snapshot()) }).post(|Json(body): Json<Value>| async move {
            let Some(on) = body["on"].as_bool() else {
                let refusal = json!({"message": "meter: send {\"on\": true} or {\"on\": false}"});
                return (StatusCode::BAD_REQUEST, Json(refusal));
            };
            METER.on.store(on, Ordering::Relaxed);
            (StatusCode::OK, Json(METER.snapshot()))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_lines_name_one_metric_per_dimension_set() {
        let line = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Hitl","Dimensions":[["Channel"],[]],"Metrics":[{"Name":"Decisions","Unit":"Count"}]}]},"Channel":"slack","Decisions":1}"#;
        assert_eq!(
            emf_metrics(line),
            vec!["Hitl|Decisions|Channel=slack", "Hitl|Decisions|"]
        );
        assert!(emf_metrics("not json").is_empty());
    }
}
