//! The seed's example as a real workflow: idle RDS instances (found by tag) reviewed one by
//! one; only the approved one is stopped.

use std::time::Duration;

use e2e_tests::*;
use serde_json::json;

async fn create_instance(id: &str, idle: bool) {
    local_stack::rds::create_instance(&endpoints().edge, id, idle)
        .await
        .unwrap();
}

async fn status_of(id: &str) -> String {
    local_stack::rds::instance_status(&endpoints().edge, id)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_the_approved_idle_instance_is_stopped() {
    let (keep, stop, busy) = (unique("db-keep"), unique("db-stop"), unique("db-busy"));
    create_instance(&stop, true).await;
    create_instance(&keep, true).await;
    create_instance(&busy, false).await;
    for id in [&stop, &keep, &busy] {
        assert_eq!(status_of(id).await, "available");
    }

    let arn = start_execution(
        "RdsIdleReviewStateMachine",
        json!({"approvers": ["owner@example.com"]}),
    )
    .await;
    // One by one: the second request is sent only after the first is decided.
    let first = emails_matching("Stop idle RDS instance", 1).await.remove(0);
    let (approve, reject) = links_of(&first);
    let first_is_stop = first.subject.contains(&stop);
    assert!(
        first_is_stop || first.subject.contains(&keep),
        "{}",
        first.subject
    );
    confirm(if first_is_stop { &approve } else { &reject }, &[]).await;

    let both = emails_matching("Stop idle RDS instance", 2).await;
    let second = both.iter().find(|e| e.id != first.id).unwrap();
    let (approve, reject) = links_of(second);
    confirm(if first_is_stop { &reject } else { &approve }, &[]).await;

    let end = wait_for_end(&arn, Duration::from_secs(90)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let results = end.output["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let outcome_of = |id: &str| {
        results
            .iter()
            .find(|r| r["instance"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {results:?}"))
    };
    assert_eq!(outcome_of(&stop)["outcome"], "stopped");
    assert_eq!(outcome_of(&keep)["outcome"], "kept");
    // An instance without the idle tag is listed but never put to an approver.
    assert_eq!(
        outcome_of(&busy),
        json!({"instance": busy, "outcome": "not-idle"})
    );
    assert_eq!(status_of(&stop).await, "stopped");
    assert_eq!(status_of(&keep).await, "available");
    assert_eq!(status_of(&busy).await, "available");
    assert!(!both.iter().any(|e| e.subject.contains(&busy)));
}

#[tokio::test]
async fn the_review_can_ask_in_slack_and_reports_there() {
    // Named in the input (not tagged), so the tag-based review above never sees it as idle.
    let db = unique("db-slack");
    create_instance(&db, false).await;
    let arn = start_execution(
        "RdsIdleReviewStateMachine",
        json!({"via": "slack", "channel": "#approvals", "allowedUsers": ["U0CAROL"], "instanceIds": [db]}),
    )
    .await;
    let asked = slack_message_with(&db).await;
    let (channel, ts) = (
        asked["channel"].as_str().unwrap().to_string(),
        asked["ts"].as_str().unwrap().to_string(),
    );
    let (status, _) = slack_click(&channel, &ts, "U0CAROL", "reject", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["results"][0]["outcome"], "kept");
    assert_eq!(end.output["results"][0]["decidedBy"], "U0CAROL");
    assert_eq!(status_of(&db).await, "available");
    let summary = slack_message_with("Idle RDS review done").await;
    assert!(summary["text"].as_str().unwrap().contains(&db), "{summary}");
}
