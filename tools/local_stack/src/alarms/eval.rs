//! How CloudWatch evaluates a metric alarm, as pure functions of the samples and the time.
//!
//! - **When**: an alarm with a period of a minute or more is evaluated at the end of every
//!   minute, over periods ending then (a sliding window: period 300 evaluated at 10:06 reads
//!   10:01–10:06); one of 10, 20 or 30 s every 10 s. The minute still under way is never read.
//! - **Datapoints**: one per period, the statistic of the samples timestamped in it; a period
//!   without samples has no datapoint (missing). CloudWatch reads an evaluation range a little
//!   longer than the N evaluation periods ([`RANGE_EXTRA`] more) to see past missing ones.
//! - **Decision** ([`decide`]): with at least N real datapoints in the range, the N most recent
//!   decide: `ALARM` if M of them breach, else `OK`, whatever `TreatMissingData` says. With
//!   none: `missing` → `INSUFFICIENT_DATA`, `ignore` → the state stays, `breaching` → `ALARM`,
//!   `notBreaching` → `OK`. With some (fewer than N): the missing ones are filled in as
//!   `TreatMissingData` says (`breaching`, `notBreaching`); `missing` judges the real ones
//!   alone (M of them, or all if fewer); `ignore` changes state only if the outcome is the
//!   same whatever the missing ones were. (CloudWatch's table for M = N = 3: `0 - X - X` OK
//!   under every treatment; `- - X - -` ALARM, kept state, ALARM, OK.)

use super::{MetricStat, Rule, Source, State, Statistic, TreatMissing};
use crate::metrics::MetricKey;

/// Periods read beyond the N evaluation periods.
pub const RANGE_EXTRA: usize = 2;

/// The samples of a metric in `[from_ms, to_ms)`.
pub trait Samples {
    fn values(&self, key: &MetricKey, from_ms: i64, to_ms: i64) -> Vec<f64>;
}

impl Samples for crate::metrics::MetricStore {
    fn values(&self, key: &MetricKey, from_ms: i64, to_ms: i64) -> Vec<f64> {
        crate::metrics::MetricStore::values(self, key, from_ms, to_ms)
    }
}

/// The end (ms) of the newest period an evaluation at `now_ms` reads.
pub fn evaluation_end(period_s: i64, now_ms: i64) -> i64 {
    let tick_ms = if period_s >= 60 { 60_000 } else { 10_000 };
    now_ms.div_euclid(tick_ms) * tick_ms
}

/// A statistic of one period's samples; `None` without samples.
pub fn statistic(stat: Statistic, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    Some(match stat {
        Statistic::SampleCount => n,
        Statistic::Sum => values.iter().sum(),
        Statistic::Average => values.iter().sum::<f64>() / n,
        Statistic::Minimum => values.iter().copied().fold(f64::INFINITY, f64::min),
        Statistic::Maximum => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Statistic::Percentile(p) => {
            // Nearest rank: the smallest sample with at least p% of the samples at or below it.
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            let rank = ((p / 100.0) * n).ceil().max(1.0) as usize;
            sorted[rank.min(sorted.len()) - 1]
        }
    })
}

/// One datapoint: its period's start (ms) and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datapoint {
    pub start_ms: i64,
    pub value: Option<f64>,
}

fn metric_value(samples: &dyn Samples, m: &MetricStat, from: i64, to: i64) -> Option<f64> {
    statistic(m.stat, &samples.values(&m.key, from, to))
}

/// The evaluation range's datapoints for an evaluation whose newest period ends at `end_ms`,
/// oldest first.
pub fn datapoints(rule: &Rule, samples: &dyn Samples, end_ms: i64) -> Vec<Datapoint> {
    let period_ms = rule.period_s * 1000;
    let range = rule.evaluation_periods + RANGE_EXTRA;
    (1..=range)
        .rev()
        .map(|k| {
            let from = end_ms - k as i64 * period_ms;
            let to = from + period_ms;
            let value = match &rule.source {
                Source::Metric(m) => metric_value(samples, m, from, to),
                Source::Math {
                    queries,
                    expression,
                    ..
                } => expression.value(|id| {
                    let (_, m) = queries.iter().find(|(q, _)| q == id)?;
                    metric_value(samples, m, from, to)
                }),
            };
            Datapoint {
                start_ms: from,
                value,
            }
        })
        .collect()
}

/// The state the datapoints (oldest first) put the alarm in, from `previous`, and why.
pub fn decide(rule: &Rule, points: &[Datapoint], previous: State) -> (State, String) {
    // Newest first.
    let real: Vec<f64> = points.iter().rev().filter_map(|p| p.value).collect();
    let words = format!(
        "{} the threshold ({})",
        rule.comparison.words(),
        rule.threshold
    );
    let n = rule.evaluation_periods;
    if real.len() >= n {
        return full_window(rule, &real[..n], &words);
    }
    with_missing(rule, &real, points.len(), previous, &words)
}

/// The last N datapoints are all there: M of them breaching is ALARM.
fn full_window(rule: &Rule, window: &[f64], words: &str) -> (State, String) {
    let (n, m) = (rule.evaluation_periods, rule.datapoints_to_alarm);
    let breaching = window
        .iter()
        .filter(|v| rule.comparison.breaches(**v, rule.threshold))
        .count();
    let state = if breaching >= m {
        State::Alarm
    } else {
        State::Ok
    };
    let listed: Vec<String> = window.iter().map(|v| format!("{v}")).collect();
    let reason = format!(
        "Threshold Crossed: {breaching} out of the last {n} datapoints [{}] {} {words} (minimum {m} for ALARM)",
        listed.join(", "),
        if breaching == 1 { "was" } else { "were" },
    );
    (state, reason)
}

/// Fewer than N datapoints (`real`, newest first) in the last `range` periods: the alarm's
/// `TreatMissingData` says what the missing ones count as.
fn with_missing(
    rule: &Rule,
    real: &[f64],
    range: usize,
    previous: State,
    words: &str,
) -> (State, String) {
    let (n, m) = (rule.evaluation_periods, rule.datapoints_to_alarm);
    let k = real.len();
    let breaching = real
        .iter()
        .filter(|v| rule.comparison.breaches(**v, rule.threshold))
        .count();
    let filled = |missing_breach: bool| {
        let total = breaching + if missing_breach { n - k } else { 0 };
        if total >= m {
            State::Alarm
        } else {
            State::Ok
        }
    };
    let state = match (rule.treat_missing, k) {
        (TreatMissing::Missing, 0) => State::InsufficientData,
        (TreatMissing::Ignore, 0) => previous,
        (TreatMissing::Breaching, _) => filled(true),
        (TreatMissing::NotBreaching, _) => filled(false),
        (TreatMissing::Missing, _) if breaching >= m.min(k) => State::Alarm,
        (TreatMissing::Missing, _) => State::Ok,
        (TreatMissing::Ignore, _) if filled(true) == filled(false) => filled(true),
        (TreatMissing::Ignore, _) => previous,
    };
    let reason = if k == 0 {
        format!(
            "no datapoint in the last {range} periods; missing data treated as {:?}",
            rule.treat_missing
        )
    } else {
        let listed: Vec<String> = real.iter().map(|v| format!("{v}")).collect();
        format!(
            "{k} datapoint(s) [{}] in the last {range} periods, {breaching} {words}; the {} missing of the {n} evaluated treated as {:?} (minimum {m} for ALARM)",
            listed.join(", "),
            n - k,
            rule.treat_missing
        )
    };
    (state, reason)
}
