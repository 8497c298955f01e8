//! An `AWS::CloudWatch::Alarm`'s resolved `Properties` read into a [`Rule`], with the checks
//! `PutMetricAlarm` makes; what the local stack does not model is named in the error.

use anyhow::{anyhow, Context};
use serde_json::Value as Json;

use super::{math, AlarmDef, Comparison, MetricStat, Rule, Source, Statistic, TreatMissing};
use crate::metrics::MetricKey;

/// The alarm `logical_id` declares, from its properties with intrinsics resolved.
pub fn from_properties(logical_id: &str, props: &Json) -> AlarmDef {
    let text = |k: &str| props.get(k).and_then(Json::as_str).map(str::to_string);
    AlarmDef {
        logical_id: logical_id.to_string(),
        // CloudFormation names an unnamed alarm after the stack and the logical id.
        name: text("AlarmName").unwrap_or_else(|| format!("hitl-local-{logical_id}")),
        description: text("AlarmDescription"),
        rule: rule(props).map_err(std::sync::Arc::new),
    }
}

/// A number, or a string holding one (`!Ref` to a parameter resolves to a string).
fn number(v: Option<&Json>) -> Option<f64> {
    match v? {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

fn count(props: &Json, key: &str) -> anyhow::Result<Option<usize>> {
    match props.get(key) {
        None | Some(Json::Null) => Ok(None),
        v => number(v)
            .filter(|f| *f >= 1.0 && f.fract() == 0.0)
            .map(|f| Some(f as usize))
            .ok_or_else(|| anyhow!("{key} is not a whole number of at least 1")),
    }
}

fn rule(props: &Json) -> anyhow::Result<Rule> {
    if props.get("ThresholdMetricId").is_some() {
        return Err(anyhow!(
            "anomaly detection bands (ThresholdMetricId) are not modelled locally"
        ));
    }
    let (source, period_s) = match props.get("Metrics") {
        Some(metrics) => math_source(metrics)?,
        None => metric_source(props)?,
    };
    if !matches!(period_s, 10 | 20 | 30) && (period_s < 60 || period_s % 60 != 0) {
        return Err(anyhow!(
            "Period {period_s} is not 10, 20, 30 or a multiple of 60"
        ));
    }
    let evaluation_periods = count(props, "EvaluationPeriods")?.context("no EvaluationPeriods")?;
    let datapoints_to_alarm = count(props, "DatapointsToAlarm")?.unwrap_or(evaluation_periods);
    if datapoints_to_alarm > evaluation_periods {
        return Err(anyhow!("DatapointsToAlarm {datapoints_to_alarm} exceeds EvaluationPeriods {evaluation_periods}"));
    }
    let threshold = number(props.get("Threshold")).context("Threshold is not a number")?;
    let comparison = match props.get("ComparisonOperator").and_then(Json::as_str) {
        Some("GreaterThanThreshold") => Comparison::GreaterThan,
        Some("GreaterThanOrEqualToThreshold") => Comparison::GreaterThanOrEqual,
        Some("LessThanThreshold") => Comparison::LessThan,
        Some("LessThanOrEqualToThreshold") => Comparison::LessThanOrEqual,
        other => {
            return Err(anyhow!(
                "ComparisonOperator {other:?} is not modelled locally"
            ))
        }
    };
    let treat_missing = match props.get("TreatMissingData").and_then(Json::as_str) {
        None | Some("missing") => TreatMissing::Missing,
        Some("notBreaching") => TreatMissing::NotBreaching,
        Some("breaching") => TreatMissing::Breaching,
        Some("ignore") => TreatMissing::Ignore,
        Some(other) => {
            return Err(anyhow!(
                "TreatMissingData {other:?} is not one of CloudWatch's"
            ))
        }
    };
    Ok(Rule {
        source,
        period_s,
        evaluation_periods,
        datapoints_to_alarm,
        threshold,
        comparison,
        treat_missing,
    })
}

fn statistic(props: &Json, stat_key: &str) -> anyhow::Result<Statistic> {
    let extended = props.get("ExtendedStatistic").and_then(Json::as_str);
    match (props.get(stat_key).and_then(Json::as_str), extended) {
        (Some(s), None) => parse_statistic(s),
        (None, Some(p)) if p.starts_with('p') => parse_statistic(p),
        (None, Some(p)) => Err(anyhow!(
            "ExtendedStatistic {p} is not modelled locally (only pNN)"
        )),
        _ => Err(anyhow!(
            "exactly one of {stat_key} and ExtendedStatistic is needed"
        )),
    }
}

fn parse_statistic(s: &str) -> anyhow::Result<Statistic> {
    Ok(match s {
        "SampleCount" => Statistic::SampleCount,
        "Average" => Statistic::Average,
        "Sum" => Statistic::Sum,
        "Minimum" => Statistic::Minimum,
        "Maximum" => Statistic::Maximum,
        p => match p.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()) {
            Some(n) if (0.0..=100.0).contains(&n) => Statistic::Percentile(n),
            _ => return Err(anyhow!("statistic {s} is not modelled locally")),
        },
    })
}

fn metric_key(
    namespace: Option<&Json>,
    name: Option<&Json>,
    dims: Option<&Json>,
) -> anyhow::Result<MetricKey> {
    let namespace = namespace.and_then(Json::as_str).context("no Namespace")?;
    let name = name.and_then(Json::as_str).context("no MetricName")?;
    let mut key = MetricKey::new(namespace, name, &[]);
    for d in dims
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let (Some(k), Some(v)) = (
            d.get("Name").and_then(Json::as_str),
            d.get("Value").and_then(Json::as_str),
        ) else {
            return Err(anyhow!("dimension {d} is not {{Name, Value}}"));
        };
        key.dimensions.insert(k.to_string(), v.to_string());
    }
    Ok(key)
}

fn period(v: Option<&Json>) -> anyhow::Result<i64> {
    number(v)
        .filter(|f| *f > 0.0 && f.fract() == 0.0)
        .map(|f| f as i64)
        .ok_or_else(|| anyhow!("Period is not a whole number of seconds"))
}

fn metric_source(props: &Json) -> anyhow::Result<(Source, i64)> {
    let key = metric_key(
        props.get("Namespace"),
        props.get("MetricName"),
        props.get("Dimensions"),
    )?;
    let stat = statistic(props, "Statistic")?;
    Ok((
        Source::Metric(MetricStat { key, stat }),
        period(props.get("Period"))?,
    ))
}

/// `Metrics`: metric queries (`MetricStat`) and one returned expression (or metric).
fn math_source(metrics: &Json) -> anyhow::Result<(Source, i64)> {
    let list = metrics
        .as_array()
        .filter(|l| !l.is_empty())
        .context("Metrics is not a list")?;
    let mut queries = Vec::new();
    let mut periods = std::collections::BTreeSet::new();
    let mut returned = Vec::new();
    for q in list {
        let id = q
            .get("Id")
            .and_then(Json::as_str)
            .context("a metric query has no Id")?;
        if q.get("ReturnData").and_then(Json::as_bool).unwrap_or(true) {
            returned.push(q);
        }
        if let Some(stat) = q.get("MetricStat") {
            let (metric, period_s) = metric_query(id, stat)?;
            periods.insert(period_s);
            queries.push((id.to_string(), metric));
        }
    }
    let [returned] = returned.as_slice() else {
        return Err(anyhow!(
            "{} queries return data; an alarm needs exactly one",
            returned.len()
        ));
    };
    let period_s = match periods.into_iter().collect::<Vec<_>>().as_slice() {
        [p] => *p,
        other => {
            return Err(anyhow!(
                "the metric queries' periods {other:?} are not one period"
            ))
        }
    };
    let all: Vec<String> = queries.iter().map(|(id, _)| id.clone()).collect();
    let text = returned_expression(returned)?;
    let expression = math::parse(&text, &all)?;
    if let Some(unknown) = expression.ids().into_iter().find(|id| !all.contains(id)) {
        return Err(anyhow!(
            "metric math {text:?} reads {unknown}, which is no metric query of the alarm"
        ));
    }
    Ok((
        Source::Math {
            queries,
            expression,
            text,
        },
        period_s,
    ))
}

/// One `MetricStat` query of `Metrics`: the metric and statistic it reads, and its period.
fn metric_query(id: &str, stat: &Json) -> anyhow::Result<(MetricStat, i64)> {
    let m = stat
        .get("Metric")
        .ok_or_else(|| anyhow!("{id}: MetricStat has no Metric"))?;
    let key = metric_key(m.get("Namespace"), m.get("MetricName"), m.get("Dimensions"))?;
    let stat_value = statistic(stat, "Stat").map_err(|e| anyhow!("{id}: {e}"))?;
    let metric = MetricStat {
        key,
        stat: stat_value,
    };
    Ok((metric, period(stat.get("Period"))?))
}

/// The metric math the alarm evaluates: the returned query's `Expression`, or its own `Id`
/// when it returns a metric.
fn returned_expression(returned: &Json) -> anyhow::Result<String> {
    match (
        returned.get("Expression").and_then(Json::as_str),
        returned.get("Id").and_then(Json::as_str),
    ) {
        (Some(e), _) => Ok(e.to_string()),
        (None, Some(id)) => Ok(id.to_string()),
        _ => Err(anyhow!("the returned query has no Id")),
    }
}
