//! The gate every call of an actor passes: the real use-case code runs as a future, and each
//! store, Step Functions or Slack call parks it until the explorer lets that one call happen.
//! Calls an actor made in earlier steps are answered from its recorded replies (so an actor is
//! rebuilt from its replies instead of being cloned).

use std::collections::VecDeque;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use approvals::testing::FakeStore;
use approvals::ApprovalRecord;

use super::team::TeamLog;
use super::world::{fingerprint_of, Reply, Rules, StepFunctions, ID};

/// One call the real code makes, as the explorer schedules it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Get,
    AttachTaskToken,
    RecordDecision,
    ClaimDelivery,
    FinishDelivery,
    ReleaseLease,
    ClaimExpiry,
    FinishExpiry,
    MessageUpdated,
    /// The relay's "every message updated" (refused when a companion was attached since).
    EveryMessageUpdated,
    MessageUpdateFailed,
    GiveUpMessageUpdate,
    GiveUpDelivery,
    Settle,
    Reschedule,
    DueForRelay,
    /// `SendTaskSuccess`.
    Resume,
    /// `SendTaskFailure` with `Hitl.Expired`.
    Fail,
    /// The relay's notifier: the outcome on one message (Slack `chat.update`, a Teams card).
    ShowOutcome,
    /// The relay's notifier: an open request's progress on one companion.
    ShowProgress,
    /// A click's own `chat.update` of a companion (the outcome, or the progress).
    SlackUpdate,
    AttachCompanion,
    ProgressDue,
    ProgressShown,
    DueForReminder,
    ClaimReminder,
    StopReminders,
}

impl Op {
    /// What the call may answer besides its plain answer: a Step Functions call may be lost.
    pub fn answers(self) -> &'static [Answer] {
        match self {
            Op::Resume | Op::Fail => &[
                Answer::Plain,
                Answer::LostAfterReaching,
                Answer::LostBeforeReaching,
                Answer::Refused,
            ],
            _ => &[Answer::Plain],
        }
    }
}

/// How a Step Functions call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// It reached Step Functions and its answer came back.
    Plain,
    /// It reached Step Functions; the answer was lost (`Unknown`).
    LostAfterReaching,
    /// It never reached Step Functions, and the caller cannot tell (`Unknown`).
    LostBeforeReaching,
    /// It was refused before anything happened (a throttle): an error.
    Refused,
    /// Refused for good (access denied, an output Step Functions will not take): this token's
    /// calls are refused the same way from now on.
    RefusedForGood,
}

#[derive(Default)]
struct Slot {
    replay: VecDeque<Reply>,
    fresh: Vec<Reply>,
    parked: Option<Op>,
    go: bool,
    answer: Option<Answer>,
    /// The parked call was let through: what runs now is new, not a replay.
    opened: bool,
}

/// The ports one actor sees during one step: the world's store and Step Functions, gated.
pub struct Gate<'a> {
    pub store: &'a FakeStore,
    pub step_functions: &'a Mutex<StepFunctions>,
    pub log: &'a Mutex<TeamLog>,
    pub rules: Rules,
    slot: Mutex<Slot>,
    /// The record as this actor last read it (`get`), replayed or not.
    pub last_read: Mutex<Option<ApprovalRecord>>,
    /// Calls go through at once, answered plainly (the relay after the actors stopped).
    ungated: bool,
    /// A click's `chat.update` of a companion is a call of its own (see `World`).
    pub slow_chat_updates: bool,
}

impl<'a> Gate<'a> {
    pub fn new(
        store: &'a FakeStore,
        step_functions: &'a Mutex<StepFunctions>,
        log: &'a Mutex<TeamLog>,
        rules: Rules,
        replies: &[Reply],
    ) -> Self {
        let slot = Slot {
            replay: replies.iter().cloned().collect(),
            ..Slot::default()
        };
        Gate {
            store,
            step_functions,
            log,
            rules,
            slot: Mutex::new(slot),
            last_read: Mutex::new(None),
            ungated: false,
            slow_chat_updates: false,
        }
    }

    /// Calls go through at once and every Step Functions call is answered plainly.
    pub fn ungated(
        store: &'a FakeStore,
        step_functions: &'a Mutex<StepFunctions>,
        log: &'a Mutex<TeamLog>,
        rules: Rules,
    ) -> Self {
        Gate {
            ungated: true,
            ..Gate::new(store, step_functions, log, rules, &[])
        }
    }

    /// What runs now happens for the first time (not a replay of an earlier step).
    pub fn live(&self) -> bool {
        let slot = self.slot.lock().unwrap();
        self.ungated || (slot.opened && slot.replay.is_empty())
    }

    /// The record in the store now.
    pub fn record(&self) -> ApprovalRecord {
        self.store.records.lock().unwrap()[ID].clone()
    }

    /// The call the actor waits to make (after a poll that returned `Pending`).
    pub fn parked(&self) -> Option<Op> {
        self.slot.lock().unwrap().parked
    }

    /// Lets the parked call happen, answered as `answer`.
    pub fn open(&self, answer: Answer) {
        let mut slot = self.slot.lock().unwrap();
        slot.go = true;
        slot.opened = true;
        slot.answer = Some(answer);
    }

    pub fn answer(&self) -> Answer {
        self.slot.lock().unwrap().answer.unwrap_or(Answer::Plain)
    }

    pub fn fresh_replies(&self) -> Vec<Reply> {
        std::mem::take(&mut self.slot.lock().unwrap().fresh)
    }

    /// One call: answered from the replay while there is one, else parked until opened.
    pub async fn call<T, F>(&self, op: Op, call: F) -> T
    where
        T: Clone + Debug + Send + Sync + 'static,
        F: Future<Output = T>,
    {
        if self.ungated {
            return call.await;
        }
        let replayed = self.slot.lock().unwrap().replay.pop_front();
        if let Some(reply) = replayed {
            return reply
                .value
                .downcast_ref::<T>()
                .expect("a replayed actor makes the same calls")
                .clone();
        }
        Park {
            slot: &self.slot,
            op,
        }
        .await;
        let value = call.await;
        let reply = Reply {
            fingerprint: fingerprint_of(&value),
            value: Arc::new(value.clone()),
        };
        self.slot.lock().unwrap().fresh.push(reply);
        value
    }
}

struct Park<'s> {
    slot: &'s Mutex<Slot>,
    op: Op,
}

impl Future for Park<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.slot.lock().unwrap();
        if std::mem::take(&mut slot.go) {
            slot.parked = None;
            Poll::Ready(())
        } else {
            slot.parked = Some(self.op);
            Poll::Pending
        }
    }
}
