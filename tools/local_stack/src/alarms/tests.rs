use std::collections::BTreeMap;

use anyhow::anyhow;
use proptest::prelude::*;
use serde_json::json;

use super::eval::{datapoints, decide, evaluation_end, statistic, Datapoint, Samples};
use super::runner::Entry;
use super::*;

fn rule(n: usize, m: usize, treat: TreatMissing) -> Rule {
    Rule {
        source: Source::Metric(MetricStat {
            key: MetricKey::new("N", "M", &[]),
            stat: Statistic::Maximum,
        }),
        period_s: 60,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        threshold: 20.0,
        comparison: Comparison::GreaterThan,
        treat_missing: treat,
    }
}

/// `"0 - X - X"` (oldest first): 0 within the threshold, X breaching, - missing.
fn points(pattern: &str) -> Vec<Datapoint> {
    pattern
        .split_whitespace()
        .enumerate()
        .map(|(i, c)| Datapoint {
            start_ms: i as i64 * 60_000,
            value: match c {
                "0" => Some(1.0),
                "X" => Some(99.0),
                "-" => None,
                other => panic!("{other}"),
            },
        })
        .collect()
}

use State::{Alarm as A, InsufficientData as I, Ok as O};

/// CloudWatch's missing-data table (M = N = 3, a range of 5), plus M-of-N and the edges.
/// Columns: missing, notBreaching, breaching, ignore (from OK; `None`: the state stays).
#[test]
fn missing_data_as_cloudwatch_treats_it() {
    let cases: &[(usize, usize, &str, [Option<State>; 4])] = &[
        (3, 3, "0 - X - X", [Some(O), Some(O), Some(O), Some(O)]),
        (3, 3, "- - - - 0", [Some(O), Some(O), Some(O), Some(O)]),
        (3, 3, "- - - - -", [Some(I), Some(O), Some(A), None]),
        (3, 3, "0 X X - X", [Some(A), Some(A), Some(A), Some(A)]),
        (3, 3, "- - X - -", [Some(A), Some(O), Some(A), None]),
        (3, 3, "X X X 0 X", [Some(O), Some(O), Some(O), Some(O)]),
        (3, 2, "X 0 X 0 X", [Some(A), Some(A), Some(A), Some(A)]),
        (3, 2, "- - - 0 X", [Some(O), Some(O), Some(A), None]),
        (1, 1, "X X X", [Some(A), Some(A), Some(A), Some(A)]),
        (1, 1, "X X 0", [Some(O), Some(O), Some(O), Some(O)]),
        // The newest real datapoint decides, however far back in the range it is.
        (1, 1, "X - -", [Some(A), Some(A), Some(A), Some(A)]),
        (1, 1, "- - -", [Some(I), Some(O), Some(A), None]),
    ];
    let treatments = [
        TreatMissing::Missing,
        TreatMissing::NotBreaching,
        TreatMissing::Breaching,
        TreatMissing::Ignore,
    ];
    for (n, m, pattern, expected) in cases {
        for (treat, want) in treatments.iter().zip(expected) {
            for previous in [O, A, I] {
                let (state, reason) = decide(&rule(*n, *m, *treat), &points(pattern), previous);
                let want = want.unwrap_or(previous);
                assert_eq!(
                    state, want,
                    "{m} of {n}, {pattern}, {treat:?}, from {previous:?}: {reason}"
                );
            }
        }
    }
}

#[test]
fn comparisons_and_threshold_edges() {
    for (comparison, value, breaches) in [
        (Comparison::GreaterThan, 20.0, false),
        (Comparison::GreaterThan, 20.5, true),
        (Comparison::GreaterThanOrEqual, 20.0, true),
        (Comparison::LessThan, 20.0, false),
        (Comparison::LessThan, 19.0, true),
        (Comparison::LessThanOrEqual, 20.0, true),
        (Comparison::LessThanOrEqual, 21.0, false),
    ] {
        let mut r = rule(1, 1, TreatMissing::Missing);
        r.comparison = comparison;
        let p = [Datapoint {
            start_ms: 0,
            value: Some(value),
        }];
        let (state, _) = decide(&r, &p, I);
        assert_eq!(state == A, breaches, "{comparison:?} {value}");
    }
}

#[test]
fn statistics_of_a_period() {
    let v = [4.0, 1.0, 3.0, 2.0, 10.0];
    for (stat, want) in [
        (Statistic::SampleCount, 5.0),
        (Statistic::Sum, 20.0),
        (Statistic::Average, 4.0),
        (Statistic::Minimum, 1.0),
        (Statistic::Maximum, 10.0),
        (Statistic::Percentile(50.0), 3.0),
        (Statistic::Percentile(80.0), 4.0),
        (Statistic::Percentile(99.0), 10.0),
        (Statistic::Percentile(0.0), 1.0),
    ] {
        assert_eq!(statistic(stat, &v), Some(want), "{stat:?}");
    }
    assert_eq!(
        statistic(Statistic::SampleCount, &[]),
        None,
        "no samples: no datapoint"
    );
}

/// Samples at fixed times, for the windowing tests.
struct Fixed(BTreeMap<MetricKey, Vec<(i64, f64)>>);

impl Samples for Fixed {
    fn values(&self, key: &MetricKey, from: i64, to: i64) -> Vec<f64> {
        self.0
            .get(key)
            .into_iter()
            .flatten()
            .filter(|(t, _)| (from..to).contains(t))
            .map(|(_, v)| *v)
            .collect()
    }
}

#[test]
fn periods_end_at_the_last_whole_minute_and_never_read_the_current_one() {
    let minute = 60_000;
    let t0 = 1_000 * minute;
    assert_eq!(evaluation_end(60, t0 + 59_999), t0);
    assert_eq!(
        evaluation_end(300, t0 + 61_000),
        t0 + minute,
        "a sliding window, every minute"
    );
    assert_eq!(
        evaluation_end(10, t0 + 25_000),
        t0 + 20_000,
        "high resolution: every 10 s"
    );
    let key = MetricKey::new("N", "M", &[]);
    let samples = Fixed(BTreeMap::from([(
        key,
        vec![(t0 - 30_000, 5.0), (t0 - 10_000, 30.0), (t0 + 1_000, 99.0)],
    )]));
    let r = rule(1, 1, TreatMissing::Missing);
    let points = datapoints(&r, &samples, evaluation_end(60, t0 + 30_000));
    assert_eq!(points.len(), 1 + eval::RANGE_EXTRA);
    let newest = points.last().unwrap();
    assert_eq!(newest.start_ms, t0 - minute);
    assert_eq!(
        newest.value,
        Some(30.0),
        "the maximum of the last whole minute; the 99 is in the current one"
    );
    assert_eq!(points[0].value, None);
}

#[test]
fn metric_math_sums_what_is_there() {
    let all = vec!["m1".to_string(), "m2".to_string()];
    let of = |id: &str| match id {
        "m1" => Some(2.0),
        _ => None,
    };
    assert_eq!(
        math::parse("SUM([m1, m2])", &all).unwrap().value(of),
        Some(2.0)
    );
    assert_eq!(
        math::parse("SUM(METRICS())", &all).unwrap().value(of),
        Some(2.0)
    );
    assert_eq!(
        math::parse("MAX([m1,m2])", &all)
            .unwrap()
            .value(|_| Some(3.0)),
        Some(3.0)
    );
    assert_eq!(
        math::parse("m1 + m2", &all).unwrap().value(of),
        None,
        "+ needs every term"
    );
    assert_eq!(
        math::parse("m1+m2", &all).unwrap().value(|_| Some(1.5)),
        Some(3.0)
    );
    assert_eq!(
        math::parse("SUM([m1])", &all).unwrap().value(|_| None),
        None
    );
    for unsupported in [
        "RATE(m1)",
        "m1 * 100",
        "FILL(m1, 0)",
        "SUM([m1, 2])",
        "SUM(m1",
    ] {
        assert!(math::parse(unsupported, &all).is_err(), "{unsupported}");
    }
}

fn backlog_properties() -> serde_json::Value {
    json!({
        "AlarmName": "hitl-local-oldest-undelivered-decision",
        "Namespace": "Hitl/hitl-local",
        "MetricName": "OldestUndeliveredAgeSeconds",
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": "20",
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching"
    })
}

#[test]
fn an_alarm_s_properties_become_its_rule() {
    let def = from_properties("OldestUndeliveredDecisionAlarm", &backlog_properties());
    let r = def.rule.unwrap();
    assert_eq!(r.threshold, 20.0, "a !Ref parameter resolves to a string");
    assert_eq!((r.evaluation_periods, r.datapoints_to_alarm), (1, 1));
    assert_eq!(r.treat_missing, TreatMissing::NotBreaching);
    let math = json!({
        "Metrics": [
            {"Id": "e", "Expression": "SUM(METRICS())", "ReturnData": true},
            {"Id": "m1", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": "DecisionApiFunction"}]}, "Period": 60, "Stat": "Sum"}},
            {"Id": "m2", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Throttles"}, "Period": 60, "Stat": "Sum"}}
        ],
        "EvaluationPeriods": 5, "DatapointsToAlarm": 2, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold"
    });
    let r = from_properties("FunctionErrors", &math).rule.unwrap();
    assert_eq!(r.metrics().len(), 2);
    assert_eq!(r.period_s, 60);
    assert_eq!(r.treat_missing, TreatMissing::Missing, "the default");
}

#[test]
fn what_cloudwatch_would_refuse_or_the_stack_cannot_model_is_named() {
    let broken: &[(&str, serde_json::Value)] = &[
        ("DatapointsToAlarm", json!({"DatapointsToAlarm": 2})),
        ("Period", json!({"Period": 45})),
        (
            "ComparisonOperator",
            json!({"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}),
        ),
        ("TreatMissingData", json!({"TreatMissingData": "zero"})),
        ("statistic", json!({"Statistic": "Median"})),
        ("Threshold", json!({"Threshold": "twenty"})),
        ("EvaluationPeriods", json!({"EvaluationPeriods": 0})),
        ("ThresholdMetricId", json!({"ThresholdMetricId": "ad1"})),
    ];
    for (what, change) in broken {
        let mut props = backlog_properties();
        for (k, v) in change.as_object().unwrap() {
            props[k] = v.clone();
        }
        let err = from_properties("A", &props).rule.unwrap_err();
        assert!(err.to_string().contains(what), "{what}: {err}");
    }
}

#[test]
fn an_alarm_starts_insufficient_and_follows_the_minutes() {
    let def = from_properties("A", &backlog_properties());
    let key = MetricKey::new("Hitl/hitl-local", "OldestUndeliveredAgeSeconds", &[]);
    let t0 = 2_000 * 60_000;
    let mut entry = Entry::new(def);
    assert_eq!(entry.state, I);
    let modelled = |_: &MetricKey| Ok(());
    let mut samples = Fixed(BTreeMap::from([(key.clone(), vec![(t0 + 5_000, 3.0)])]));
    entry.tick(&samples, modelled, t0 + 30_000);
    assert_eq!(
        entry.state, O,
        "notBreaching: no data is OK: {}",
        entry.reason
    );
    entry.tick(&samples, modelled, t0 + 61_000);
    assert_eq!(entry.state, O, "{}", entry.reason);
    samples.0.get_mut(&key).unwrap().push((t0 + 65_000, 45.0));
    entry.tick(&samples, modelled, t0 + 100_000);
    assert_eq!(entry.state, O, "the minute under way is not read yet");
    entry.tick(&samples, modelled, t0 + 120_500);
    assert_eq!(entry.state, A, "{}", entry.reason);
    assert_eq!(entry.history.len(), 2, "OK, then ALARM");
    entry.tick(
        &samples,
        |_: &MetricKey| Err(anyhow!("not here")),
        t0 + 180_500,
    );
    assert_eq!(entry.state, I);
    assert!(entry.reason.contains("not here"), "{}", entry.reason);
}

fn treat() -> impl Strategy<Value = TreatMissing> {
    prop_oneof![
        Just(TreatMissing::Missing),
        Just(TreatMissing::NotBreaching),
        Just(TreatMissing::Breaching),
        Just(TreatMissing::Ignore)
    ]
}

fn series() -> impl Strategy<Value = Vec<Option<f64>>> {
    proptest::collection::vec(proptest::option::of(0.0f64..40.0), 3..9)
}

proptest! {
    /// With N real datapoints, TreatMissingData never matters.
    #[test]
    fn full_data_decides_alone(values in proptest::collection::vec(0.0f64..40.0, 5..9), n in 1usize..5, t in treat()) {
        let m = 1 + n / 2;
        let p: Vec<Datapoint> = values.iter().map(|v| Datapoint { start_ms: 0, value: Some(*v) }).collect();
        let (state, _) = decide(&rule(n, m, t), &p, I);
        let (reference, _) = decide(&rule(n, m, TreatMissing::Missing), &p, O);
        prop_assert_eq!(state, reference);
    }

    /// Raising a datapoint of a "greater than" alarm never takes it out of ALARM.
    #[test]
    fn more_is_never_better(values in series(), at in 0usize..9, n in 1usize..4, t in treat()) {
        let m = n;
        let p: Vec<Datapoint> = values.iter().map(|v| Datapoint { start_ms: 0, value: *v }).collect();
        let mut raised = p.clone();
        let i = at % raised.len();
        raised[i].value = raised[i].value.map(|v| v + 30.0);
        let (before, _) = decide(&rule(n, m, t), &p, O);
        let (after, _) = decide(&rule(n, m, t), &raised, O);
        prop_assert!(before != A || after == A);
    }

    /// Without one breaching datapoint, only "missing is breaching" can alarm.
    #[test]
    fn no_breach_no_alarm(values in series(), n in 1usize..4, t in treat()) {
        let p: Vec<Datapoint> = values.iter().map(|v| Datapoint { start_ms: 0, value: v.map(|v| v.min(20.0)) }).collect();
        let (state, _) = decide(&rule(n, n, t), &p, O);
        prop_assert!(state != A || t == TreatMissing::Breaching);
    }

    #[test]
    fn statistics_are_ordered(values in proptest::collection::vec(-1e6f64..1e6, 1..50), p in 0.0f64..100.0) {
        let min = statistic(Statistic::Minimum, &values).unwrap();
        let max = statistic(Statistic::Maximum, &values).unwrap();
        let avg = statistic(Statistic::Average, &values).unwrap();
        let pct = statistic(Statistic::Percentile(p), &values).unwrap();
        prop_assert!(min <= avg + 1e-6 && avg <= max + 1e-6);
        prop_assert!(min <= pct && pct <= max);
        prop_assert_eq!(statistic(Statistic::Percentile(100.0), &values).unwrap(), max);
    }
}
