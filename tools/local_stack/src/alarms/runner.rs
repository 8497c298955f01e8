//! The alarms of the running stack: evaluated as CloudWatch evaluates them (each at the end of
//! its minute, or every 10 s for a 10–30 s period), starting in `INSUFFICIENT_DATA`; their
//! state, reason and recent changes for `GET /_local/api/alarms` and the local page.

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use maud::{html, Markup};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::eval::{self, Datapoint, Samples};
use super::{AlarmDef, Rule, Source, State};
use crate::metrics::{self, MetricKey};

/// State changes kept per alarm.
const HISTORY: usize = 20;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub at_ms: i64,
    pub state: State,
    pub reason: String,
}

/// One alarm with where its evaluation stands.
pub struct Entry {
    pub def: AlarmDef,
    pub state: State,
    pub reason: String,
    /// End of the newest period of the last evaluation (ms); 0 before the first.
    pub evaluated_to_ms: i64,
    pub datapoints: Vec<Datapoint>,
    pub history: VecDeque<Change>,
}

impl Entry {
    pub fn new(def: AlarmDef) -> Self {
        let reason = match &def.rule {
            Ok(_) => "Unchecked: Initial alarm creation".to_string(),
            Err(why) => format!("not evaluated locally: {why}"),
        };
        Entry {
            def,
            state: State::InsufficientData,
            reason,
            evaluated_to_ms: 0,
            datapoints: vec![],
            history: VecDeque::new(),
        }
    }

    /// Evaluates the alarm if an evaluation is due at `now_ms`.
    pub fn tick(
        &mut self,
        samples: &dyn Samples,
        modelled: impl Fn(&MetricKey) -> anyhow::Result<()>,
        now_ms: i64,
    ) {
        let Ok(rule) = &self.def.rule else { return };
        let end = eval::evaluation_end(rule.period_s, now_ms);
        if end <= self.evaluated_to_ms {
            return;
        }
        self.evaluated_to_ms = end;
        if let Some(why) = rule.metrics().into_iter().find_map(|k| modelled(k).err()) {
            return self.set(
                State::InsufficientData,
                format!("not evaluated locally: {why}"),
                now_ms,
            );
        }
        self.datapoints = eval::datapoints(rule, samples, end);
        let (state, reason) = eval::decide(rule, &self.datapoints, self.state);
        self.set(state, reason, now_ms);
    }

    fn set(&mut self, state: State, reason: String, now_ms: i64) {
        if state != self.state {
            self.history.push_front(Change {
                at_ms: now_ms,
                state,
                reason: reason.clone(),
            });
            self.history.truncate(HISTORY);
        }
        self.state = state;
        self.reason = reason;
    }

    pub fn to_json(&self) -> Value {
        json!({
            "logicalId": self.def.logical_id,
            "name": self.def.name,
            "description": self.def.description,
            "state": self.state,
            "reason": self.reason,
            "definition": self.def.rule.as_ref().map(describe).unwrap_or(Value::Null),
            "evaluatedTo": (self.evaluated_to_ms > 0).then_some(self.evaluated_to_ms),
            "datapoints": self.datapoints.iter().map(|d| json!({"start": d.start_ms, "value": d.value})).collect::<Vec<_>>(),
            "history": self.history,
        })
    }
}

fn describe(rule: &Rule) -> Value {
    let source = match &rule.source {
        Source::Metric(m) => json!({"metric": m.key, "statistic": format!("{:?}", m.stat)}),
        Source::Math { queries, text, .. } => json!({
            "expression": text,
            "metrics": queries.iter().map(|(id, m)| json!({"id": id, "metric": m.key, "statistic": format!("{:?}", m.stat)})).collect::<Vec<_>>(),
        }),
    };
    json!({
        "source": source,
        "period": rule.period_s,
        "evaluationPeriods": rule.evaluation_periods,
        "datapointsToAlarm": rule.datapoints_to_alarm,
        "threshold": rule.threshold,
        "comparison": rule.comparison.words(),
        "treatMissingData": rule.treat_missing,
    })
}

fn registry() -> &'static Mutex<Vec<Entry>> {
    static ALARMS: OnceLock<Mutex<Vec<Entry>>> = OnceLock::new();
    ALARMS.get_or_init(Default::default)
}

fn entries() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    registry().lock().unwrap_or_else(|p| p.into_inner())
}

/// Evaluates `alarms` against the stack's metrics until shutdown.
pub fn start(alarms: Vec<AlarmDef>, mut shutdown: watch::Receiver<bool>) {
    *entries() = alarms.into_iter().map(Entry::new).collect();
    tokio::spawn(async move {
        loop {
            let now = metrics::now_ms();
            for entry in entries().iter_mut() {
                entry.tick(metrics::store(), metrics::modelled, now);
            }
            tokio::select! {
                // Just after each 10 s mark, so an evaluation is never far behind its minute.
                _ = tokio::time::sleep(Duration::from_millis((10_000 - now.rem_euclid(10_000) + 200) as u64)) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    });
}

/// `GET /_local/api/alarms` and `GET /_local/api/metrics`.
pub fn api_router() -> axum::Router {
    axum::Router::new()
        .route(
            "/_local/api/alarms",
            axum::routing::get(|| async {
                axum::Json(Value::Array(entries().iter().map(Entry::to_json).collect()))
            }),
        )
        .route(
            "/_local/api/metrics",
            axum::routing::get(|| async { axum::Json(metrics::store().snapshot()) }),
        )
}

/// The page's "Alarms" and "Metrics" sections (`maud`: every name and reason escaped).
pub fn page_section() -> Markup {
    let snapshot = metrics::store().snapshot();
    let rejected = &snapshot["rejectedEmfLines"];
    html! {
        h2 { "Alarms" }
        table {
            tr { th { "alarm" } th { "state" } th { "reason" } }
            @for e in entries().iter() {
                tr {
                    td {
                        (e.def.name)
                        div class="muted" { (e.def.description.as_deref().unwrap_or_default()) }
                    }
                    td class=(state_class(&e.state)) { (e.state.as_str()) }
                    td class="muted" { (e.reason) }
                }
            }
        }
        h2 { "Metrics" }
        table {
            tr { th { "metric" } th { "samples" } th { "sum" } th { "latest" } }
            @for m in snapshot["metrics"].as_array().into_iter().flatten() {
                tr {
                    td {
                        (m["namespace"].as_str().unwrap_or_default()) "/"
                        (m["name"].as_str().unwrap_or_default()) " "
                        span class="muted" { (dimensions(m)) }
                    }
                    td { (m["sampleCount"]) }
                    td { (m["sum"]) }
                    td { (m["latest"]["value"]) }
                }
            }
        }
        @if rejected["count"].as_u64().unwrap_or(0) > 0 {
            p class="FAILED" {
                (rejected["count"]) " EMF line(s) CloudWatch would reject; last: "
                (rejected["lastError"].as_str().unwrap_or_default())
            }
        }
    }
}

/// The page's colour of an alarm state (the classes of executions' statuses).
fn state_class(state: &State) -> &'static str {
    match state {
        State::Ok => "SUCCEEDED",
        State::Alarm => "FAILED",
        State::InsufficientData => "muted",
    }
}

/// A metric's dimensions as `k=v, k=v`.
fn dimensions(metric: &Value) -> String {
    let dims: Vec<String> = metric["dimensions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    dims.join(", ")
}
