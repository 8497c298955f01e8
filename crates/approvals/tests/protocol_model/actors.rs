//! The actors: the real use cases (Wait For Approval, delivery, the relay's pass) and the two
//! ways a person decides, each written as its use case makes its calls (the Slack click lives in
//! `channels`, which this crate cannot call; the link POST's checks before its write are
//! signature work that touches nothing shared).

use std::future::Future;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use approvals::delivery::{deliver_decision, relay, DeliveryOutcome};
use approvals::ports::{ApprovalStore, DecisionWrite, DeliveryStore};
use approvals::use_cases::{wait_for_approval, TaskStatus, WaitInput};
use approvals::{Channel, DecidedBy, Decision, HitlError, RecordedDecision};

use super::companions;
use super::gate::{Answer, Gate};
use super::team::{self, Voter};
use super::world::{Rules, TaskState, World, ID};

pub const TOKEN_1: &str = "tok-1";
pub const TOKEN_2: &str = "tok-2";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActorKind {
    /// A click on the Slack message's button.
    SlackClick,
    /// The confirmation page's POST from an email link.
    LinkPost,
    /// Wait For Approval with the first Task's token.
    FirstWait,
    /// Wait For Approval again, with a new token: the workflow waits once more after its first
    /// Task ended (it went on, or caught a timeout or an expiry and came back).
    SecondWait,
    /// One pass of the Decision Relay (numbered from 1).
    Relay(u32),
    /// A team's vote (a request with a quorum).
    Vote(Voter),
    /// One run of the reminder function (numbered from 1).
    Remind(u8),
    /// Slack Request Action with `approvalId`: the request posted to Slack as a companion.
    SlackPost,
    /// Teams Request Action with `approvalId`: the request posted as the bot's card.
    TeamsPost,
    /// A click on the Slack companion's button (once it was posted).
    CompanionClick(Voter),
}

/// What an actor's person or Task was told when it returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// The decision was recorded; how its delivery went then.
    Recorded(DeliveryOutcome),
    AlreadyDecided,
    TooLate,
    /// Wait For Approval's answer: the status, or the error its Task fails with.
    Waited(Result<TaskStatus, &'static str>),
    Relayed,
    /// What a voter was shown (the link page's kind, or the click's outcome or error), and
    /// whether it said the workflow has the decision.
    Voted {
        outcome: &'static str,
        delivered: bool,
    },
    /// Requests reminded, and of those, told who decided instead.
    Reminded {
        sent: u8,
        decided_meanwhile: u8,
    },
    /// A Request Action with `approvalId`: posted (and attached), or the error its Task fails
    /// with.
    Posted(Result<(), &'static str>),
}

impl Told {
    /// The person or Task was told the workflow has the decision now.
    pub fn says_delivered(&self) -> bool {
        matches!(
            self,
            Told::Recorded(DeliveryOutcome::Delivered)
                | Told::Waited(Ok(TaskStatus::Resumed))
                | Told::Voted {
                    delivered: true,
                    ..
                }
        )
    }
}

fn decision(who: &str, channel: Channel, now: i64) -> RecordedDecision {
    RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel,
        },
        decided_at: now,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    }
}

/// channels::slack_click: read the request, write the decision, deliver it, and bring the
/// message up to date (Slack's own `chat.update` there touches nothing shared).
async fn slack_click(gate: &Gate<'_>, now: i64) -> Told {
    if !matches!(gate.get(&ID.into()).await, Ok(Some(_))) {
        return Told::TooLate;
    }
    let record = match decide(gate, "alice", Channel::Slack, now).await {
        Ok(record) => record,
        Err(told) => return told,
    };
    let delivery = deliver_decision(&record, gate, gate, now).await;
    if !matches!(
        delivery,
        DeliveryOutcome::Pending | DeliveryOutcome::InProgress
    ) && gate.message_updated(&ID.into(), now).await.is_ok()
    {
        let _ = gate.settle(&ID.into()).await;
    }
    Told::Recorded(delivery)
}

/// use_cases::decide (the link POST): read the request, write the decision, deliver it.
async fn link_post(gate: &Gate<'_>, now: i64) -> Told {
    if !matches!(gate.get(&ID.into()).await, Ok(Some(_))) {
        return Told::TooLate;
    }
    match decide(gate, "bob@example.com", Channel::Email, now).await {
        Ok(record) => Told::Recorded(deliver_decision(&record, gate, gate, now).await),
        Err(told) => told,
    }
}

async fn decide(
    gate: &Gate<'_>,
    who: &str,
    channel: Channel,
    now: i64,
) -> Result<approvals::ApprovalRecord, Told> {
    match gate
        .record_decision(&ID.into(), &decision(who, channel, now), now)
        .await
    {
        Ok(DecisionWrite::Recorded(record)) => Ok(record),
        Ok(DecisionWrite::AlreadyDecided(_)) => Err(Told::AlreadyDecided),
        _ => Err(Told::TooLate),
    }
}

async fn wait(gate: &Gate<'_>, token: &str, now: i64) -> Told {
    let input = WaitInput {
        approval_id: Some(ID.into()),
        task_token: Some(token.into()),
        execution_arn: None,
    };
    Told::Waited(
        wait_for_approval(input, gate, gate, now)
            .await
            .map(|out| out.status)
            .map_err(|e| e.name()),
    )
}

async fn run(kind: ActorKind, gate: &Gate<'_>, now: i64) -> Told {
    match kind {
        ActorKind::SlackClick => slack_click(gate, now).await,
        ActorKind::LinkPost => link_post(gate, now).await,
        ActorKind::FirstWait => wait(gate, TOKEN_1, now).await,
        ActorKind::SecondWait => wait(gate, TOKEN_2, now).await,
        ActorKind::Relay(_) => {
            let _: Result<_, HitlError> = relay(gate, gate, Some(gate), now, 10).await;
            Told::Relayed
        }
        ActorKind::Vote(voter) => team::vote(gate, voter, now).await,
        ActorKind::Remind(_) => team::remind(gate, now).await,
        ActorKind::SlackPost => companions::slack_post(gate, now).await,
        ActorKind::TeamsPost => companions::teams_post(gate, now).await,
        ActorKind::CompanionClick(voter) => companions::companion_click(gate, voter, now).await,
    }
}

/// Lets actor `index` make its next call, answered as `answer`, and run to the call after it
/// (or to its end). The actor is rebuilt from its replies, so the world stays a plain value.
pub fn step(world: &mut World, index: usize, answer: Answer, rules: Rules) {
    let actor = world.actors[index].clone();
    let store = world.store();
    let step_functions = Mutex::new(world.step_functions.clone());
    let log = Mutex::new(std::mem::take(&mut world.log));
    let mut gate = Gate::new(&store, &step_functions, &log, rules, &actor.replies);
    gate.slow_chat_updates = world.slow_chat_updates;
    let mut future = Box::pin(run(actor.kind, &gate, actor.now));
    let mut cx = Context::from_waker(Waker::noop());
    // Replays what it did so far and parks at the call it is to make now; an actor that
    // needs no call at all (an expired link answers before any read) returns at once.
    let result = match future.as_mut().poll(&mut cx) {
        Poll::Ready(told) if actor.replies.is_empty() && actor.next.is_none() => Some(told),
        Poll::Ready(_) => panic!("{actor:?} ended"),
        Poll::Pending => {
            gate.open(answer);
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(told) => Some(told),
                Poll::Pending => None,
            }
        }
    };
    let fresh = gate.fresh_replies();
    world.recorded += fresh
        .iter()
        .filter(|r| {
            let write = r.value.downcast_ref::<Result<DecisionWrite, HitlError>>();
            matches!(write, Some(Ok(DecisionWrite::Recorded(_))))
        })
        .count() as u32;
    let next = gate.parked();
    drop(future);
    drop(gate);
    world.take_record(&store);
    world.step_functions = step_functions.into_inner().unwrap();
    world.log = log.into_inner().unwrap();
    let actor = &mut world.actors[index];
    actor.replies.extend(fresh);
    actor.next = next;
    if let Some(told) = result {
        ended(world, index, told);
    }
}

/// An actor returned: Wait For Approval's error fails its Task (the workflow takes its Catch).
fn ended(world: &mut World, index: usize, told: Told) {
    let actor = &mut world.actors[index];
    actor.replies.clear();
    let token = match actor.kind {
        ActorKind::FirstWait => TOKEN_1,
        _ => TOKEN_2,
    };
    if let Told::Waited(Err(name)) = &told {
        if *name == "Hitl.Expired" && world.step_functions.waiting(token) {
            let tasks = &mut world.step_functions.tasks;
            tasks.insert(token.into(), TaskState::GotExpiry);
        }
    }
    world.actors[index].result = Some(told);
}

impl std::fmt::Debug for super::world::Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}@{} next {:?}", self.kind, self.now, self.next)
    }
}
