//! One channel's phase: N executions started, each request found where a person sees it and
//! decided once, every execution waited for (it must end approved) and its history read for
//! its state transitions; the meter's counters before and after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde_json::Value;

use super::channels::{self, Channel, Handle};
use super::usage::{self, Snapshot};
use super::{snapshot, wait_until_quiet, Phase};
use crate::Target;

/// Runs `n` approvals by `channel` from start to end; what they used.
pub async fn run(
    target: &Arc<Target>,
    channel: Channel,
    n: usize,
    (run_id, teams_flow): (&str, &str),
    left_out: &[String],
) -> anyhow::Result<Phase> {
    let started = Instant::now();
    let before = snapshot(target).await?;
    let executions = start_all(target, channel, n, (run_id, teams_flow)).await?;
    let (handles, mut failures) = wait_for_requests(target, channel, &executions).await?;
    failures.extend(decide_all(target, handles).await);
    let arns: Vec<String> = executions.into_iter().map(|(_, arn)| arn).collect();
    let transitions = finish(target, &arns, &mut failures).await;
    wait_until_quiet(target).await;
    let after = snapshot(target).await?;
    let mut usage = usage::usage(&before, &after, left_out);
    usage.executions = arns.len() as u64;
    usage.transitions = transitions;
    // The stack's own reads of executions (its page and metrics) are no function's either.
    let others = |s: &Snapshot| {
        let calls = s.calls.get("other").into_iter().flatten();
        calls
            .filter(|(call, _)| !call.starts_with("sfn.Describe") && !call.starts_with("sfn.List"))
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let unattributed = others(&after) - others(&before);
    Ok(Phase {
        channel,
        approvals: n,
        usage,
        failures,
        took: started.elapsed(),
        unattributed,
    })
}

/// Waits until every execution's request reached its channel; what a person acts on.
async fn wait_for_requests(
    target: &Target,
    channel: Channel,
    executions: &[(String, String)],
) -> anyhow::Result<(Vec<Handle>, Vec<String>)> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let mut found = channels::find(target, channel).await?;
        let handles: Vec<Handle> = executions
            .iter()
            .filter_map(|(tag, _)| found.remove(tag))
            .collect();
        if handles.len() == executions.len() {
            return Ok((handles, Vec::new()));
        }
        if Instant::now() > deadline {
            // The run goes on with those delivered; the report fails.
            let missing = format!(
                "{}: {} of {} requests delivered after 300 s",
                channel.name(),
                handles.len(),
                executions.len()
            );
            return Ok((handles, vec![missing]));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Starts `n` executions, `channel.start_parallelism()` at a time and paced by
/// `channel.start_interval()`; `(tag, ARN)` of each.
async fn start_all(
    target: &Arc<Target>,
    channel: Channel,
    n: usize,
    (run_id, teams_flow): (&str, &str),
) -> anyhow::Result<Vec<(String, String)>> {
    let limit = Arc::new(tokio::sync::Semaphore::new(channel.start_parallelism()));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (target, limit, flow) = (target.clone(), limit.clone(), teams_flow.to_string());
        let tag = format!("load-{run_id}-{}-{i:05}", channel.name().to_lowercase());
        let permit = limit.acquire_owned().await?;
        tasks.push(tokio::spawn(async move {
            let started = channels::start(&target, channel, &tag, &flow).await;
            drop(permit);
            started.map(|arn| (tag, arn))
        }));
        tokio::time::sleep(channel.start_interval()).await;
    }
    let mut executions = Vec::new();
    for task in tasks {
        executions.push(task.await??);
    }
    Ok(executions)
}

async fn decide_all(target: &Arc<Target>, handles: Vec<Handle>) -> Vec<String> {
    let limit = Arc::new(tokio::sync::Semaphore::new(5));
    let tasks: Vec<_> = handles
        .into_iter()
        .map(|handle| {
            let (target, limit) = (target.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire().await;
                channels::decide(&target, &handle).await
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(format!("{e:#}")),
            Err(e) => failures.push(e.to_string()),
        }
    }
    failures
}

/// Waits for each execution to end approved (else a failure) and counts its state transitions.
async fn finish(target: &Target, arns: &[String], failures: &mut Vec<String>) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut transitions = 0;
    for arn in arns {
        let output = loop {
            let described = target
                .sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await;
            match described {
                Ok(d) if d.status().as_str() != "RUNNING" => {
                    break Some((
                        d.status().as_str().to_string(),
                        d.output().unwrap_or_default().to_string(),
                    ))
                }
                _ if Instant::now() > deadline => break None,
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        };
        match output {
            Some((status, output)) => {
                let outcome =
                    serde_json::from_str::<Value>(&output).unwrap_or_default()["outcome"].clone();
                if status != "SUCCEEDED" || outcome != "approved" {
                    failures.push(format!("{arn}: {status} {output}"));
                }
            }
            None => failures.push(format!("{arn}: still running after 180 s")),
        }
        match history_transitions(target, arn).await {
            Ok(n) => transitions += n,
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    transitions
}

/// State transitions of an execution as Step Functions bills them: each state entered, and
/// each retry of a Task (a second scheduling in the same state).
pub fn transitions(event_types: &[&str]) -> u64 {
    let mut count = 0;
    let mut scheduled_in_state = false;
    for event in event_types {
        if event.ends_with("StateEntered") {
            count += 1;
            scheduled_in_state = false;
        } else if *event == "TaskScheduled" || *event == "LambdaFunctionScheduled" {
            if scheduled_in_state {
                count += 1;
            }
            scheduled_in_state = true;
        }
    }
    count
}

async fn history_transitions(target: &Target, arn: &str) -> anyhow::Result<u64> {
    let mut types = Vec::new();
    let mut pages = target
        .sfn
        .get_execution_history()
        .execution_arn(arn)
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            anyhow!(
                "GetExecutionHistory: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
        types.extend(
            page.events()
                .iter()
                .map(|e| e.r#type().as_str().to_string()),
        );
    }
    Ok(transitions(
        &types.iter().map(String::as_str).collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_count_states_entered_and_retries() {
        let history = [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionFailed",
            "LambdaFunctionScheduled",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ChoiceStateEntered",
            "SucceedStateEntered",
            "ExecutionSucceeded",
        ];
        assert_eq!(transitions(&history), 5, "4 states and 1 retry");
    }
}
