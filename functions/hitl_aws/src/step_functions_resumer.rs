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

#[async_trait]
impl WorkflowResumer for StepFunctionsResumer {
    async fn resume(
        &self,
        task_token: &str,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        let output = serde_json::to_string(output)
            .map_err(|e| HitlError::dependency("serde_json", e.to_string()))?;
        match self
            .client
            .send_task_success()
            .task_token(task_token)
            .output(output)
            .send()
            .await
        {
            Ok(_) => Ok(ResumeOutcome::Resumed),
            // The Task is gone (timed out, execution stopped) or was already answered.
            Err(err)
                if matches!(
                    code(&err),
                    Some("TaskTimedOut" | "InvalidToken" | "TaskDoesNotExist")
                ) =>
            {
                tracing::warn!(
                    error_code = code(&err),
                    "the workflow no longer waits for this decision"
                );
                Ok(ResumeOutcome::NoLongerWaiting)
            }
            Err(err) => Err(classify("Step Functions", err)),
        }
    }
}
