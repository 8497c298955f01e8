use serde_json::json;

use super::*;

fn line(value: serde_json::Value) -> String {
    value.to_string()
}

#[test]
fn the_contract_s_line_gives_one_metric_per_dimension_set() {
    let text = line(json!({
        "_aws": {"Timestamp": 1_700_000_000_123i64, "CloudWatchMetrics": [{
            "Namespace": "Hitl/hitl-local",
            "Dimensions": [["Channel"], []],
            "Metrics": [{"Name": "DecisionsRecorded", "Unit": "Count"}]
        }]},
        "Channel": "email", "DecisionsRecorded": 1, "approvalId": "a1", "executionArn": "arn"
    }));
    let samples = parse(&text).unwrap().unwrap();
    assert_eq!(samples.len(), 2);
    assert_eq!(
        samples[0].key,
        MetricKey::new(
            "Hitl/hitl-local",
            "DecisionsRecorded",
            &[("Channel", "email")]
        )
    );
    assert_eq!(
        samples[1].key,
        MetricKey::new("Hitl/hitl-local", "DecisionsRecorded", &[])
    );
    assert_eq!(samples[0].unit.as_deref(), Some("Count"));
    assert_eq!(samples[0].timestamp_ms, 1_700_000_000_123);
    assert_eq!(samples[0].values, vec![1.0]);
}

#[test]
fn array_values_are_one_sample_each_and_no_dimension_sets_mean_no_dimension() {
    let text = line(json!({
        "_aws": {"Timestamp": 5, "CloudWatchMetrics": [{
            "Namespace": "N", "Dimensions": [],
            "Metrics": [{"Name": "ResumeLatency", "Unit": "Milliseconds"}]
        }]},
        "ResumeLatency": [120, 80.5]
    }));
    let samples = parse(&text).unwrap().unwrap();
    assert_eq!(samples.len(), 1);
    assert!(samples[0].key.dimensions.is_empty());
    assert_eq!(samples[0].values, vec![120.0, 80.5]);
}

#[test]
fn ordinary_log_lines_are_not_emf() {
    for text in [
        "INFO decision recorded",
        r#"{"level":"INFO","message":"x","approvalId":"a"}"#,
        r#"{"level":"INFO","message":"quoting \"_aws\" in a message"}"#,
        r#"{"level":"INFO","message":"_aws"}"#,
        "",
    ] {
        assert_eq!(parse(text).unwrap(), None, "{text}");
    }
}

/// An EMF line cut short (a write over the 256 KB event limit) or interleaved with another
/// write is not silently an ordinary log line: CloudWatch would lose its metrics.
#[test]
fn a_line_naming_aws_that_is_not_json_is_refused() {
    let whole = line(json!({
        "_aws": {"Timestamp": 5, "CloudWatchMetrics": [{
            "Namespace": "Hitl/s", "Dimensions": [[]], "Metrics": [{"Name": "TasksFailed"}]}]},
        "TasksFailed": 1
    }));
    assert!(parse(&whole).is_ok());
    for broken in [
        &whole[..whole.len() - 10],
        &format!("INFO starting{whole}"),
        r#"{"_aws" is mentioned but this is not json"#,
    ] {
        let err = parse(broken).unwrap_err();
        assert!(
            err.to_string().contains("not one JSON object"),
            "{broken}: {err}"
        );
    }
}

/// A named change that breaks a good EMF line.
type Breach = (&'static str, Box<dyn Fn(&mut serde_json::Value)>);

/// Each breach of the specification is refused, as CloudWatch drops such a line.
#[test]
fn broken_emf_is_refused() {
    let good = json!({
        "_aws": {"Timestamp": 5, "CloudWatchMetrics": [{
            "Namespace": "N", "Dimensions": [["Vendor"]],
            "Metrics": [{"Name": "VendorRefusals", "Unit": "Count"}]
        }]},
        "Vendor": "slack", "VendorRefusals": 1
    });
    assert!(parse(&line(good.clone())).unwrap().is_some());
    let broken: Vec<Breach> = vec![
        (
            "timestamp as a string",
            Box::new(|v| v["_aws"]["Timestamp"] = json!("5")),
        ),
        (
            "no directives",
            Box::new(|v| v["_aws"]["CloudWatchMetrics"] = json!({})),
        ),
        (
            "empty namespace",
            Box::new(|v| v["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!("")),
        ),
        (
            "dimension value missing",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("Vendor");
            }),
        ),
        (
            "dimension value a number",
            Box::new(|v| v["Vendor"] = json!(3)),
        ),
        (
            "value missing",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("VendorRefusals");
            }),
        ),
        (
            "value a string",
            Box::new(|v| v["VendorRefusals"] = json!("1")),
        ),
        (
            "empty value array",
            Box::new(|v| v["VendorRefusals"] = json!([])),
        ),
        (
            "unknown unit",
            Box::new(|v| v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Clicks")),
        ),
        (
            "bad resolution",
            Box::new(|v| {
                v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["StorageResolution"] = json!(5)
            }),
        ),
        ("_aws not an object", Box::new(|v| v["_aws"] = json!([]))),
    ];
    for (what, breaks) in broken {
        let mut v = good.clone();
        breaks(&mut v);
        assert!(parse(&line(v)).is_err(), "{what} was accepted");
    }
}

#[test]
fn the_store_keeps_values_by_time_and_counts_rejected_lines() {
    let store = crate::metrics::MetricStore::default();
    let key = MetricKey::new("N", "M", &[]);
    let now = crate::metrics::now_ms();
    store.record(key.clone(), None, now - 1000, &[1.0, 2.0]);
    store.record(key.clone(), None, now, &[5.0]);
    assert_eq!(store.values(&key, now - 1000, now), vec![1.0, 2.0]);
    assert_eq!(store.values(&key, now, now + 1), vec![5.0]);
    let snapshot = store.snapshot();
    assert_eq!(snapshot["metrics"][0]["sum"], 8.0);
    assert_eq!(snapshot["metrics"][0]["latest"]["value"], 5.0);
}

/// A timestamp in seconds (a common slip) reads as 1970: CloudWatch drops the event, and so
/// does the store, counting it where the page and the API show it.
#[test]
fn a_timestamp_outside_cloudwatch_s_window_is_rejected() {
    let name = format!("Late{}", uuid::Uuid::new_v4().simple());
    let seconds = crate::metrics::now_ms() / 1000;
    let text = line(json!({
        "_aws": {"Timestamp": seconds, "CloudWatchMetrics": [{
            "Namespace": "N", "Dimensions": [], "Metrics": [{"Name": name}]
        }]},
        name.clone(): 1
    }));
    let rejected = |s: &serde_json::Value| s["rejectedEmfLines"]["count"].as_u64().unwrap();
    let before = rejected(&crate::metrics::store().snapshot());
    crate::metrics::observe_line(&text);
    let after = crate::metrics::store().snapshot();
    assert!(rejected(&after) > before);
    let key = MetricKey::new("N", &name, &[]);
    assert!(crate::metrics::store().values(&key, 0, i64::MAX).is_empty());
}
