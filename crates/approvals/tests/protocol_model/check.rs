//! The invariants, checked in every reachable state, and the settling check: from every state,
//! once the actors stop (or die where they stand), the relay settles the record within a
//! bounded number of passes and every Task has been told.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use approvals::delivery::relay;
use approvals::ports::{DeliveryStore, ReminderStore};

use super::gate::Gate;
use super::world::{Rules, StepFunctions, TaskState, World, LATER};

/// Passes the relay may take to settle a record once nothing else happens.
pub const SETTLE_PASSES: i64 = 2;

/// What must hold in every reachable state.
pub fn invariants(world: &World) -> Result<(), String> {
    match world.record.takes_companions() {
        true => super::companions_check::invariants(&world.record, &world.log)?,
        false => super::team_check::team_invariants(&world.record, &world.log)?,
    }
    let r = &world.record;
    let d = &r.delivery;
    let tasks = &world.step_functions;
    if world.recorded > 1 {
        return Err("two decisions were recorded".into());
    }
    if r.decision.is_some() && tasks.any(TaskState::GotExpiry) {
        return Err(
            "a decision was recorded (its person was told so) and a Task got Hitl.Expired".into(),
        );
    }
    if d.delivered_at.is_some() && d.late_at.is_some() {
        return Err("the decision is marked both delivered and late".into());
    }
    if let (Some(token), Some(_)) = (&r.task_token, d.delivered_at) {
        if !received(tasks, token) {
            return Err(format!(
                "marked delivered to {}, whose Task never got the decision",
                token.as_str()
            ));
        }
    }
    let told = world.actors.iter().filter(|a| {
        a.result
            .as_ref()
            .is_some_and(super::actors::Told::says_delivered)
    });
    if let Some(actor) = told.clone().next() {
        let blind = tasks.taken_over.iter().any(|t| received(tasks, t));
        if !tasks.any(TaskState::GotDecision) && !blind {
            return Err(format!(
                "{:?} was told the workflow has the decision; no Task got it",
                actor.kind
            ));
        }
    }
    Ok(())
}

/// The Task waiting on `token` got the decision, or cannot be told apart from one that did: it
/// timed out, and its delivery was taken over from a deliverer that may have reached it (see
/// `StepFunctions::taken_over`).
fn received(tasks: &StepFunctions, token: &str) -> bool {
    match tasks.tasks.get(token) {
        Some(TaskState::GotDecision) => true,
        Some(TaskState::TimedOut) => blind_spot(tasks, token),
        _ => false,
    }
}

fn blind_spot(tasks: &StepFunctions, token: &str) -> bool {
    tasks.taken_over.iter().any(|t| t == token)
}

/// Runs the relay, with nothing failing, after the actors stopped in `world`: the record
/// must leave the relay index settled within [`SETTLE_PASSES`], with every Task told.
pub fn settles(world: &World, rules: Rules) -> Result<(), String> {
    let mut world = world.clone();
    let store = world.store();
    let step_functions = Mutex::new(world.step_functions.clone());
    let log = Mutex::new(world.log.clone());
    let gate = Gate::ungated(&store, &step_functions, &log, rules);
    for pass in 1..=SETTLE_PASSES + 1 {
        let now = LATER + pass * 100;
        let due = ready(store.due_for_relay(now, 100)).expect("in memory");
        if due.is_empty() {
            break;
        }
        if pass > SETTLE_PASSES {
            return Err(format!(
                "the relay loops: still due after {SETTLE_PASSES} passes"
            ));
        }
        ready(relay(&gate, &gate, Some(&gate), now, 100)).expect("in memory");
    }
    reminders_stop(&gate)?;
    drop(gate);
    let quiet = super::companions_check::quiescent(&world);
    world.log = log.into_inner().unwrap();
    world.take_record(&store);
    world.step_functions = step_functions.into_inner().unwrap();
    let r = &world.record;
    if !r.is_settled() {
        return Err("the record left the relay index unsettled".into());
    }
    // A Task whose delivery was given up (Step Functions refuses its token for good) waits
    // until its own timeout: nothing can tell it, and the record says why.
    let given_up = r
        .task_token
        .as_deref()
        .filter(|_| r.delivery.failed.is_some());
    if let Some((token, _)) = world
        .step_functions
        .tasks
        .iter()
        .find(|(t, s)| **s == TaskState::Waiting && Some(t.as_str()) != given_up)
    {
        return Err(format!(
            "the Task of {token} waits for ever: nothing tells it"
        ));
    }
    let sf = &world.step_functions;
    let reached =
        sf.any(TaskState::GotDecision) || r.task_token.as_deref().is_some_and(|t| received(sf, t));
    if r.decision.is_some() && r.task_token.is_some() && !reached && !r.delivery.took_no_effect() {
        return Err(
            "a recorded decision neither reached a Task nor was found late or given up".into(),
        );
    }
    if r.delivery.failed.is_some() && sf.refusing.is_empty() {
        return Err("a delivery was given up although Step Functions never refused it".into());
    }
    invariants(&world).map_err(|e| format!("after the relay settled it: {e}"))?;
    if quiet && r.takes_companions() {
        super::companions_check::every_message_shows_the_outcome(&world)?;
    }
    Ok(())
}

/// The in-memory store and the Step Functions model answer at once: one poll runs a call.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an ungated call parked"),
    }
}

/// The record and the Tasks in one line, for traces.
pub fn summary(world: &World) -> String {
    let r = &world.record;
    let d = &r.delivery;
    let at = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
    let lease = d
        .lease
        .as_ref()
        .map_or("-".into(), |l| format!("{}..{}", l.token.as_str(), l.until));
    format!(
        "decision={} token={} lease={lease} delivered={} late={} given up={} expiry claimed={} sent={} due={} | tasks {:?}",
        r.decision.as_ref().map_or("-", |d| d.decided_by.id.as_str()),
        r.task_token.as_deref().unwrap_or("-"),
        at(d.delivered_at),
        at(d.late_at),
        at(d.failed.as_ref().map(|f| f.at)),
        at(d.expiry_claimed_at),
        at(d.expiry_sent_at),
        at(d.relay_at),
        world.step_functions.tasks,
    ) + &team_summary(world)
}

/// A team's votes and reminders, for traces.
fn team_summary(world: &World) -> String {
    let r = &world.record;
    if r.quorum.is_none() {
        return String::new();
    }
    let votes: Vec<String> = r
        .votes
        .iter()
        .map(|v| format!("{}:{:?}", v.decision.decided_by.id, v.decision.decision))
        .collect();
    let state = &r.reminder_state;
    format!(
        " | votes {votes:?} reminders sent={} next={:?} escalated={:?}",
        state.sent, state.next_at, state.escalated_at
    )
}

/// Once the record settled, a reminder pass sends nothing that asks and takes the request out
/// of the reminder index.
fn reminders_stop(gate: &Gate<'_>) -> Result<(), String> {
    let now = LATER + 1000;
    let asked = |gate: &Gate<'_>| {
        let log = gate.log.lock().unwrap();
        log.sends.iter().filter(|s| !s.says_decided).count()
    };
    let before = asked(gate);
    ready(super::team::remind(gate, now));
    if asked(gate) > before {
        return Err("a reminder asked after the record settled".into());
    }
    if !ready(gate.due_for_reminder(now, 10))
        .expect("in memory")
        .is_empty()
    {
        return Err("the request stays in the reminder index after it settled".into());
    }
    Ok(())
}
