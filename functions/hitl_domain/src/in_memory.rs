//! In-memory adapters with the same semantics as the AWS ones (conditional writes included),
//! for unit tests of the use cases.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use serde_json::Value;

use crate::ports::{
    ApprovalStore, DecisionWrite, EmailSender, ExpiredMessage, OutgoingEmail, ResumeOutcome,
    WorkflowResumer,
};
use crate::{ApprovalRecord, DecisionOutput, HitlError, MessageRef, RecordedDecision};

#[derive(Default)]
pub struct InMemoryStore {
    pub records: Mutex<HashMap<String, ApprovalRecord>>,
    /// The blocks each chat message was posted with, by approval id.
    pub message_blocks: Mutex<HashMap<String, Vec<Value>>>,
    /// Approvals whose message still shows its buttons (no decision, not closed).
    pub open_messages: Mutex<HashSet<String>>,
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
        self.open_messages.lock().unwrap().remove(approval_id);
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
        blocks: &[Value],
    ) -> Result<(), HitlError> {
        match self.records.lock().unwrap().get_mut(approval_id) {
            Some(r) => {
                r.message = Some(message.clone());
                self.message_blocks
                    .lock()
                    .unwrap()
                    .insert(approval_id.to_string(), blocks.to_vec());
                if r.decision.is_none() {
                    self.open_messages
                        .lock()
                        .unwrap()
                        .insert(approval_id.to_string());
                }
                Ok(())
            }
            None => Err(HitlError::NotFound(approval_id.into())),
        }
    }

    async fn expired_open_messages(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<String>, HitlError> {
        let records = self.records.lock().unwrap();
        let mut expired: Vec<(i64, String)> = self
            .open_messages
            .lock()
            .unwrap()
            .iter()
            .filter_map(|id| records.get(id))
            .filter(|r| r.is_expired(now))
            .map(|r| (r.expires_at, r.approval_id.clone()))
            .collect();
        expired.sort();
        Ok(expired.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    async fn claim_message_close(
        &self,
        approval_id: &str,
        now: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError> {
        let records = self.records.lock().unwrap();
        let mut open = self.open_messages.lock().unwrap();
        let Some(record) = records.get(approval_id) else {
            return Ok(None);
        };
        let Some(message) = record.message.clone() else {
            return Ok(None);
        };
        if record.decision.is_some() || !record.is_expired(now) || !open.remove(approval_id) {
            return Ok(None);
        }
        let blocks = self
            .message_blocks
            .lock()
            .unwrap()
            .get(approval_id)
            .cloned()
            .unwrap_or_default();
        Ok(Some(ExpiredMessage {
            approval_id: approval_id.to_string(),
            title: record.title.clone(),
            expires_at: record.expires_at,
            message,
            blocks,
        }))
    }

    async fn release_message_close(&self, approval_id: &str) -> Result<(), HitlError> {
        let records = self.records.lock().unwrap();
        if records
            .get(approval_id)
            .is_some_and(|r| r.decision.is_none())
        {
            self.open_messages
                .lock()
                .unwrap()
                .insert(approval_id.to_string());
        }
        Ok(())
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
