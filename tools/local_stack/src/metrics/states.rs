//! `AWS/States` `ExecutionsFailed` per `StateMachineArn`, as Step Functions publishes it: the
//! local Step Functions (moto) publishes nothing, so the template's state machines are asked
//! for their failed executions every [`POLL`], and each new one counts once, at its stop time.
//! (A failure is seen up to [`POLL`] late; an alarm evaluation in between misses it, as an
//! evaluation misses a late metric on AWS.) Other `AWS/States` metrics are not modelled.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::anyhow;
use aws_sdk_sfn::types::ExecutionStatus;
use tokio::sync::watch;

use super::{now_ms, store, MetricKey};

pub const NAMESPACE: &str = "AWS/States";
pub const MODELLED: &[&str] = &["ExecutionsFailed"];
pub const POLL: Duration = Duration::from_secs(10);

static RUNNING: AtomicBool = AtomicBool::new(false);

/// Whether the poller runs in this process (else no `AWS/States` metric is modelled).
pub fn running() -> bool {
    RUNNING.load(Ordering::Relaxed)
}

/// Polls `state_machines` (their ARNs) until shutdown.
pub fn start(
    sfn: aws_sdk_sfn::Client,
    state_machines: Vec<String>,
    mut shutdown: watch::Receiver<bool>,
) {
    RUNNING.store(true, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut seen = BTreeSet::new();
        loop {
            for arn in &state_machines {
                if let Err(e) = poll(&sfn, arn, &mut seen).await {
                    tracing::debug!(state_machine = %arn, error = %e, "ExecutionsFailed poll");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    });
}

async fn poll(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    seen: &mut BTreeSet<String>,
) -> anyhow::Result<()> {
    let list = sfn
        .list_executions()
        .state_machine_arn(arn)
        .status_filter(ExecutionStatus::Failed)
        .max_results(100)
        .send()
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    for execution in list.executions() {
        if seen.insert(execution.execution_arn().to_string()) {
            let stopped = execution
                .stop_date()
                .and_then(|d| d.to_millis().ok())
                .unwrap_or_else(now_ms);
            let key = MetricKey::new(NAMESPACE, "ExecutionsFailed", &[("StateMachineArn", arn)]);
            store().record(key, Some("Count".into()), stopped, &[1.0]);
        }
    }
    Ok(())
}
