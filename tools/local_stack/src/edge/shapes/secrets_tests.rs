//! Secrets Manager's injected faults, read by the real SDK the functions use: the answers must
//! be classified as Secrets Manager's own (a retryable 5xx, a throttle), or a test of slow or
//! failing cold-start reads would test a shape AWS never sends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use axum::http::{HeaderMap, Method};

use super::super::faults::{Config, Faults, Injected, Service};
use super::{classify_aws, fault_response};

#[test]
fn secrets_manager_calls_are_classified_by_their_target() {
    let mut h = HeaderMap::new();
    h.insert(
        "x-amz-target",
        "secretsmanager.GetSecretValue".parse().unwrap(),
    );
    assert_eq!(
        classify_aws(&h, &Method::POST, "/"),
        Some((Service::SecretsManager, "GetSecretValue".into()))
    );
}

#[test]
fn a_secrets_manager_rule_matches_only_its_calls() {
    let config = Config::parse(
        r#"{"rules":[{"service":"secretsmanager","operation":"GetSecretValue","errorRate":1,"latencyMs":1500}]}"#,
    )
    .unwrap();
    let faults = Faults::new(config, Some(1));
    let read = faults.decide(Service::SecretsManager, "GetSecretValue", b"");
    assert_eq!(read.inject, Some(Injected::Error));
    assert_eq!(read.delay, Duration::from_millis(1500));
    let other = faults.decide(Service::SecretsManager, "DescribeSecret", b"");
    assert_eq!(other.inject, None, "the rule names GetSecretValue only");
    assert_eq!(other.delay, Duration::ZERO);
    assert_eq!(
        faults.decide(Service::Dynamodb, "GetItem", b"").inject,
        None
    );
    let counters = &faults.snapshot()["counters"]["calls"]["secretsmanager.GetSecretValue"];
    assert_eq!(counters["errors"], 1);
    assert_eq!(counters["delayed"], 1);
}

/// A server answering every call with `fault`; the number of calls it got.
async fn always(fault: Injected) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            fault_response(Service::SecretsManager, "GetSecretValue", fault)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

/// What the SDK makes of the fault: its error code, and how many calls it made (2 = retried).
async fn read_secret(fault: Injected) -> (String, usize) {
    let (url, calls) = always(fault).await;
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .endpoint_url(url)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(config);
    let error = client
        .get_secret_value()
        .secret_id("keys")
        .send()
        .await
        .expect_err("every call fails");
    let code = error
        .as_service_error()
        .and_then(|e| e.code())
        .unwrap_or_default();
    (code.to_string(), calls.load(Ordering::SeqCst))
}

#[tokio::test]
async fn the_sdk_reads_them_as_secrets_manager_s_retryable_errors() {
    assert_eq!(
        read_secret(Injected::Error).await,
        ("InternalServiceError".to_string(), 2)
    );
    assert_eq!(
        read_secret(Injected::Throttle).await,
        ("ThrottlingException".to_string(), 2)
    );
}
