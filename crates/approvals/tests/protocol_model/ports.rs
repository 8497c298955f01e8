//! The gate as the ports the use cases take: every call goes to the real in-memory store (whose
//! rules the store contract ties to DynamoDB) or to the Step Functions model, one at a time.

use approvals::ports::{
    ApprovalStore, DecisionWrite, DeliveryClaim, DeliveryStore, FinalDelivery, OutcomeNotifier,
    ResumeOutcome, WorkflowResumer,
};
use approvals::{
    ApprovalId, ApprovalRecord, DecisionOutput, HitlError, RecordedDecision, TaskToken,
};
use async_trait::async_trait;

use super::gate::{Answer, Gate, Op};
use super::world::{Rules, TaskState};

impl Gate<'_> {
    /// Step Functions: a token completes once; a completed or timed-out one is no longer waiting.
    fn complete(&self, token: &str, end: TaskState) -> Result<ResumeOutcome, HitlError> {
        let mut sf = self.step_functions.lock().unwrap();
        if self.answer() == Answer::RefusedForGood && !sf.refusing.iter().any(|t| t == token) {
            sf.refusing.push(token.to_string());
        }
        if sf.refusing.iter().any(|t| t == token) {
            let denied = "AccessDeniedException: not authorized to complete this token";
            return Err(HitlError::dependency("Step Functions", denied));
        }
        let waiting = sf.waiting(token);
        let reach = |sf: &mut super::world::StepFunctions| {
            if waiting {
                sf.tasks.insert(token.to_string(), end);
            }
        };
        match self.answer() {
            Answer::Plain => {
                reach(&mut sf);
                Ok(match waiting {
                    true => ResumeOutcome::Resumed,
                    false => ResumeOutcome::NoLongerWaiting,
                })
            }
            Answer::LostAfterReaching => {
                reach(&mut sf);
                Ok(ResumeOutcome::Unknown)
            }
            Answer::LostBeforeReaching => Ok(ResumeOutcome::Unknown),
            Answer::Refused => Err(HitlError::transient("Step Functions", "throttled")),
            Answer::RefusedForGood => unreachable!("answered above"),
        }
    }

    /// An old rule put back: the decision write does not look at the expiry claim.
    async fn record_ignoring_claim(
        &self,
        id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let claim = self.with_record(|r| r.delivery.expiry_claimed_at.take());
        let write = self.store.record_decision(id, decision, now).await;
        self.with_record(|r| r.delivery.expiry_claimed_at = claim);
        write
    }

    /// An old rule put back: a new token clears only the late mark of the old one.
    async fn attach_keeping_delivery(
        &self,
        id: &ApprovalId,
        token: &approvals::TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let before = self.with_record(|r| r.delivery.clone());
        self.store.attach_task_token(id, token, now).await?;
        Ok(Some(self.with_record(|r| {
            let d = &mut r.delivery;
            d.lease = before.lease.clone();
            d.attempts = before.attempts;
            d.delivered_at = before.delivered_at;
            d.expiry_sent_at = before.expiry_sent_at;
            r.clone()
        })))
    }

    pub(super) fn with_record<T>(&self, f: impl FnOnce(&mut ApprovalRecord) -> T) -> T {
        let mut records = self.store.records.lock().unwrap();
        f(records.get_mut(super::world::ID).expect("the record"))
    }
}

#[async_trait]
impl ApprovalStore for Gate<'_> {
    async fn create(&self, _: &ApprovalRecord) -> Result<(), HitlError> {
        unreachable!("the record exists before the actors start")
    }

    async fn get(&self, id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        let read = self.call(Op::Get, self.store.get(id)).await;
        if let Ok(Some(record)) = &read {
            *self.last_read.lock().unwrap() = Some(record.clone());
        }
        read
    }

    async fn attach_task_token(
        &self,
        id: &ApprovalId,
        token: &approvals::TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let attach = async {
            match self.rules {
                Rules::NewTokenKeepsDelivery => self.attach_keeping_delivery(id, token, now).await,
                _ => self.store.attach_task_token(id, token, now).await,
            }
        };
        self.call(Op::AttachTaskToken, attach).await
    }

    async fn record_decision(
        &self,
        id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let write = async {
            let before = self.record();
            let write = match self.rules {
                Rules::DecisionIgnoresExpiryClaim => {
                    self.record_ignoring_claim(id, decision, now).await
                }
                Rules::VoteIgnoresCount => self.vote_ignoring_count(id, decision, now).await,
                _ => self.store.record_decision(id, decision, now).await,
            };
            self.log_vote(&before, decision, &write);
            write
        };
        self.call(Op::RecordDecision, write).await
    }
}

#[async_trait]
impl DeliveryStore for Gate<'_> {
    async fn claim_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        let claim = async {
            let claim = self.store.claim_delivery(id, token, now, until).await;
            if let Ok(Some(DeliveryClaim { takeover: true })) = claim {
                let mut sf = self.step_functions.lock().unwrap();
                if !sf.taken_over.iter().any(|t| t == token.as_str()) {
                    sf.taken_over.push(token.to_string());
                }
            }
            claim
        };
        self.call(Op::ClaimDelivery, claim).await
    }

    async fn finish_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError> {
        let finish = self.store.finish_delivery(id, token, outcome, now);
        self.call(Op::FinishDelivery, finish).await
    }

    async fn release_lease(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        at: i64,
    ) -> Result<(), HitlError> {
        let release = self.store.release_lease(id, token, at);
        self.call(Op::ReleaseLease, release).await
    }

    async fn give_up_delivery(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        let give_up = self.store.give_up_delivery(id, token, reason, now);
        self.call(Op::GiveUpDelivery, give_up).await
    }

    async fn claim_expiry(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<bool, HitlError> {
        let claim = self.store.claim_expiry(id, token, now, until);
        self.call(Op::ClaimExpiry, claim).await
    }

    async fn finish_expiry(
        &self,
        id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError> {
        let finish = self.store.finish_expiry(id, token, now);
        self.call(Op::FinishExpiry, finish).await
    }

    async fn message_updated(&self, id: &ApprovalId, now: i64) -> Result<(), HitlError> {
        self.call(Op::MessageUpdated, self.store.message_updated(id, now))
            .await
    }

    async fn every_message_updated(
        &self,
        id: &ApprovalId,
        companions: usize,
        now: i64,
    ) -> Result<bool, HitlError> {
        let updated = async {
            match self.rules {
                Rules::EveryMessageIgnoresCompanions => {
                    self.store.message_updated(id, now).await.map(|()| true)
                }
                _ => self.store.every_message_updated(id, companions, now).await,
            }
        };
        self.call(Op::EveryMessageUpdated, updated).await
    }

    async fn message_update_failed(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        let failed = self.store.message_update_failed(id, at);
        self.call(Op::MessageUpdateFailed, failed).await
    }

    async fn give_up_message_update(
        &self,
        id: &ApprovalId,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        let give_up = self.store.give_up_message_update(id, reason, now);
        self.call(Op::GiveUpMessageUpdate, give_up).await
    }

    async fn settle(&self, id: &ApprovalId) -> Result<bool, HitlError> {
        self.call(Op::Settle, self.store.settle(id)).await
    }

    async fn reschedule(&self, id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.call(Op::Reschedule, self.store.reschedule(id, at))
            .await
    }

    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        let due = self.store.due_for_relay(now, limit);
        self.call(Op::DueForRelay, due).await
    }

    async fn progress_due(&self, id: &ApprovalId, now: i64) -> Result<bool, HitlError> {
        let due = self.store.progress_due(id, now);
        self.call(Op::ProgressDue, due).await
    }

    async fn progress_shown(
        &self,
        id: &ApprovalId,
        votes: u32,
        now: i64,
    ) -> Result<bool, HitlError> {
        let shown = self.store.progress_shown(id, votes, now);
        self.call(Op::ProgressShown, shown).await
    }
}

#[async_trait]
impl WorkflowResumer for Gate<'_> {
    async fn resume(
        &self,
        token: &approvals::TaskToken,
        _: &DecisionOutput,
    ) -> Result<ResumeOutcome, HitlError> {
        let resume = async { self.complete(token, TaskState::GotDecision) };
        self.call(Op::Resume, resume).await
    }

    async fn fail(
        &self,
        token: &approvals::TaskToken,
        _: &str,
        _: &str,
    ) -> Result<ResumeOutcome, HitlError> {
        let fail = async { self.complete(token, TaskState::GotExpiry) };
        self.call(Op::Fail, fail).await
    }
}

/// The relay's notifier, called once per message (`EveryMessage`): on a companion it notes
/// what the message shows, as the Slack and Teams notifiers would render it.
#[async_trait]
impl OutcomeNotifier for Gate<'_> {
    async fn show_outcome(&self, view: &ApprovalRecord) -> Result<(), HitlError> {
        let show = async {
            if let (true, Some(at)) = (view.is_companion_view(), &view.message) {
                let line = super::companions::outcome_line(view);
                self.shows(at, format!("outcome: {line}"));
            }
            Ok(())
        };
        self.call(Op::ShowOutcome, show).await
    }

    /// Progress is shown on a companion of a request with a quorum (as the Slack and Teams
    /// notifiers do); nowhere else in the explored worlds.
    async fn show_progress(&self, view: &ApprovalRecord) -> Result<bool, HitlError> {
        let Some(at) = view.message.as_ref().filter(|_| view.is_companion_view()) else {
            return Ok(false);
        };
        if view.quorum.is_none() {
            return Ok(false);
        }
        let show = async {
            self.shows(at, "progress".into());
            Ok(true)
        };
        self.call(Op::ShowProgress, show).await
    }
}
