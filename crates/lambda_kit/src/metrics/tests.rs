use super::*;
use serde_json::json;

#[test]
fn a_document_is_the_emf_shape_with_values_at_the_top() {
    let doc = document(
        "Hitl/prod",
        1_700_000_000_123,
        Dimensions::One("Channel", "slack"),
        &[count(names::DECISIONS_RECORDED, 1)],
        &[("approvalId", "a-1"), ("executionArn", "arn:aws:states:x")],
    );
    assert_eq!(
        doc,
        json!({
            "_aws": {
                "Timestamp": 1_700_000_000_123_i64,
                "CloudWatchMetrics": [{
                    "Namespace": "Hitl/prod",
                    "Dimensions": [["Channel"]],
                    "Metrics": [{"Name": "DecisionsRecorded", "Unit": "Count"}],
                }],
            },
            "Channel": "slack",
            "DecisionsRecorded": 1.0,
            "approvalId": "a-1",
            "executionArn": "arn:aws:states:x",
        })
    );
}

#[test]
fn several_metrics_share_one_document_and_an_empty_dimension_set() {
    let doc = document(
        "ns",
        1,
        Dimensions::None,
        &[
            count(names::REDELIVERED, 2),
            Datum {
                name: names::OLDEST_UNDELIVERED_AGE,
                unit: Unit::Seconds,
                value: 930.0,
            },
        ],
        &[],
    );
    let directive = &doc["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Dimensions"], json!([[]]));
    assert_eq!(
        directive["Metrics"],
        json!([
            {"Name": "Redelivered", "Unit": "Count"},
            {"Name": "OldestUndeliveredAgeSeconds", "Unit": "Seconds"},
        ])
    );
    assert_eq!(doc["Redelivered"], json!(2.0));
    assert_eq!(doc["OldestUndeliveredAgeSeconds"], json!(930.0));
    assert!(doc.get("approvalId").is_none(), "absent when unknown");
}

#[test]
fn a_total_is_published_beside_the_dimensioned_metric() {
    let doc = document(
        "ns",
        1,
        Dimensions::WithTotal("Error", "Hitl.Config"),
        &[count(names::TASKS_FAILED, 1)],
        &[],
    );
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Error"], []])
    );
    assert_eq!(doc["Error"], json!("Hitl.Config"));
}

#[test]
fn a_property_never_overrides_a_dimension_or_a_value() {
    let doc = document(
        "ns",
        1,
        Dimensions::One("Vendor", "slack"),
        &[count(names::VENDOR_REFUSALS, 1)],
        &[("Vendor", "forged"), ("VendorRefusals", "x")],
    );
    assert_eq!(doc["Vendor"], json!("slack"));
    assert_eq!(doc["VendorRefusals"], json!(1.0));
}

#[test]
fn refusals_are_error_answers_not_throttles_outages_or_ambiguous_posts() {
    // Named as the adapters name them (saas_adapters::vendor_errors).
    let refused = |name| HitlError::failed_dependency(name, "x", Retry::Never);
    assert_eq!(
        refusing_vendor(&HitlError::failed_dependency(
            "Slack.ChannelNotFound",
            "x",
            Retry::Gone
        )),
        Some("slack")
    );
    assert_eq!(
        refusing_vendor(&refused("Teams.InvalidMessage")),
        Some("teams")
    );
    assert_eq!(
        refusing_vendor(&refused("Jira.TransitionNotFound")),
        Some("jira")
    );
    assert_eq!(
        refusing_vendor(&refused("Outlook.Unauthorized")),
        Some("graph")
    );
    assert_eq!(
        refusing_vendor(&refused("Smtp.Unauthorized")),
        Some("email")
    );
    assert_eq!(
        refusing_vendor(&HitlError::EmailRejected("unverified".into())),
        Some("email")
    );
    for (name, retry) in [
        ("Slack.RateLimited", Retry::Later),
        ("Slack.Unavailable", Retry::Soon),
        ("Slack.Unconfirmed", Retry::Unsafe),
    ] {
        let err = HitlError::failed_dependency(name, "x", retry);
        assert_eq!(refusing_vendor(&err), None, "{name}");
    }
    assert_eq!(
        refusing_vendor(&HitlError::transient("DynamoDB", "x")),
        None
    );
    assert_eq!(refusing_vendor(&HitlError::Config("x".into())), None);
}

/// The template's alarms and dashboard watch the metrics as the functions write them: each
/// metric of our namespace they name is one we emit (a typo would leave an alarm without data
/// for good, `notBreaching` and silent), each one we emit is watched, and the `Vendor` values
/// are the ones [`refusing_vendor`] gives.
#[test]
fn the_templates_alarms_and_dashboard_name_the_metrics_we_write() {
    let template = include_str!("../../../../template.yaml");
    let ours = "Namespace: !Sub \"Hitl/${AWS::StackName}\"";
    let lines: Vec<&str> = template.lines().map(str::trim).collect();
    let mut watched = Vec::new();
    for pair in lines.windows(2) {
        if pair[0] == ours {
            let name = pair[1]
                .strip_prefix("MetricName: ")
                .expect("MetricName after Namespace");
            watched.push(name.to_string());
        }
    }
    let on_dashboard = "\"Hitl/${AWS::StackName}\", \"";
    for (at, _) in template.match_indices(on_dashboard) {
        let rest = &template[at + on_dashboard.len()..];
        watched.push(rest[..rest.find('"').unwrap()].to_string());
    }
    // A dashboard SEARCH: `MetricName=\"ColdStarts\"` in the body's JSON.
    let searched = "MetricName=\\\"";
    for (at, _) in template.match_indices(searched) {
        let rest = &template[at + searched.len()..];
        watched.push(rest[..rest.find('\\').unwrap()].to_string());
    }
    for name in &watched {
        assert!(
            names::ALL.contains(&name.as_str()),
            "{name} is not a metric we write"
        );
    }
    for name in names::ALL {
        assert!(
            watched.iter().any(|w| w == name),
            "{name} is watched by nothing"
        );
    }
    let vendors = ["slack", "teams", "jira", "graph", "email"];
    for pair in lines.windows(2) {
        if pair[0] == "- Name: Vendor" {
            let vendor = pair[1].strip_prefix("Value: ").unwrap();
            assert!(vendors.contains(&vendor), "{vendor}");
        }
    }
    let refused = |name| refusing_vendor(&HitlError::failed_dependency(name, "x", Retry::Never));
    for name in [
        "Slack.ApiError",
        "Teams.ApiError",
        "Jira.ApiError",
        "Outlook.ApiError",
        "Smtp.Unauthorized",
    ] {
        assert!(vendors.contains(&refused(name).unwrap()), "{name}");
    }
}

#[test]
fn a_data_point_names_its_approval_and_only_that_approvals_execution() {
    let request = Ids {
        approval_id: Some("a-1".into()),
        execution_arn: Some("arn:one".into()),
        decided: None,
    };
    let none = Ids::default();
    assert_eq!(
        correlation_properties(None, &request),
        [("approvalId", "a-1"), ("executionArn", "arn:one")]
    );
    assert_eq!(
        correlation_properties(Some(("a-1", None)), &request),
        [("approvalId", "a-1"), ("executionArn", "arn:one")]
    );
    assert_eq!(
        correlation_properties(Some(("a-2", None)), &request),
        [("approvalId", "a-2")],
        "another approval's execution is not this one's"
    );
    assert_eq!(
        correlation_properties(Some(("a-2", Some("arn:two"))), &request),
        [("approvalId", "a-2"), ("executionArn", "arn:two")]
    );
    assert!(correlation_properties(None, &none).is_empty());
}

/// The alarmed total (`TasksFailed` without dimensions) leaves out what the recommended Retry
/// recovers; the per-`Error` metric still counts everything.
#[test]
fn a_failure_a_retry_recovers_is_counted_by_name_but_not_in_the_alarmed_total() {
    let sets = |err: &HitlError| {
        let line: Value = serde_json::from_str(&task_failed_line("ns", err)).unwrap();
        assert_eq!(line["Error"], json!(err.name()));
        assert_eq!(line[names::TASKS_FAILED], json!(1.0));
        line["_aws"]["CloudWatchMetrics"][0]["Dimensions"].clone()
    };
    let service = |name, retry| HitlError::failed_dependency(name, "x", retry);
    for recovered in [
        HitlError::transient("DynamoDB", "throttled"),
        service("Slack.RateLimited", Retry::Later),
        service("Teams.Unavailable", Retry::Soon),
        service("Jira.RateLimited", Retry::Later),
    ] {
        assert_eq!(sets(&recovered), json!([["Error"]]), "{}", recovered.name());
    }
    for alarmed in [
        HitlError::invalid_input("x"),
        HitlError::Config("x".into()),
        service("Slack.NotInChannel", Retry::Never),
        service("Slack.Unconfirmed", Retry::Unsafe),
        HitlError::EmailRejected("x".into()),
    ] {
        assert_eq!(sets(&alarmed), json!([["Error"], []]), "{}", alarmed.name());
    }
}
