//! Ports: what the domain needs from the outside world, as small traits. Adapters for
//! DynamoDB, Step Functions and SESv2 live in `hitl_aws`; tests use in-memory ones.

use async_trait::async_trait;

use serde_json::Value;

use crate::{ApprovalRecord, DecisionOutput, HitlError, MessageRef, RecordedDecision};

/// The result of trying to record a decision (first decision wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionWrite {
    /// This decision was recorded; the record as it is now.
    Recorded(ApprovalRecord),
    /// Somebody decided first; the record with their decision.
    AlreadyDecided(ApprovalRecord),
    /// The approval window closed before this decision arrived.
    Expired(ApprovalRecord),
    NotFound,
}

#[async_trait]
pub trait ApprovalStore: Send + Sync {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError>;

    async fn get(&self, approval_id: &str) -> Result<Option<ApprovalRecord>, HitlError>;

    /// Stores the task token and returns the record after the write (atomically), so that a
    /// decision recorded just before is seen. `Ok(None)` when the approval does not exist.
    async fn attach_task_token(
        &self,
        approval_id: &str,
        task_token: &str,
    ) -> Result<Option<ApprovalRecord>, HitlError>;

    /// Records the decision only if none exists and the approval has not expired at `now`.
    async fn record_decision(
        &self,
        approval_id: &str,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError>;

    /// Claims the one delivery of the decision to Step Functions. True for exactly one caller.
    async fn claim_resume(&self, approval_id: &str, now: i64) -> Result<bool, HitlError>;

    /// Gives a claim back after a failed delivery, so a later attempt can re-drive it.
    async fn release_resume(&self, approval_id: &str) -> Result<(), HitlError>;

    /// Remembers which chat message asked and the blocks it showed, so it can be updated
    /// after the decision, or closed by the expiry sweep when nobody answers. Until a decision
    /// is recorded (or the sweep closes it) the message counts as open.
    async fn attach_message(
        &self,
        approval_id: &str,
        message: &MessageRef,
        blocks: &[Value],
    ) -> Result<(), HitlError>;

    /// Ids of requests whose message is still open although they expired at or before `now`,
    /// soonest expired first, at most `limit`.
    async fn expired_open_messages(&self, now: i64, limit: usize)
        -> Result<Vec<String>, HitlError>;

    /// Claims the closing of an expired, undecided request's open message: `Some` for exactly
    /// one caller, `None` when it was decided, closed already, or is not expired at `now`.
    async fn claim_message_close(
        &self,
        approval_id: &str,
        now: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError>;

    /// Gives a close claim back after the update failed, so the next sweep tries again.
    async fn release_message_close(&self, approval_id: &str) -> Result<(), HitlError>;
}

/// A chat message still showing buttons for a request that expired without an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiredMessage {
    pub approval_id: String,
    pub title: String,
    pub expires_at: i64,
    pub message: MessageRef,
    /// The blocks it was posted with, shown again without their buttons.
    pub blocks: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeOutcome {
    Resumed,
    /// Step Functions no longer waits on this token (timed out, aborted, already resumed).
    NoLongerWaiting,
}

#[async_trait]
pub trait WorkflowResumer: Send + Sync {
    async fn resume(
        &self,
        task_token: &str,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Returns the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError>;
}
