//! The decision protocol, proven rather than sampled: every interleaving of a Slack click, a
//! link POST, a first and a repeated Wait For Approval (a new token), delivery with every
//! answer Step Functions can give (resumed, no longer waiting, unknown, an error, and in its own
//! scenario a refusal for good that every later call on that token meets too), takeovers
//! after a lease runs out, the expiry and relay passes, with the clock moving between any
//! two calls and Tasks timing out at any moment. Each call is one store or Step Functions call
//! as the real code makes it, on the in-memory store whose rules the store contract ties to
//! DynamoDB. In every reachable state: at most one decision; a decision is shown as delivered
//! only if a Task got it; no workflow gets both an expiry and a decision; and once the actors
//! stop, the relay settles the record within two passes with every Task told (or, when Step
//! Functions refused its token for good, with the delivery given up and its reason kept).
//!
//! The explorer must also find the two bugs it was written for when their old rules are put
//! back (a decision after a claimed expiry; a repeated wait answered from the old token's
//! delivery).

mod protocol_model;

use std::time::Instant;

use protocol_model::actors::ActorKind::{FirstWait, LinkPost, SecondWait, SlackClick};
use protocol_model::explore::{explore, Report, Scenario};
use protocol_model::world::Rules;

/// Two people decide while the workflow waits and the relay passes.
const TWO_DECIDERS: Scenario = Scenario {
    actors: &[SlackClick, LinkPost, FirstWait],
    passes: 1,
    refused_for_good: false,
};
/// A person decides while the workflow waits, then waits again with a new token.
const WAIT_AGAIN: Scenario = Scenario {
    actors: &[SlackClick, FirstWait, SecondWait],
    passes: 1,
    refused_for_good: false,
};
/// A person decides (or nobody does, and the request expires) while Step Functions may refuse
/// any callback for good: every record still settles, and the relay never loops on it.
const REFUSED_FOR_GOOD: Scenario = Scenario {
    actors: &[LinkPost, FirstWait, SecondWait],
    passes: 1,
    refused_for_good: true,
};

fn explored(scenario: Scenario, rules: Rules) -> Report {
    let started = Instant::now();
    let report = explore(scenario, rules);
    println!(
        "{:?} {rules:?}: {} states, {} transitions, {:.1} s",
        scenario.actors,
        report.states,
        report.transitions,
        started.elapsed().as_secs_f64()
    );
    report
}

fn counterexample(report: &Report) -> String {
    let (broken, trace) = report.counterexample.as_ref().expect("a counterexample");
    format!("{broken}\n  {}", trace.join("\n  "))
}

fn keeps_its_invariants(scenario: Scenario) {
    let report = explored(scenario, Rules::Current);
    if report.counterexample.is_some() {
        panic!("invariant broken: {}", counterexample(&report));
    }
    assert!(report.states > 1000, "the exploration ran");
}

#[test]
fn two_deciders_keep_the_invariants_in_every_reachable_state() {
    keeps_its_invariants(TWO_DECIDERS);
}

#[test]
fn a_repeated_wait_keeps_the_invariants_in_every_reachable_state() {
    keeps_its_invariants(WAIT_AGAIN);
}

#[test]
fn a_permanent_refusal_settles_the_record_in_every_reachable_state() {
    keeps_its_invariants(REFUSED_FOR_GOOD);
}

#[test]
fn a_decision_after_a_claimed_expiry_is_found_when_put_back() {
    let report = explored(TWO_DECIDERS, Rules::DecisionIgnoresExpiryClaim);
    let found = counterexample(&report);
    println!("found: {found}");
    assert!(found.contains("Hitl.Expired"), "{found}");
}

#[test]
fn a_repeated_wait_answered_from_the_old_token_is_found_when_put_back() {
    let report = explored(WAIT_AGAIN, Rules::NewTokenKeepsDelivery);
    let found = counterexample(&report);
    println!("found: {found}");
    assert!(found.contains("tok-2"), "{found}");
}
