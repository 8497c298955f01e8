//! The local CloudWatch metrics: what the functions print in Embedded Metric Format ([`emf`])
//! and what the Lambda service itself would publish for them ([`lambda`]), kept in memory as
//! CloudWatch keeps them: one time series per namespace, metric name and dimension set, each
//! sample with its timestamp.
//!
//! The store is one per process ([`store`]): the function processes' output is read deep
//! inside their pools, and the alarms, the page and the JSON API all read the same series.

pub mod emf;
pub mod lambda;
pub mod states;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use anyhow::anyhow;
use serde::Serialize;
use serde_json::{json, Value};

/// Samples older than this are dropped: no alarm of the template looks back further, and
/// CloudWatch's own one-minute data is kept for 15 days, which a laptop need not mimic.
pub const RETENTION_MS: i64 = 6 * 3600 * 1000;
/// At most this many samples per series (the oldest go first).
const MAX_SAMPLES: usize = 50_000;

/// A time series' identity: CloudWatch tells metrics apart by all three (a metric published
/// with `[Channel]` is not the one published with no dimension).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MetricKey {
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
}

impl MetricKey {
    pub fn new(namespace: &str, name: &str, dimensions: &[(&str, &str)]) -> Self {
        MetricKey {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

impl std::fmt::Display for MetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        let dims: Vec<String> = self
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !dims.is_empty() {
            write!(f, " [{}]", dims.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Series {
    unit: Option<String>,
    /// The values by timestamp (ms): an alarm reads a period's with a range lookup.
    samples: BTreeMap<i64, Vec<f64>>,
    count: usize,
}

/// Lines that looked like EMF (a JSON object with `_aws`) but that CloudWatch would reject.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    pub count: u64,
    pub last_error: Option<String>,
    pub last_line: Option<String>,
}

#[derive(Default)]
pub struct MetricStore {
    series: Mutex<BTreeMap<MetricKey, Series>>,
    rejected: Mutex<Rejected>,
}

/// The stack's one metric store.
pub fn store() -> &'static MetricStore {
    static STORE: OnceLock<MetricStore> = OnceLock::new();
    STORE.get_or_init(MetricStore::default)
}

/// A function's output line: recorded if it is EMF, counted as rejected if it is broken EMF,
/// ignored otherwise (the line is logged as it is either way).
pub fn observe_line(line: &str) {
    match emf::parse(line) {
        Ok(None) => {}
        Ok(Some(samples)) => {
            let now = now_ms();
            // CloudWatch drops events more than 2 weeks old or 2 hours ahead.
            if let Some(s) = samples.iter().find(|s| {
                s.timestamp_ms < now - 14 * 86_400_000 || s.timestamp_ms > now + 7_200_000
            }) {
                let error = format!("_aws.Timestamp {} is not within 2 weeks before and 2 hours after now (milliseconds?)", s.timestamp_ms);
                return store().reject(line, error);
            }
            for s in samples {
                store().record(s.key, s.unit, s.timestamp_ms, &s.values);
            }
        }
        Err(error) => store().reject(line, error.to_string()),
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl MetricStore {
    pub fn record(&self, key: MetricKey, unit: Option<String>, timestamp_ms: i64, values: &[f64]) {
        let mut all = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let series = all.entry(key).or_default();
        if unit.is_some() {
            series.unit = unit;
        }
        series
            .samples
            .entry(timestamp_ms)
            .or_default()
            .extend_from_slice(values);
        series.count += values.len();
        let horizon = now_ms() - RETENTION_MS;
        while series.count > MAX_SAMPLES
            || series
                .samples
                .first_key_value()
                .is_some_and(|(t, _)| *t < horizon)
        {
            let Some((_, dropped)) = series.samples.pop_first() else {
                break;
            };
            series.count -= dropped.len();
        }
    }

    fn reject(&self, line: &str, error: String) {
        tracing::warn!(%error, "an EMF line CloudWatch would reject");
        let mut rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        rejected.count += 1;
        rejected.last_error = Some(error);
        rejected.last_line = Some(line.chars().take(2000).collect());
    }

    /// The values of `key` timestamped in `[from_ms, to_ms)`.
    pub fn values(&self, key: &MetricKey, from_ms: i64, to_ms: i64) -> Vec<f64> {
        let all = self.series.lock().unwrap_or_else(|p| p.into_inner());
        all.get(key)
            .map(|s| {
                s.samples
                    .range(from_ms..to_ms.max(from_ms))
                    .flat_map(|(_, v)| v.iter().copied())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `GET /_local/api/metrics`: every series with its unit, sample count, sum, minimum,
    /// maximum and latest sample; and the rejected EMF lines.
    pub fn snapshot(&self) -> Value {
        let all = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let metrics: Vec<Value> = all
            .iter()
            .filter(|(_, s)| !s.samples.is_empty())
            .map(|(key, s)| {
                let values = s.samples.values().flatten().copied();
                let latest = s
                    .samples
                    .last_key_value()
                    .and_then(|(t, v)| Some((*t, *v.last()?)));
                json!({
                    "namespace": key.namespace,
                    "name": key.name,
                    "dimensions": key.dimensions,
                    "unit": s.unit,
                    "sampleCount": s.count,
                    "sum": values.clone().sum::<f64>(),
                    "minimum": values.clone().fold(f64::INFINITY, f64::min),
                    "maximum": values.fold(f64::NEG_INFINITY, f64::max),
                    "latest": latest.map(|(t, v)| json!({"timestamp": t, "value": v})),
                })
            })
            .collect();
        let rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        json!({"metrics": metrics, "rejectedEmfLines": *rejected})
    }
}

/// Whether a local part publishes `key`: every custom namespace (the functions' EMF), the
/// `AWS/Lambda` metrics of [`lambda::MODELLED`], and `AWS/States` `ExecutionsFailed` while its
/// poller runs. Other `AWS/` metrics have no local source.
pub fn modelled(key: &MetricKey) -> anyhow::Result<()> {
    let name = key.name.as_str();
    match key.namespace.as_str() {
        lambda::NAMESPACE if lambda::MODELLED.contains(&name) => Ok(()),
        states::NAMESPACE if states::running() && states::MODELLED.contains(&name) => Ok(()),
        ns if ns.starts_with("AWS/") => Err(anyhow!(
            "{key} is published by AWS and not modelled by the local stack"
        )),
        _ => Ok(()),
    }
}
