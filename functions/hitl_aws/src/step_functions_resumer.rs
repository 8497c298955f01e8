//! Delivers decisions to waiting Tasks with `SendTaskSuccess`.

use async_trait::async_trait;
use aws_sdk_sfn::Client;
use hitl_domain::ports::{ResumeOutcome, WorkflowResumer};
use hitl_domain::{DecisionOutput, HitlError};

use crate::sdk_errors::{classify, code};

pub struct StepFunctionsResumer {
    client: Client,
}

impl StepFunctionsResumer {
    pub fn new(client: Client) -> Self {
        StepFunctionsResumer { client }
    }
}

/// `TaskTimedOut`, `InvalidToken`, `TaskDoesNotExist`: the Task no longer waits on this token
/// (it timed out, its execution stopped, or it was answered already).
fn no_longer_waiting(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("TaskTimedOut" | "InvalidToken" | "TaskDoesNotExist")
    )
}

#[async_trait]
impl WorkflowResumer for StepFunctionsResumer {
    async fn resume(
        &self,
        task_token: &str,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        let output = serde_json::to_string(output)
            .map_err(|e| HitlError::dependency("serde_json", e.to_string()))?;
        let sent = self
            .client
            .send_task_success()
            .task_token(task_token)
            .output(output)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(ResumeOutcome::Resumed),
            Err(err) if no_longer_waiting(code(&err)) => {
                tracing::warn!(
                    error_code = code(&err),
                    "the workflow no longer waits for this decision"
                );
                Ok(ResumeOutcome::NoLongerWaiting)
            }
            Err(err) => Err(classify("Step Functions", err)),
        }
    }

    async fn fail(
        &self,
        task_token: &str,
        error: &str,
        cause: &str,
    ) -> Result<ResumeOutcome, HitlError> {
        let sent = self
            .client
            .send_task_failure()
            .task_token(task_token)
            .error(error)
            .cause(cause)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(ResumeOutcome::Resumed),
            Err(err) if no_longer_waiting(code(&err)) => Ok(ResumeOutcome::NoLongerWaiting),
            Err(err) => Err(classify("Step Functions", err)),
        }
    }
}
