//! Ports: what the domain needs from the outside world, as small traits. Adapters for
//! DynamoDB, Step Functions and SESv2 live in `aws_adapters`; tests use in-memory ones.

use async_trait::async_trait;

use crate::approval::{ChannelIdentities, Companion};
use crate::{
    ApprovalId, ApprovalRecord, Channel, DecisionOutput, HitlError, MessageRef, RecordedDecision,
    TaskToken,
};

mod slack;
mod teams;
mod ticketing;
pub use slack::{Persona, SlackFormat, SlackMessage, SlackMessenger, Unfurl};
pub use teams::{
    BotConversation, CardRefusal, Fact, PostedMessage, SentCard, TeamsBot, TeamsBotFormat,
    TeamsFormat, TeamsMessage, TeamsMessenger, Via, NO_BOT,
};
pub use ticketing::{IssueTracker, Transition};

/// The result of trying to record a decision (first decision wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionWrite {
    /// This decision was recorded; the record as it is now.
    Recorded(ApprovalRecord),
    /// Somebody decided first; the record with their decision.
    AlreadyDecided(ApprovalRecord),
    /// The request had expired: the decision was kept as late (audit only), nothing changed.
    TooLate(ApprovalRecord),
    NotFound,
    /// A request with a quorum: the vote was counted and the request is still open (the record
    /// with it). A vote that settles the request is `Recorded`.
    Counted(ApprovalRecord),
    /// A request with a quorum: this voter had voted already (that vote is in the record's
    /// `votes`); nothing changed.
    AlreadyVoted(ApprovalRecord),
    /// A request with a quorum: the voter has no slot to fill (not an approver, the requester,
    /// an escalation target before the escalation, or their slot filled by one); nothing changed.
    NoSlot(ApprovalRecord),
}

/// Requests and their decisions.
#[async_trait]
pub trait ApprovalStore: Send + Sync {
    /// Stores a new request; fails if the id exists. A request created with a task token is
    /// put in the relay index at its expiry (so a Task still waiting then is told).
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError>;

    async fn get(&self, approval_id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError>;

    /// Stores the task token and returns the record after the write (atomically), so that a
    /// decision recorded just before is seen. A new token voids the lease and the late mark of
    /// an earlier one, and puts the record in the relay index: soon when already decided,
    /// at its expiry otherwise. `Ok(None)` when the approval does not exist.
    async fn attach_task_token(
        &self,
        approval_id: &ApprovalId,
        task_token: &TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError>;

    /// Records the decision only if none exists and the approval has not expired at `now`; a
    /// decision after expiry is appended to the late decisions instead. A recorded decision
    /// enters the relay index, due after one lease, so it is delivered even if the caller
    /// dies right after this write.
    ///
    /// A request with a quorum records `decision` as a vote ([`crate::quorum::cast`] on the
    /// record as read, then one write conditional on the votes being unchanged, retried while
    /// other votes land): `Counted`, or `Recorded` when this vote settles it (the same write
    /// sets the decision, leaves the reminder index and queues the delivery), or
    /// `AlreadyVoted` / `NoSlot` with nothing written.
    async fn record_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError>;
}

/// A lease on the delivery to one task token (see [`DeliveryStore::claim_delivery`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryClaim {
    /// An earlier lease on the same token ran out: its deliverer died or stalled, and may have
    /// reached Step Functions before it did.
    pub takeover: bool,
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalDelivery {
    Delivered,
    /// The Task had stopped waiting (timed out, stopped): the decision changed nothing. Only
    /// the deliverer still holding its lease (until `lease_until`) may say so: Step Functions
    /// answers "no longer waiting" also to a slow deliverer whose lease ran out while another
    /// took over and resumed the Task, and that one records the delivery.
    Late {
        lease_until: i64,
    },
}

/// The delivery of decisions (and expiries) to waiting Tasks: leases tied to a token, and the
/// sparse relay index of records with work left.
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Leases the delivery of the recorded decision to `token` until `until`. `Some` for one
    /// caller at a time: only while `token` is the record's token, the decision is not yet
    /// delivered or late for that token, and no live lease on that token exists.
    async fn claim_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError>;

    /// Marks the delivery to `token` finished and drops the lease.
    async fn finish_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError>;

    /// Gives a lease back after a failed attempt; the relay tries again at `retry_at`.
    /// Only the lease on `token` is given back; if this write fails, the lease runs out.
    async fn release_lease(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        retry_at: i64,
    ) -> Result<(), HitlError>;

    /// Step Functions refused the decision (or the expiry) for `token` for good: kept with
    /// `reason` (`deliveryFailedAt`), the lease dropped, and nothing more is tried for this
    /// token. The record leaves the relay index unless a chat message is still to be brought
    /// up to date (then it stays due at `now`). False when the delivery to `token` had ended
    /// already (delivered, late, expiry told, given up) or another token waits now.
    async fn give_up_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError>;

    /// Leases telling the Task waiting on `token` that its undecided request expired.
    async fn claim_expiry(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<bool, HitlError>;

    /// Marks the Task waiting on `token` told; ignored when another token waits now (a repeated
    /// wait), which is told on its own.
    async fn finish_expiry(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError>;

    /// The chat message now shows the final outcome.
    async fn message_updated(&self, approval_id: &ApprovalId, now: i64) -> Result<(), HitlError>;

    /// [`Self::message_updated`] by the relay, which showed the outcome on the request's own
    /// message and on the `companions` companions it read. Not written (false) when more were
    /// attached since: the one attached after the relay read the record still shows buttons,
    /// so the record stays unsettled and the relay shows the outcome again. The default, for
    /// stores that keep no companions, is `message_updated`.
    async fn every_message_updated(
        &self,
        approval_id: &ApprovalId,
        companions: usize,
        now: i64,
    ) -> Result<bool, HitlError> {
        let _ = companions;
        self.message_updated(approval_id, now).await.map(|()| true)
    }

    /// A message update failed for now: counted, and the record looked at again at `retry_at`.
    async fn message_update_failed(
        &self,
        approval_id: &ApprovalId,
        retry_at: i64,
    ) -> Result<(), HitlError>;

    /// The message will never show the outcome (refused for good, or failing too long): kept
    /// with `reason`, which settles the record. False when the message was updated meanwhile
    /// or given up already.
    async fn give_up_message_update(
        &self,
        approval_id: &ApprovalId,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError>;

    /// Takes the record out of the relay index if [`ApprovalRecord::is_settled`] holds
    /// (checked atomically with the write). True when it left the index.
    async fn settle(&self, approval_id: &ApprovalId) -> Result<bool, HitlError>;

    /// Looks at the record again at `at` (work is left that could not be done now).
    async fn reschedule(&self, approval_id: &ApprovalId, at: i64) -> Result<(), HitlError>;

    /// Ids of records due for the relay at `now`, most overdue first, at most `limit`.
    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError>;

    /// A vote was counted on a Teams bot card: due for the relay at `now`, which shows the
    /// progress to everyone (the Decision API holds no bot secret). Only while
    /// [`ApprovalRecord::needs_progress_update`] holds and the record is in the relay index,
    /// due later than `now`; true when it was made due. The default, for test doubles that never
    /// meet such a card, makes nothing due.
    async fn progress_due(&self, _approval_id: &ApprovalId, _now: i64) -> Result<bool, HitlError> {
        Ok(false)
    }

    /// The bot card of an open request with a quorum was brought up to `votes` votes (shown,
    /// or given up until the next vote): kept as `message_progress_votes`, only while
    /// [`ApprovalRecord::progress_open`] holds and it showed no more than `votes`, so a slower
    /// relay never puts an older progress over a newer one, nor any after the outcome. When the
    /// record still has `votes` votes, it is due again at its expiry (where an open request
    /// waits in the relay index); a vote counted since keeps it due. True when it was written.
    /// The default, for test doubles that never meet such a card, writes nothing.
    async fn progress_shown(
        &self,
        _approval_id: &ApprovalId,
        _votes: u32,
        _now: i64,
    ) -> Result<bool, HitlError> {
        Ok(false)
    }
}

/// Chat messages that may still show buttons, for the expiry sweep. What the message showed is
/// kept in the channel's own format, opaque here (for Slack, its Block Kit blocks as JSON).
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Remembers which chat message asked and what it showed, so it can be updated after the
    /// decision, or closed by the expiry sweep when nobody answers. A message with something
    /// `shown` counts as open until a decision is recorded (or the sweep closes it); one
    /// without (a plain message kept for an idempotent retry) never does.
    async fn attach_message(
        &self,
        approval_id: &ApprovalId,
        message: &MessageRef,
        shown: Option<&str>,
    ) -> Result<(), HitlError>;

    /// Ids of requests whose message is still open although they expired at or before `now`,
    /// soonest expired first, at most `limit`.
    async fn expired_open_messages(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<ApprovalId>, HitlError>;

    /// Claims the closing of an expired, undecided request's open message: `Some` for exactly
    /// one caller, `None` when it was decided, closed already, or is not expired at `now`.
    async fn claim_message_close(
        &self,
        approval_id: &ApprovalId,
        now: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError>;

    /// Gives a close claim back after the update failed, so the next sweep tries again.
    async fn release_message_close(&self, approval_id: &ApprovalId) -> Result<(), HitlError>;

    /// Adds `companion` (the request posted to another channel) to a request made by Create
    /// Approval Links, with the approvers' and requester's identities there, in one write.
    /// The relay then visits the request by its expiry at the latest; when its outcome is final
    /// already (decided: a click beat the post; or its expiry shown or given up), at once, and
    /// every message is brought up to date again (so the new one shows the outcome too).
    /// `Hitl.NotFound` for an unknown request; `Hitl.InvalidInput` for a request made on a chat
    /// channel, or one that has [`crate::approval::MAX_COMPANIONS`] already.
    async fn attach_companion(
        &self,
        approval_id: &ApprovalId,
        companion: &Companion,
        identities: &ChannelIdentities,
        now: i64,
    ) -> Result<(), HitlError>;
}

/// Requests with their deliveries: what every approval use case works with.
pub trait Approvals: ApprovalStore + DeliveryStore {}
impl<T: ApprovalStore + DeliveryStore + ?Sized> Approvals for T {}

/// All three stores: what the chat use cases need.
pub trait ChatApprovals: Approvals + MessageStore {}
impl<T: Approvals + MessageStore + ?Sized> ChatApprovals for T {}

/// A chat message still showing buttons for a request that expired without an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiredMessage {
    pub approval_id: ApprovalId,
    pub title: String,
    pub expires_at: i64,
    pub message: MessageRef,
    /// What it was posted with (as given to `attach_message`), shown again without buttons.
    pub shown: String,
    /// The channel that asked: the sweep closes Slack's messages only.
    pub origin: Channel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeOutcome {
    Resumed,
    /// Step Functions no longer waits on this token (timed out, aborted, already resumed).
    NoLongerWaiting,
    /// The call may or may not have reached Step Functions (it timed out after it was sent,
    /// or a 5xx): a later attempt's "no longer waiting" may mean this one got through.
    Unknown,
}

#[async_trait]
pub trait WorkflowResumer: Send + Sync {
    /// `SendTaskSuccess` with the decision.
    async fn resume(
        &self,
        task_token: &TaskToken,
        output: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError>;

    /// `SendTaskFailure` with a named error (e.g. `Hitl.Expired`), so Retry/Catch can target it.
    async fn fail(
        &self,
        task_token: &TaskToken,
        error: &str,
        cause: &str,
    ) -> Result<ResumeOutcome, HitlError>;
}

/// The chat message that asked, brought up to date once the outcome is final (Slack).
#[async_trait]
pub trait OutcomeNotifier: Send + Sync {
    /// Replaces the message's buttons with the outcome: who decided, or that it came too late.
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError>;

    /// Shows an open request's progress on its message for everyone, buttons kept (a Teams bot
    /// card: the votes counted so far). `Ok(false)`: this message shows none this way (the
    /// default; a Slack message is updated by the click that voted).
    async fn show_progress(&self, _record: &ApprovalRecord) -> Result<bool, HitlError> {
        Ok(false)
    }
}

/// One message, whatever carries it (SES, SMTP, Outlook). Addresses are checked and
/// normalized before they get here; each sender only encodes them for its medium.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// The sender's address, exactly as configured (`SENDER_EMAIL`).
    pub from: String,
    /// The sender's display name (`"Cloud Ops" <approvals@corp.com>`), if any.
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Recipients no other recipient sees.
    pub bcc: Vec<String>,
    /// Where replies go (`Reply-To`); none: to `from`.
    pub reply_to: Vec<String>,
    pub subject: String,
    /// The plain text body; empty for an HTML-only message.
    pub text: String,
    /// The HTML body (never empty).
    pub html: String,
}

impl OutgoingEmail {
    /// Everyone the message is delivered to: `to`, `cc` and `bcc`.
    pub fn recipients(&self) -> impl Iterator<Item = &String> {
        self.to.iter().chain(&self.cc).chain(&self.bcc)
    }
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Returns the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError>;
}

#[async_trait]
impl<T: EmailSender + ?Sized> EmailSender for Box<T> {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        (**self).send(email).await
    }
}

/// Reminders and escalation: the sparse `Remind` index of open requests with a reminder due.
#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Ids of requests whose next reminder is due at `now`, soonest first, at most `limit`.
    async fn due_for_reminder(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError>;

    /// Claims reminder number `sent + 1` of a request read with `sent` reminders and `votes`
    /// votes: one write, only while it is in the reminder index (not stopped, not settled),
    /// undecided, not expired at `now`, its expiry not claimed, and `sent` and `votes`
    /// unchanged. It counts the reminder, escalates when `escalate` (sets `escalatedAt` once:
    /// a later claim keeps the first time), and puts the next one at `next_at` (`None`: leaves
    /// the index). `Some(record after)` for exactly one caller; `None` when anything changed.
    async fn claim_reminder(
        &self,
        approval_id: &ApprovalId,
        sent: u32,
        votes: usize,
        escalate: bool,
        next_at: Option<i64>,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError>;

    /// Takes the request out of the reminder index (settled, expired, or nothing left to remind).
    async fn stop_reminders(&self, approval_id: &ApprovalId) -> Result<(), HitlError>;
}

/// Where the audit trail is published (EventBridge): one call of at most
/// [`crate::audit::MAX_ENTRIES_PER_CALL`] events, answered per event, in order: `None` when it
/// was published, or the error code it was refused with.
#[async_trait]
pub trait AuditSink: Send + Sync {
    async fn publish_events(
        &self,
        entries: &[crate::audit::AuditEntry],
    ) -> Result<Vec<Option<String>>, HitlError>;
}
