//! Breadth-first exploration of every interleaving of the actors' calls, Task timeouts and the
//! clock, with states deduplicated by fingerprint. Breadth first, so a counterexample is a
//! shortest one.

use std::collections::{HashMap, HashSet, VecDeque};

use super::actors::{step, ActorKind, TOKEN_1};
use super::check::{invariants, settles, summary};
use super::gate::Answer;
use super::world::{fingerprint_of, Actor, Rules, TaskState, Team, World, INSTANTS};

/// Who takes part in one exploration: every interleaving of these actors' calls is explored.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// The people and waits (a second wait starts only after the first ended).
    pub actors: &'static [ActorKind],
    /// Relay passes that may start while they run (one at a time, as the function runs).
    pub passes: u32,
    /// Step Functions may also refuse a call for good (then every later call on its token).
    pub refused_for_good: bool,
    /// A team decision (a quorum, perhaps reminders) instead of the first answer.
    pub team: Option<Team>,
    /// The request is made by Create Approval Links (origin Email, Wait For Approval waiting on
    /// `tok-1`), to be posted to Slack and Teams as companions, instead of a Slack request.
    pub companions: Option<Companions>,
}

/// How a request posted to several channels is explored.
#[derive(Debug, Clone, Copy)]
pub struct Companions {
    /// A click's own `chat.update` of its companion is a call of its own, which may land after
    /// the relay's (`World::slow_chat_updates`).
    pub slow_chat_updates: bool,
}

fn start(scenario: Scenario) -> World {
    match scenario.companions {
        Some(companions) => World {
            slow_chat_updates: companions.slow_chat_updates,
            ..World::email_request(scenario.team)
        },
        None => World::new(scenario.team),
    }
}

/// One move of the explored system. The clock moves only when an actor starts: nothing else
/// reads it (a Task's timeout is a move of its own, at any time), so moving it between two
/// other calls would only make states that differ in nothing observable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// An actor starts, reading the clock at instant `.1` (or later than every earlier start),
    /// and makes its first call.
    Start(ActorKind, usize),
    /// Actor number `.0` makes its next call, answered as `.1`.
    Step(usize, Answer),
    /// The Task waiting on this token times out.
    TimeOut(&'static str),
}

pub struct Report {
    pub states: usize,
    pub transitions: usize,
    /// The first invariant broken, with the moves that lead there.
    pub counterexample: Option<(String, Vec<String>)>,
}

pub fn explore(scenario: Scenario, rules: Rules) -> Report {
    let start = start(scenario);
    let mut parents: HashMap<u64, Option<(u64, Move)>> = HashMap::new();
    let mut settled_ok: HashSet<u64> = HashSet::new();
    let mut queue = VecDeque::from([(start.fingerprint(), start)]);
    parents.insert(queue[0].0, None);
    let mut transitions = 0;
    while let Some((id, world)) = queue.pop_front() {
        if let Err(broken) = check(&world, rules, &mut settled_ok) {
            let trace = trace(&parents, id, scenario, rules);
            return Report {
                states: parents.len(),
                transitions,
                counterexample: Some((broken, trace)),
            };
        }
        for m in moves(&world, scenario) {
            transitions += 1;
            let mut next = world.clone();
            apply(&mut next, m, rules);
            let next_id = next.fingerprint();
            if let std::collections::hash_map::Entry::Vacant(e) = parents.entry(next_id) {
                e.insert(Some((id, m)));
                queue.push_back((next_id, next));
            }
        }
    }
    Report {
        states: parents.len(),
        transitions,
        counterexample: None,
    }
}

/// The invariants here, and settling from here (once per record and Tasks: the actors are
/// dropped for it, so many states share the answer).
fn check(world: &World, rules: Rules, settled_ok: &mut HashSet<u64>) -> Result<(), String> {
    invariants(world)?;
    // What the messages show, and whether the actors are done, decide the check at quiescence.
    let quiet = super::companions_check::quiescent(world);
    let shown = &world.log.shown;
    let key = fingerprint_of(&(&world.record, &world.step_functions, shown, quiet));
    if !settled_ok.contains(&key) {
        settles(world, rules).map_err(|e| format!("once the actors stop: {e}"))?;
        settled_ok.insert(key);
    }
    Ok(())
}

fn moves(world: &World, scenario: Scenario) -> Vec<Move> {
    let mut moves = Vec::new();
    // A post reads the clock as it is (what it reads matters only past the expiry, which the
    // other actors reach): moving it there too would only multiply the interleavings.
    let mut start = |kind| {
        let last = match kind {
            ActorKind::SlackPost | ActorKind::TeamsPost => world.clock + 1,
            _ => INSTANTS.len(),
        };
        moves.extend((world.clock..last).map(|t| Move::Start(kind, t)))
    };
    for kind in scenario.actors.iter().copied() {
        let may = match kind {
            ActorKind::SecondWait => second_wait_may_start(world),
            ActorKind::CompanionClick(_) => {
                !world.started.contains(&kind) && super::companions::slack_message_posted(world)
            }
            _ => !world.started.contains(&kind),
        };
        if may {
            start(kind);
        }
    }
    let relaying = world
        .actors
        .iter()
        .any(|a| matches!(a.kind, ActorKind::Relay(_)) && a.next.is_some());
    if world.passes < scenario.passes && !relaying {
        start(ActorKind::Relay(world.passes + 1));
    }
    for (i, actor) in world.actors.iter().enumerate() {
        if let Some(op) = actor.next {
            // Step Functions answering each way is explored above; here it answers plainly.
            let answers = match scenario.companions {
                Some(_) => &[Answer::Plain],
                None => op.answers(),
            };
            moves.extend(answers.iter().map(|a| Move::Step(i, *a)));
            if scenario.refused_for_good && op.answers().len() > 1 {
                moves.push(Move::Step(i, Answer::RefusedForGood));
            }
        }
    }
    // A request posted to several channels: its Task waits without a timeout of its own (Tasks
    // timing out are explored above; here they would only multiply the interleavings).
    let timeouts = scenario.companions.is_none();
    for (token, state) in &world.step_functions.tasks {
        if timeouts && *state == TaskState::Waiting {
            moves.push(Move::TimeOut(if token == TOKEN_1 {
                TOKEN_1
            } else {
                "tok-2"
            }));
        }
    }
    moves
}

/// The workflow waits again only after its first Task ended (it went on, or caught a timeout
/// or an expiry) and its first Wait For Approval returned.
fn second_wait_may_start(world: &World) -> bool {
    let first_returned = world
        .actors
        .iter()
        .any(|a| a.kind == ActorKind::FirstWait && a.result.is_some());
    !world.started.contains(&ActorKind::SecondWait)
        && first_returned
        && !world.step_functions.waiting(TOKEN_1)
}

/// Applies `m`; returns what happened, for traces.
fn apply(world: &mut World, m: Move, rules: Rules) -> String {
    let at = world.now();
    match m {
        Move::TimeOut(token) => {
            let tasks = &mut world.step_functions.tasks;
            tasks.insert(token.to_string(), TaskState::TimedOut);
            format!("[t={at}] the Task of {token} times out")
        }
        Move::Start(kind, clock) => {
            world.clock = clock;
            let at = world.now();
            match kind {
                ActorKind::Relay(_) => world.passes += 1,
                _ => {
                    world.started.insert(kind);
                }
            }
            let token = match kind {
                ActorKind::FirstWait => Some(TOKEN_1),
                ActorKind::SecondWait => Some("tok-2"),
                _ => None,
            };
            if let Some(token) = token {
                let tasks = &mut world.step_functions.tasks;
                tasks.insert(token.to_string(), TaskState::Waiting);
            }
            world.actors.push(Actor {
                kind,
                now: at,
                replies: Vec::new(),
                next: None,
                result: None,
            });
            let index = world.actors.len() - 1;
            step(world, index, Answer::Plain, rules);
            format!(
                "[t={at}] {kind:?} starts (clock {at}){}",
                ended(world, index)
            )
        }
        Move::Step(index, answer) => {
            let actor = &world.actors[index];
            let label = format!(
                "[t={at}] {:?} (clock {}): {:?}{}",
                actor.kind,
                actor.now,
                actor.next.expect("parked"),
                if answer == Answer::Plain {
                    String::new()
                } else {
                    format!(" -> {answer:?}")
                }
            );
            step(world, index, answer, rules);
            format!("{label}{}", ended(world, index))
        }
    }
}

fn ended(world: &World, index: usize) -> String {
    match &world.actors[index].result {
        Some(told) => format!("; returns {told:?}"),
        None => String::new(),
    }
}

/// The moves from the start to state `id`, replayed with the state after each.
fn trace(
    parents: &HashMap<u64, Option<(u64, Move)>>,
    mut id: u64,
    scenario: Scenario,
    rules: Rules,
) -> Vec<String> {
    let mut moves = Vec::new();
    while let Some(Some((parent, m))) = parents.get(&id) {
        moves.push(*m);
        id = *parent;
    }
    moves.reverse();
    let mut world = start(scenario);
    moves
        .into_iter()
        .map(|m| {
            let label = apply(&mut world, m, rules);
            format!("{label}\n      => {}", summary(&world))
        })
        .collect()
}
