//! Delivers decisions to waiting Tasks with `SendTaskSuccess`.

use approvals::ports::{ResumeOutcome, WorkflowResumer};
use approvals::{DecisionOutput, HitlError, TaskToken};
use async_trait::async_trait;
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::Client;

use crate::sdk_errors::{classify, code};

pub struct StepFunctionsResumer {
    client: Client,
}

impl StepFunctionsResumer {
    pub fn new(client: Client) -> Self {
        StepFunctionsResumer { client }
    }

    /// A resumer whose calls are never repeated by the SDK: a repeat after a timeout could
    /// land on a token the first attempt already completed and read "no longer waiting",
    /// and a delivered decision would look late. Failed attempts are relayed instead.
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        let config = aws_sdk_sfn::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        StepFunctionsResumer::new(Client::from_conf(config))
    }
}

/// What a failed callback means: refused for good, throttled (not processed: try again), or
/// unknown (it may have been processed).
fn failed<E>(err: SdkError<E, HttpResponse>) -> Result<ResumeOutcome, HitlError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if no_longer_waiting(code(&err)) {
        tracing::warn!(
            error_code = code(&err),
            "the workflow no longer waits on this token"
        );
        return Ok(ResumeOutcome::NoLongerWaiting);
    }
    let throttled = matches!(code(&err), Some("ThrottlingException" | "Throttling"));
    let ambiguous = match &err {
        SdkError::ServiceError(service) => service.raw().status().is_server_error(),
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) | SdkError::DispatchFailure(_) => {
            true
        }
        _ => false,
    };
    if ambiguous && !throttled {
        tracing::warn!(error = %crate::sdk_errors::classify("Step Functions", err), "callback unconfirmed");
        return Ok(ResumeOutcome::Unknown);
    }
    Err(classify("Step Functions", err))
}

/// `TaskTimedOut`, `InvalidToken`, `TaskDoesNotExist`: the Task no longer waits on this token
/// (it timed out, its execution stopped, or it was answered already).
fn no_longer_waiting(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("TaskTimedOut" | "InvalidToken" | "TaskDoesNotExist")
    )
}

/// `ResumeLatency`: from the decision to Step Functions accepting it, whoever delivers it. A
/// decision this request committed counts from its write, to the millisecond; any other from
/// its `decidedAt` (whole seconds: a relayed delivery takes seconds anyway).
fn report_resume_latency(output: &DecisionOutput) {
    let now_ms = lambda_kit::metrics::now_ms();
    let decided_ms = match lambda_kit::correlation::current().decided {
        Some((id, at_ms)) if id == output.approval_id => Some(at_ms),
        _ => output.decided_at_unix().map(|s| s * 1000),
    };
    if let Some(decided_ms) = decided_ms {
        lambda_kit::metrics::resume_latency(now_ms - decided_ms, &output.approval_id);
    }
}

#[async_trait]
impl WorkflowResumer for StepFunctionsResumer {
    async fn resume(
        &self,
        task_token: &TaskToken,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        let json = serde_json::to_string(output)
            .map_err(|e| HitlError::dependency("serde_json", e.to_string()))?;
        let sent = self
            .client
            .send_task_success()
            .task_token(task_token.as_str())
            .output(json)
            .send()
            .await;
        match sent {
            Ok(_) => {
                report_resume_latency(output);
                Ok(ResumeOutcome::Resumed)
            }
            Err(err) => failed(err),
        }
    }

    async fn fail(
        &self,
        task_token: &TaskToken,
        error: &str,
        cause: &str,
    ) -> Result<ResumeOutcome, HitlError> {
        let sent = self
            .client
            .send_task_failure()
            .task_token(task_token.as_str())
            .error(error)
            .cause(cause)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(ResumeOutcome::Resumed),
            Err(err) => failed(err),
        }
    }
}
