//! The pool against a tiny runtime written in sh + curl: `{"sleep": s}` holds the invocation
//! for `s` seconds; `STARTUP_DELAY` delays the first poll (a slow cold start).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use super::*;

const RUNTIME: &str = r#"#!/bin/sh
PATH=/usr/bin:/bin
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
sleep "${STARTUP_DELAY:-0}"
hdr=$(mktemp)
while true; do
  body=$(curl -sS -D "$hdr" "$api/next") || exit 1
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$hdr" | cut -d' ' -f2 | tr -d '\r')
  case "$body" in
    *sleep*) sleep "$(echo "$body" | sed 's/.*"sleep":\([0-9.]*\).*/\1/')" ;;
  esac
  curl -sS -X POST -d "$body" "$api/$id/response" > /dev/null
done
"#;

fn function(timeout_secs: u64, startup_delay: &str) -> (FunctionDef, PathBuf) {
    let dir = std::env::temp_dir().join(format!("hitl-pool-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("bootstrap");
    std::fs::write(&script, RUNTIME).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let def = FunctionDef {
        logical_id: "TestFunction".into(),
        binary: "bootstrap".into(),
        env: BTreeMap::from([("STARTUP_DELAY".to_string(), startup_delay.to_string())]),
        timeout_secs,
        memory_mb: 128,
        http_routes: vec![],
        schedules: vec![],
    };
    (def, dir)
}

async fn pool(
    timeout_secs: u64,
    limit: usize,
    startup_delay: &str,
) -> (Arc<FunctionPool>, watch::Sender<bool>) {
    let (def, dir) = function(timeout_secs, startup_delay);
    let (stop, shutdown) = watch::channel(false);
    let pool = FunctionPool::start(&def, &dir, &[], &dir, limit, shutdown)
        .await
        .unwrap();
    (pool, stop)
}

async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_killed_process_is_answered_with_exit_error_at_once() {
    let (pool, _stop) = pool(10, 2, "0").await;
    let held = tokio::spawn({
        let pool = pool.clone();
        async move { pool.invoke(json!({"sleep": 30})).await }
    });
    until("the event to be picked up", || pool.snapshot()["busy"] == 1).await;
    let pids = pool.pids();
    assert_eq!(pids.len(), 1, "one warm process took it");
    let killed_at = Instant::now();
    assert!(pool.kill(pids[0]));
    let outcome = tokio::time::timeout(Duration::from_secs(3), held)
        .await
        .expect("answered at once, not after the 10 s timeout")
        .unwrap();
    assert!(killed_at.elapsed() < Duration::from_secs(3));
    let error = outcome.unwrap_err();
    assert_eq!(error["errorType"], "Runtime.ExitError", "{error}");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("RequestId: ")
            && message.ends_with("Error: Runtime exited with error: signal: killed"),
        "{message}"
    );
    // The pool keeps a warm process, and the function still answers.
    assert_eq!(
        pool.invoke(json!({"after": 1})).await.unwrap(),
        json!({"after": 1})
    );
    assert_eq!(pool.snapshot()["stats"]["crashes"], 1);
}

#[tokio::test]
async fn scales_out_per_concurrent_invoke_and_throttles_beyond_the_limit() {
    let (pool, _stop) = pool(10, 3, "0").await;
    until("the warm process", || pool.snapshot()["idle"] == 1).await;
    let started = Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.try_invoke(json!({"sleep": 1, "i": i})).await })
        })
        .collect();
    until("three busy processes", || pool.snapshot()["busy"] == 3).await;
    let refused_at = Instant::now();
    assert_eq!(pool.try_invoke(json!({"i": 4})).await, Err(Throttled));
    assert!(
        refused_at.elapsed() < Duration::from_millis(100),
        "refused at once, not queued"
    );
    for call in calls {
        assert!(call.await.unwrap().unwrap().is_ok());
    }
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "ran side by side: {:?}",
        started.elapsed()
    );
    let s = pool.snapshot();
    assert_eq!(s["processes"], 3);
    assert_eq!(s["stats"]["coldStarts"], 3, "the warm one and two more");
    assert_eq!(s["stats"]["throttled"], 1);
    assert_eq!(s["stats"]["peakConcurrency"], 3);
}

#[tokio::test]
async fn the_timeout_counts_from_the_pick_up_not_from_queueing() {
    // Every process takes 1.5 s to start; the function timeout is 1 s.
    let (pool, _stop) = pool(1, 2, "1.5").await;
    let quick = pool.invoke(json!({"quick": true})).await;
    assert_eq!(
        quick.unwrap(),
        json!({"quick": true}),
        "waiting for a cold start is no timeout"
    );
    let started = Instant::now();
    let slow = pool.invoke(json!({"sleep": 3})).await.unwrap_err();
    assert_eq!(slow["errorType"], "Sandbox.Timedout", "{slow}");
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(pool.snapshot()["stats"]["timeouts"], 1);
}

#[tokio::test]
async fn no_process_runs_when_nothing_may() {
    let (pool, _stop) = pool(1, 0, "0").await;
    assert_eq!(pool.try_invoke(json!({})).await, Err(Throttled));
    assert_eq!(
        pool.invoke(json!({})).await.unwrap_err()["errorType"],
        "TooManyRequestsException"
    );
    assert!(pool.pids().is_empty());
}
