//! Where a record's delivery stands: the lease, what the waiting Task was told, and the
//! chat message's follow-up given up.

/// The delivery of a decision to the waiting Task: leased to one deliverer at a time, tied to
/// the task token it delivers, and finished exactly once (delivered, or late).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryState {
    /// Who is delivering right now: the token being delivered and until when (unix seconds).
    pub lease: Option<Lease>,
    /// Claims taken so far (a takeover after a dead deliverer counts too).
    pub attempts: u32,
    /// When the waiting Task received the decision.
    pub delivered_at: Option<i64>,
    /// When we learned the Task had stopped waiting before the decision reached it.
    pub late_at: Option<i64>,
    /// When the waiting Task (this token's) of an expired, undecided request was failed with
    /// `Hitl.Expired`.
    pub expiry_sent_at: Option<i64>,
    /// When telling a Task that the request expired was first claimed (by the relay, or by
    /// Wait For Approval finding it expired). Permanent, whatever the token: from then on no
    /// decision is recorded (it is late), so a workflow never gets both an expiry and a decision.
    pub expiry_claimed_at: Option<i64>,
    /// When the relay should look at this record next; `None`: nothing left to do.
    pub relay_at: Option<i64>,
    /// Step Functions refused the decision (or the expiry) for this token for good: the Task
    /// was never told, and nothing will tell it. Final, like `late_at`; operators find it by
    /// this (`deliveryFailedAt`).
    pub failed: Option<DeliveryFailure>,
}

/// A delivery given up: Step Functions refused `SendTaskSuccess`/`SendTaskFailure` for a
/// reason a retry cannot change (access denied, an output it will not take, a KMS error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFailure {
    /// The error's name and message (`Hitl.DependencyFailed: Step Functions failed: ...`).
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

/// A message update given up for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageUpdateFailure {
    /// The error's name (`Slack.ChannelNotFound`, ...) and message.
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

/// A delivery lease. Its token is a `TaskToken`, so printing a record never shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub token: crate::TaskToken,
    pub until: i64,
}

impl DeliveryState {
    /// A new task token (a repeated Wait For Approval) starts a fresh delivery: what was
    /// delivered, late, leased, tried or told for the old token says nothing about the new one.
    /// The expiry claim stays: it is about the request, not the token.
    pub fn restart_for_new_token(&mut self) {
        self.lease = None;
        self.attempts = 0;
        self.delivered_at = None;
        self.late_at = None;
        self.expiry_sent_at = None;
        self.failed = None;
    }

    /// The decision (or the expiry) reached its end: nothing more to tell the Task (told, too
    /// late, or refused for good).
    pub fn is_final(&self) -> bool {
        self.delivered_at.is_some()
            || self.late_at.is_some()
            || self.expiry_sent_at.is_some()
            || self.failed.is_some()
    }

    /// The decision is recorded but changed nothing: the Task had stopped waiting, or Step
    /// Functions refused it for good. Never shown as effective.
    pub fn took_no_effect(&self) -> bool {
        self.late_at.is_some() || self.failed.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_delivery_state_never_shows_its_lease_token() {
        let state = DeliveryState {
            lease: Some(Lease {
                token: "AQCEAAAAKgAAAAMAAAAAAAAAAc-secret-token".into(),
                until: 9,
            }),
            ..DeliveryState::default()
        };
        let printed = format!("{state:?} {state:#?}");
        assert!(!printed.contains("secret-token"), "{printed}");
    }
}
