//! The template's `AWS::CloudWatch::Alarm`s, evaluated against the local metrics the way
//! CloudWatch evaluates them ([`eval`]), kept with their state and reason ([`runner`]), and
//! shown on the local page and as JSON (`GET /_local/api/alarms`, `GET /_local/api/metrics`).
//!
//! An alarm the local stack cannot evaluate (a form of metric math it does not model, an
//! anomaly band, a metric no local part publishes) stays `INSUFFICIENT_DATA` with the reason.

pub mod definition;
pub mod eval;
pub mod math;
pub mod runner;

use std::sync::Arc;

use serde::Serialize;

use crate::metrics::MetricKey;

pub use definition::from_properties;
pub use runner::{api_router, page_section, start};

/// An alarm of the template.
#[derive(Debug, Clone)]
pub struct AlarmDef {
    pub logical_id: String,
    pub name: String,
    pub description: Option<String>,
    /// What to evaluate, or why the local stack cannot.
    pub rule: Result<Rule, Arc<anyhow::Error>>,
}

/// What CloudWatch evaluates: a datapoint per period from the source, compared with the
/// threshold; M breaching of the last N ([`eval::decide`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub source: Source,
    pub period_s: i64,
    pub evaluation_periods: usize,
    pub datapoints_to_alarm: usize,
    pub threshold: f64,
    pub comparison: Comparison,
    pub treat_missing: TreatMissing,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Metric(MetricStat),
    /// Metric math: the queries by id, and the expression of the one returned.
    Math {
        queries: Vec<(String, MetricStat)>,
        expression: math::Expression,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricStat {
    pub key: MetricKey,
    pub stat: Statistic,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
    /// `pNN` / `pNN.NN`.
    Percentile(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
}

impl Comparison {
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThan => value > threshold,
            Comparison::GreaterThanOrEqual => value >= threshold,
            Comparison::LessThan => value < threshold,
            Comparison::LessThanOrEqual => value <= threshold,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Comparison::GreaterThan => "greater than",
            Comparison::GreaterThanOrEqual => "greater than or equal to",
            Comparison::LessThan => "less than",
            Comparison::LessThanOrEqual => "less than or equal to",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissing {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum State {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "ALARM")]
    Alarm,
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Alarm => "ALARM",
            State::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl Rule {
    /// Every metric the rule reads.
    pub fn metrics(&self) -> Vec<&MetricKey> {
        match &self.source {
            Source::Metric(m) => vec![&m.key],
            Source::Math { queries, .. } => queries.iter().map(|(_, m)| &m.key).collect(),
        }
    }
}

#[cfg(test)]
mod tests;
