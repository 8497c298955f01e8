//! Step Functions in memory: completes a token once, as Step Functions does.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{ResumeOutcome, WorkflowResumer};
use crate::{DecisionOutput, HitlError, TaskToken};

/// Records every resume and failure; can be told to fail.
#[derive(Default)]
pub struct FakeResumer {
    pub resumed: Mutex<Vec<(String, DecisionOutput)>>,
    /// `(token, error name)` of every `SendTaskFailure`.
    pub failed: Mutex<Vec<(String, String)>>,
    pub fail_with: Mutex<Option<HitlError>>,
    /// Set: the next resume gets through but its answer is lost (`Unknown`).
    pub lose_next_answer: Mutex<bool>,
}

impl FakeResumer {
    fn answered(&self, task_token: &str) -> bool {
        self.resumed
            .lock()
            .unwrap()
            .iter()
            .any(|(t, _)| t == task_token)
            || self
                .failed
                .lock()
                .unwrap()
                .iter()
                .any(|(t, _)| t == task_token)
    }
}

#[async_trait]
impl WorkflowResumer for FakeResumer {
    async fn resume(
        &self,
        task_token: &TaskToken,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        // Step Functions completes a token once; the second callback is refused.
        if self.answered(task_token) {
            return Ok(ResumeOutcome::NoLongerWaiting);
        }
        self.resumed
            .lock()
            .unwrap()
            .push((task_token.to_string(), output.clone()));
        if std::mem::take(&mut *self.lose_next_answer.lock().unwrap()) {
            return Ok(ResumeOutcome::Unknown);
        }
        Ok(ResumeOutcome::Resumed)
    }

    async fn fail(
        &self,
        task_token: &TaskToken,
        error: &str,
        _cause: &str,
    ) -> Result<ResumeOutcome, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        if self.answered(task_token) {
            return Ok(ResumeOutcome::NoLongerWaiting);
        }
        self.failed
            .lock()
            .unwrap()
            .push((task_token.to_string(), error.to_string()));
        Ok(ResumeOutcome::Resumed)
    }
}
