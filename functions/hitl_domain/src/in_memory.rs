//! In-memory adapters with the same semantics as the AWS ones (conditional writes included),
//! for unit tests of the use cases.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{
    ApprovalStore, DecisionWrite, EmailSender, OutgoingEmail, ResumeOutcome, WorkflowResumer,
};
use crate::{ApprovalRecord, DecisionOutput, HitlError, MessageRef, RecordedDecision};

#[derive(Default)]
pub struct InMemoryStore {
    pub records: Mutex<HashMap<String, ApprovalRecord>>,
}

#[async_trait]
impl ApprovalStore for InMemoryStore {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.records
            .lock()
            .unwrap()
            .insert(record.approval_id.clone(), record.clone());
        Ok(())
    }

    async fn get(&self, approval_id: &str) -> Result<Option<ApprovalRecord>, HitlError> {
        Ok(self.records.lock().unwrap().get(approval_id).cloned())
    }

    async fn attach_task_token(
        &self,
        approval_id: &str,
        task_token: &str,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let mut records = self.records.lock().unwrap();
        Ok(records.get_mut(approval_id).map(|r| {
            r.task_token = Some(task_token.to_string());
            r.clone()
        }))
    }

    async fn record_decision(
        &self,
        approval_id: &str,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let mut records = self.records.lock().unwrap();
        let Some(record) = records.get_mut(approval_id) else {
            return Ok(DecisionWrite::NotFound);
        };
        if record.decision.is_some() {
            return Ok(DecisionWrite::AlreadyDecided(record.clone()));
        }
        if record.is_expired(now) {
            return Ok(DecisionWrite::Expired(record.clone()));
        }
        record.decision = Some(decision.clone());
        Ok(DecisionWrite::Recorded(record.clone()))
    }

    async fn claim_resume(&self, approval_id: &str, now: i64) -> Result<bool, HitlError> {
        let mut records = self.records.lock().unwrap();
        match records.get_mut(approval_id) {
            Some(r) if r.resumed_at.is_none() && r.task_token.is_some() => {
                r.resumed_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release_resume(&self, approval_id: &str) -> Result<(), HitlError> {
        if let Some(r) = self.records.lock().unwrap().get_mut(approval_id) {
            r.resumed_at = None;
        }
        Ok(())
    }

    async fn attach_message(
        &self,
        approval_id: &str,
        message: &MessageRef,
    ) -> Result<(), HitlError> {
        match self.records.lock().unwrap().get_mut(approval_id) {
            Some(r) => {
                r.message = Some(message.clone());
                Ok(())
            }
            None => Err(HitlError::NotFound(approval_id.into())),
        }
    }
}

/// Records every resume; can be told to fail.
#[derive(Default)]
pub struct RecordingResumer {
    pub resumed: Mutex<Vec<(String, DecisionOutput)>>,
    pub fail_with: Mutex<Option<HitlError>>,
}

#[async_trait]
impl WorkflowResumer for RecordingResumer {
    async fn resume(
        &self,
        task_token: &str,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        if let Some(err) = self.fail_with.lock().unwrap().clone() {
            return Err(err);
        }
        let mut resumed = self.resumed.lock().unwrap();
        if resumed.iter().any(|(t, _)| t == task_token) {
            return Ok(ResumeOutcome::NoLongerWaiting);
        }
        resumed.push((task_token.to_string(), output.clone()));
        Ok(ResumeOutcome::Resumed)
    }
}

#[derive(Default)]
pub struct RecordingSender {
    pub sent: Mutex<Vec<OutgoingEmail>>,
}

#[async_trait]
impl EmailSender for RecordingSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        let mut sent = self.sent.lock().unwrap();
        sent.push(email.clone());
        Ok(format!("msg-{}", sent.len()))
    }
}
