//! The explored world: one approval in the in-memory store, Step Functions' tokens, the clock,
//! and the actors (each a real use case, known by the replies it has had so far).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, Mutex};

use approvals::quorum::{Quorum, Reminders};
use approvals::testing::FakeStore;
use approvals::{ApprovalRecord, Channel, MessageRef};

use super::actors::TOKEN_1 as TOKEN;
use super::team::{TeamLog, APPROVERS, ESCALATE_TO};

/// The one approval every actor works on.
pub const ID: &str = "a-1";
/// When it expires. The instants below sit around it and around the leases taken at them
/// (a claim at 90 runs out at 100, at 100 at 110; later takeovers happen once the actors
/// stopped, when the relay settles the record).
pub const EXPIRES: i64 = 100;
pub const INSTANTS: [i64; 3] = [90, 100, 110];
/// Far after everything: when the relay runs once the actors have stopped.
pub const LATER: i64 = 10_000;

/// Where one Task stands in Step Functions (a token completes once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    Waiting,
    /// `SendTaskSuccess` reached it: the workflow got the decision.
    GotDecision,
    /// It failed with `Hitl.Expired` (from the relay, or from Wait For Approval itself).
    GotExpiry,
    /// Its own `TimeoutSeconds` ran out (or it was stopped): nothing reaches it any more.
    TimedOut,
}

/// Step Functions as far as the protocol sees it: each Task by its token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StepFunctions {
    pub tasks: BTreeMap<String, TaskState>,
    /// Tokens whose delivery was taken over after a lease ran out: the deliverer before may or
    /// may not have reached Step Functions, so the takeover reads "no longer waiting" as
    /// delivered, also when the Task had in fact timed out (Step Functions answers
    /// `TaskTimedOut` for both): the protocol's one blind spot, allowed by the invariants.
    pub taken_over: Vec<String>,
    /// Tokens Step Functions refuses for good (its every call on them fails the same way).
    pub refusing: Vec<String>,
}

impl StepFunctions {
    pub fn waiting(&self, token: &str) -> bool {
        self.tasks.get(token) == Some(&TaskState::Waiting)
    }

    pub fn any(&self, state: TaskState) -> bool {
        self.tasks.values().any(|s| *s == state)
    }
}

/// A reply an actor got from one call, kept to replay the actor up to where it stands.
#[derive(Clone)]
pub struct Reply {
    pub value: Arc<dyn std::any::Any + Send + Sync>,
    pub fingerprint: u64,
}

/// One running use case: what it is, the clock it read when it started, and its replies.
#[derive(Clone)]
pub struct Actor {
    pub kind: super::actors::ActorKind,
    pub now: i64,
    pub replies: Vec<Reply>,
    /// The call it waits to make; `None` once it returned.
    pub next: Option<super::gate::Op>,
    /// What it returned, as its person or Task saw it.
    pub result: Option<super::actors::Told>,
}

/// The rules the store runs with: today's, or an old one put back to see the explorer find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    Current,
    /// A decision is recorded whenever the writer's clock says "not expired", even after the
    /// relay claimed the expiry.
    DecisionIgnoresExpiryClaim,
    /// A new token keeps the old token's delivery (only its late mark is cleared).
    NewTokenKeepsDelivery,
    /// A vote's write without its condition on the votes' count: the vote is cast on what its
    /// voter read before (`quorum::cast` on a stale record) and appended to the votes as they
    /// are now.
    VoteIgnoresCount,
    /// A reminder's claim without its condition on the decision and the votes.
    ReminderIgnoresVotes,
    /// The relay's "every message updated" written as a plain `message_updated`, without its
    /// condition on the number of companions it read.
    EveryMessageIgnoresCompanions,
}

/// A team decision: the request counts votes of [`APPROVERS`] (`approvals` of them approve,
/// `rejections` reject), and with `reminders` it is reminded before it expires and escalates
/// to [`ESCALATE_TO`] with its first reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Team {
    pub approvals: u32,
    pub rejections: u32,
    pub reminders: bool,
    /// The workflow waits already (its Wait For Approval attached `tok-1` before anything
    /// else happened) instead of a `FirstWait` actor doing it at any moment.
    pub waiting: bool,
}

/// When the first reminder is due: before the first instant, so a reminder pass may run at
/// any of them (it stops the reminders once the request expired).
pub const FIRST_REMINDER: i64 = 85;
/// Seconds between reminders: the second would be due at the expiry, so none is planned.
pub const REMIND_EVERY: i64 = 15;

#[derive(Clone)]
pub struct World {
    pub clock: usize,
    pub record: ApprovalRecord,
    pub step_functions: StepFunctions,
    pub actors: Vec<Actor>,
    /// Kinds started so far (each starts at most once; relay passes are counted).
    pub started: HashSet<super::actors::ActorKind>,
    pub passes: u32,
    /// Decision writes answered `Recorded` (people told their decision was taken).
    pub recorded: u32,
    /// What the team's calls saw as they happened (votes counted, reminders claimed and sent).
    pub log: TeamLog,
    /// A click's own `chat.update` of a companion is a call of its own, which may land after
    /// the relay's; otherwise it lands with the click's call before it, as every Slack call in
    /// the explorer does.
    pub slow_chat_updates: bool,
}

impl World {
    pub fn new(team: Option<Team>) -> Self {
        let mut record = ApprovalRecord::new(ID, "Stop db-1".into(), Channel::Slack, 0, EXPIRES, 1);
        record.message = Some(MessageRef {
            channel: "C1".into(),
            ts: "1.1".into(),
        });
        record.message_shown = Some("[]".into());
        if let Some(team) = team {
            record.approvers = APPROVERS.iter().map(|a| a.to_string()).collect();
            record.quorum = Some(Quorum {
                approvals: team.approvals,
                rejections: team.rejections,
            });
            if team.reminders {
                record.reminders = Some(Reminders {
                    every_seconds: REMIND_EVERY,
                    escalate_after: Some(1),
                    escalate_to: vec![ESCALATE_TO.into()],
                });
                record.reminder_state.next_at = Some(FIRST_REMINDER);
            }
        }
        let mut step_functions = StepFunctions::default();
        if team.is_some_and(|t| t.waiting) {
            record.task_token = Some(TOKEN.into());
            record.delivery.relay_at = Some(EXPIRES);
            let tasks = &mut step_functions.tasks;
            tasks.insert(TOKEN.into(), TaskState::Waiting);
        }
        World {
            clock: 0,
            record,
            step_functions,
            actors: Vec::new(),
            started: HashSet::new(),
            passes: 0,
            recorded: 0,
            log: TeamLog::default(),
            slow_chat_updates: false,
        }
    }

    pub fn now(&self) -> i64 {
        INSTANTS[self.clock]
    }

    /// The store holding this world's record (a fresh one per step; the record is copied back).
    pub fn store(&self) -> FakeStore {
        FakeStore {
            records: Mutex::new(HashMap::from([(ID.into(), self.record.clone())])),
            open_messages: Mutex::new(HashSet::new()),
        }
    }

    pub fn take_record(&mut self, store: &FakeStore) {
        self.record = store.records.lock().unwrap()[ID].clone();
    }

    /// Tells equal worlds apart from different ones (states are deduplicated by it).
    pub fn fingerprint(&self) -> u64 {
        let mut h = Fingerprint(DefaultHasher::new());
        let _ = write!(
            h,
            "{}|{:?}|{:?}|",
            self.clock, self.record, self.step_functions
        );
        let mut actors: Vec<String> = self.actors.iter().map(actor_key).collect();
        actors.sort();
        let _ = write!(
            h,
            "{actors:?}|{}|{}|{:?}",
            self.passes, self.recorded, self.log
        );
        h.0.finish()
    }
}

/// An actor that returned is known by what it returned: nothing reads the clock it started at
/// any more, so states that differ only in that are one.
fn actor_key(a: &Actor) -> String {
    let replies: Vec<u64> = a.replies.iter().map(|r| r.fingerprint).collect();
    let now = a.result.is_none().then_some(a.now);
    format!(
        "{:?}@{:?} {:?} {:?} {:?}",
        a.kind, now, replies, a.next, a.result
    )
}

/// A hasher fed by `Debug` output, so any debuggable value has a fingerprint.
pub struct Fingerprint(pub DefaultHasher);

impl fmt::Write for Fingerprint {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

pub fn fingerprint_of(value: &dyn fmt::Debug) -> u64 {
    let mut h = Fingerprint(DefaultHasher::new());
    let _ = write!(h, "{value:?}");
    h.0.finish()
}
