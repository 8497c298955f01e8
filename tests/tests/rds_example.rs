//! The seed's example as a real workflow: idle RDS instances (found by tag) reviewed one by
//! one; only the approved one is stopped.

use std::time::Duration;

use e2e_tests::*;
use serde_json::json;

/// Calls moto's RDS query API through the edge (as any AWS client would).
async fn rds(params: &[(&str, &str)]) -> String {
    let mut form: Vec<(&str, &str)> = vec![("Version", "2014-10-31")];
    form.extend_from_slice(params);
    let response = http()
        .post(format!("{}/", endpoints().edge))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0",
        )
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "RDS {params:?}: {}",
        response.status()
    );
    response.text().await.unwrap()
}

async fn create_instance(id: &str, idle: bool) {
    let mut params = vec![
        ("Action", "CreateDBInstance"),
        ("DBInstanceIdentifier", id),
        ("DBInstanceClass", "db.t3.micro"),
        ("Engine", "postgres"),
        ("AllocatedStorage", "20"),
        ("MasterUsername", "admin"),
        ("MasterUserPassword", "local-only-password"),
    ];
    if idle {
        params.extend([
            ("Tags.Tag.1.Key", "hitl:idle"),
            ("Tags.Tag.1.Value", "true"),
        ]);
    }
    rds(&params).await;
}

async fn status_of(id: &str) -> String {
    let xml = rds(&[
        ("Action", "DescribeDBInstances"),
        ("DBInstanceIdentifier", id),
    ])
    .await;
    xml.split("<DBInstanceStatus>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("?")
        .to_string()
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
    let results = end.output.to_string();
    assert!(
        !results.contains(&busy),
        "an instance without the idle tag is never reviewed: {results}"
    );
    assert_eq!(status_of(&stop).await, "stopped");
    assert_eq!(status_of(&keep).await, "available");
    assert_eq!(status_of(&busy).await, "available");
    assert!(!both.iter().any(|e| e.subject.contains(&busy)));
}
