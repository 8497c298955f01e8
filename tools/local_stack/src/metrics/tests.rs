//! The metrics of a real pool: a runtime in sh + curl prints an EMF line per invocation and
//! fails the events that ask it to; the pool's invocations, errors and throttles and the
//! printed metric reach the store.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use super::*;
use crate::runtime_api::pool::Throttled;
use crate::runtime_api::FunctionPool;
use crate::template::FunctionDef;

const RUNTIME: &str = r#"#!/bin/sh
PATH=/usr/bin:/bin
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
hdr=$(mktemp)
while true; do
  body=$(curl -sS -D "$hdr" "$api/next") || exit 1
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$hdr" | cut -d' ' -f2 | tr -d '\r')
  echo "plain log line for $id"
  echo '{"_aws":{"Timestamp":'"$(date +%s)000"',"CloudWatchMetrics":[{"Namespace":"Test/metrics","Dimensions":[["Function"]],"Metrics":[{"Name":"Handled","Unit":"Count"}]}]},"Function":"'"$AWS_LAMBDA_FUNCTION_NAME"'","Handled":1}'
  case "$body" in
    *sleep*) sleep 2 ;;
  esac
  case "$body" in
    *fail*) curl -sS -X POST -d '{"errorType":"Boom","errorMessage":"x"}' "$api/$id/error" > /dev/null ;;
    *) curl -sS -X POST -d "$body" "$api/$id/response" > /dev/null ;;
  esac
done
"#;

fn sum(key: &MetricKey) -> f64 {
    store().values(key, 0, i64::MAX).iter().sum()
}

#[tokio::test]
async fn a_pool_s_invocations_errors_throttles_and_printed_metrics_are_recorded() {
    let name = format!("MetricsTest{}", uuid::Uuid::new_v4().simple());
    let dir = std::env::temp_dir().join(format!("hitl-metrics-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bootstrap"), RUNTIME).unwrap();
    std::fs::set_permissions(
        dir.join("bootstrap"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let def = FunctionDef {
        logical_id: name.clone(),
        binary: "bootstrap".into(),
        env: BTreeMap::new(),
        timeout_secs: 10,
        memory_mb: 128,
        http_routes: vec![],
        schedules: vec![],
    };
    let (_stop, shutdown) = watch::channel(false);
    let pool = FunctionPool::start(&def, &dir, &[], &dir, 1, shutdown)
        .await
        .unwrap();
    assert!(pool.try_invoke(json!({"ok": 1})).await.unwrap().is_ok());
    assert!(pool.try_invoke(json!({"fail": 1})).await.unwrap().is_err());
    let (held, refused) = tokio::join!(pool.try_invoke(json!({"sleep": 1})), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        pool.try_invoke(json!({})).await
    });
    assert!(held.is_ok());
    assert_eq!(refused.unwrap_err(), Throttled);

    let by_function = |metric: &str| {
        sum(&MetricKey::new(
            lambda::NAMESPACE,
            metric,
            &[("FunctionName", &name)],
        ))
    };
    assert_eq!(by_function("Invocations"), 3.0);
    assert_eq!(by_function("Errors"), 1.0);
    assert_eq!(by_function("Throttles"), 1.0);
    let handled = MetricKey::new("Test/metrics", "Handled", &[("Function", &name)]);
    // The output is read as the process writes it; the last line may trail the answer.
    for _ in 0..50 {
        if sum(&handled) == 3.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sum(&handled), 3.0, "one EMF line per invocation that ran");
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
    assert!(
        log.contains("plain log line"),
        "the function's log is kept as it was"
    );
    assert!(log.contains("\"_aws\""), "EMF lines stay in the log too");
}
