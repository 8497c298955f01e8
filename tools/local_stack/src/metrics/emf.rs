//! CloudWatch Embedded Metric Format, read as the CloudWatch Logs agent of Lambda reads it: a
//! log line that is a JSON object with an `_aws` member holding `Timestamp` and
//! `CloudWatchMetrics` directives; each directive names a namespace, dimension sets and
//! metrics, whose values (a number or an array of numbers) and dimension values (strings) are
//! members of the same object.
//!
//! A line without `"_aws"` is an ordinary log line. A line with `"_aws"` that is not a JSON
//! object, or that breaks the specification, is an error, as CloudWatch would drop it: the tests see it instead of a
//! silently missing metric.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context};
use serde_json::{Map, Value};

use super::MetricKey;

/// The units CloudWatch accepts.
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// What one metric of one directive contributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub key: MetricKey,
    pub unit: Option<String>,
    pub timestamp_ms: i64,
    pub values: Vec<f64>,
}

/// The samples a log line carries: `Ok(None)` if it is not EMF, `Err` if it is broken EMF.
pub fn parse(line: &str) -> anyhow::Result<Option<Vec<Sample>>> {
    let trimmed = line.trim();
    if !trimmed.contains("\"_aws\"") {
        return Ok(None);
    }
    // A line naming `_aws` that is not one JSON object is most likely an EMF line cut short or
    // interleaved with another write: CloudWatch would lose its metrics, so it is rejected.
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(trimmed) else {
        return Err(anyhow!(
            "a line naming \"_aws\" is not one JSON object (cut short or interleaved?)"
        ));
    };
    let Some(aws) = root.get("_aws") else {
        return Ok(None);
    };
    let aws = aws.as_object().context("_aws is not an object")?;
    let timestamp_ms = aws
        .get("Timestamp")
        .and_then(Value::as_i64)
        .context("_aws.Timestamp is not a number of milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .context("_aws.CloudWatchMetrics is not an array")?;
    let mut samples = Vec::new();
    for directive in directives {
        samples.extend(read_directive(&root, directive, timestamp_ms)?);
    }
    Ok(Some(samples))
}

fn read_directive(
    root: &Map<String, Value>,
    directive: &Value,
    timestamp_ms: i64,
) -> anyhow::Result<Vec<Sample>> {
    let namespace = directive
        .get("Namespace")
        .and_then(Value::as_str)
        .filter(|n| (1..=255).contains(&n.len()))
        .context("a directive's Namespace is not a string of 1 to 255 characters")?;
    let dimension_sets = dimension_sets(root, directive)?;
    let metrics = directive
        .get("Metrics")
        .and_then(Value::as_array)
        .filter(|m| m.len() <= 100)
        .context("a directive's Metrics is not an array of at most 100")?;
    let mut samples = Vec::new();
    for metric in metrics {
        let (name, unit) = metric_definition(metric)?;
        let values = target_values(root, &name)?;
        for dimensions in &dimension_sets {
            samples.push(Sample {
                key: MetricKey {
                    namespace: namespace.to_string(),
                    name: name.clone(),
                    dimensions: dimensions.clone(),
                },
                unit: unit.clone(),
                timestamp_ms,
                values: values.clone(),
            });
        }
    }
    Ok(samples)
}

/// Each dimension set with its values read from the root: a metric per set.
fn dimension_sets(
    root: &Map<String, Value>,
    directive: &Value,
) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
    let sets = directive
        .get("Dimensions")
        .and_then(Value::as_array)
        .context("a directive's Dimensions is not an array of dimension sets")?;
    let mut out = Vec::new();
    for set in sets {
        let keys = set
            .as_array()
            .filter(|k| k.len() <= 30)
            .context("a dimension set is not an array of at most 30 names")?;
        let mut dimensions = BTreeMap::new();
        for key in keys {
            let key = key.as_str().context("a dimension name is not a string")?;
            let value = root
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("dimension {key} has no string value on the line"))?;
            dimensions.insert(key.to_string(), value.to_string());
        }
        out.push(dimensions);
    }
    if out.is_empty() {
        // `"Dimensions": []`: the metrics are published with no dimension.
        out.push(BTreeMap::new());
    }
    Ok(out)
}

fn metric_definition(metric: &Value) -> anyhow::Result<(String, Option<String>)> {
    let name = metric
        .get("Name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .context("a metric definition has no Name")?;
    let unit = match metric.get("Unit") {
        None => None,
        Some(Value::String(u)) if UNITS.contains(&u.as_str()) => Some(u.clone()),
        Some(other) => {
            return Err(anyhow!(
                "metric {name}: unit {other} is not a CloudWatch unit"
            ))
        }
    };
    match metric.get("StorageResolution") {
        None => {}
        Some(r) if r.as_i64() == Some(1) || r.as_i64() == Some(60) => {}
        Some(other) => {
            return Err(anyhow!(
                "metric {name}: StorageResolution {other} is not 1 or 60"
            ))
        }
    }
    Ok((name.to_string(), unit))
}

/// A metric's value on the line: a number, or an array of 1 to 100 numbers.
fn target_values(root: &Map<String, Value>, name: &str) -> anyhow::Result<Vec<f64>> {
    let number = |v: &Value| v.as_f64().filter(|f| f.is_finite());
    match root.get(name) {
        Some(Value::Array(items)) if (1..=100).contains(&items.len()) => items
            .iter()
            .map(|i| number(i).ok_or_else(|| anyhow!("metric {name}: {i} is not a number")))
            .collect(),
        Some(v) => number(v)
            .map(|f| vec![f])
            .ok_or_else(|| anyhow!("metric {name}: {v} is not a number or 1 to 100 numbers")),
        None => Err(anyhow!("metric {name} has no value on the line")),
    }
}

#[cfg(test)]
mod tests;
