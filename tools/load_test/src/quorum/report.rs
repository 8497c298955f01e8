//! What the quorum scenario asserts and prints: lost votes, double counts, double resumes and
//! every other mismatch (each with the request it happened to), what people were told, the
//! votes' POST latency beside the echo, the faults that were injected.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::judge::{Kind, Seen};
use super::{QuorumConfig, Told, Voted};
use crate::burst::clients::{Answer, Phase};

#[derive(Default)]
pub struct QuorumReport {
    pub requests: usize,
    pub clients: usize,
    pub faults_on: bool,
    pub not_waiting: usize,
    pub ready_after: Duration,
    pub voting: Duration,
    pub left_running: usize,
    /// Per plan: outcomes (`approved`, `rejected`, ...) and how many.
    pub outcomes: BTreeMap<String, BTreeMap<String, usize>>,
    /// Per kind: `tag: what` lines.
    pub problems: BTreeMap<Kind, Vec<String>>,
    /// What the people were told in the end, and how many.
    pub told: BTreeMap<String, usize>,
    pub votes_recorded: usize,
    pub votes_told_counted: usize,
    /// Every vote's POST, its body dropped.
    pub post_answers: Vec<Answer>,
    /// Forms submitted again (after a lost or unconfirmed answer).
    pub resubmits: usize,
    pub echo: Option<Phase>,
    /// `Vote Counted` and `Approval Decided` events checked (`None`: the trail was not).
    pub audit_events: Option<usize>,
    pub faults: Value,
    pub concurrency: Value,
}

impl QuorumReport {
    pub fn new(config: &QuorumConfig, faults_on: bool) -> Self {
        QuorumReport {
            requests: config.requests,
            clients: config.clients,
            faults_on,
            ..QuorumReport::default()
        }
    }

    /// One request judged.
    pub(super) fn add(&mut self, voted: &Voted, seen: &Seen, problems: Vec<(Kind, String)>) {
        let outcome = seen.output["outcome"].as_str().unwrap_or(&seen.status);
        *self
            .outcomes
            .entry(voted.plan.name.to_string())
            .or_default()
            .entry(outcome.to_string())
            .or_default() += 1;
        for (kind, what) in problems {
            let line = format!("{}: {what}", voted.request.tag);
            self.problems.entry(kind).or_default().push(line);
        }
        for person in &voted.people {
            *self.told.entry(told_name(&person.told)).or_default() += 1;
            self.votes_told_counted += usize::from(person.told.counted());
            self.resubmits += person.posts.len().saturating_sub(1);
            let answers = person.posts.iter().map(|a| Answer {
                body: String::new(),
                ..a.clone()
            });
            self.post_answers.extend(answers);
        }
        let recorded = seen.record.as_ref().map_or(0, |r| r.votes.len());
        self.votes_recorded += recorded;
    }

    /// Every vote's POST (a resubmitted form is one more): final answers are good.
    pub fn posts(&self) -> Phase {
        Phase::of(&self.post_answers, |a| matches!(a.status, 200 | 403 | 409))
    }

    fn count(&self, kind: Kind) -> usize {
        self.problems.get(&kind).map_or(0, Vec::len)
    }

    /// The assertions that failed, one line each (empty: the run passed).
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut fail = |n: usize, what: &str| {
            if n > 0 {
                failures.push(format!("{n} {what}"));
            }
        };
        fail(self.not_waiting, "requests never reached the waiting state");
        fail(self.left_running, "executions left running");
        fail(self.count(Kind::Lost), "lost votes or decisions");
        fail(self.count(Kind::Double), "double counts");
        fail(self.count(Kind::DoubleResume), "double resumes");
        fail(self.count(Kind::Wrong), "other mismatches");
        fail(self.count(Kind::Unanswered), "votes never answered");
        fail(
            self.requests
                .saturating_sub(self.outcomes.values().flat_map(|o| o.values()).sum()),
            "requests not checked",
        );
        failures
    }

    pub fn print(&self) {
        println!(
            "\nhitl-load quorum: {} requests x 3 approvers, {} people voting at once, faults {}",
            self.requests,
            self.clients,
            if self.faults_on { "on" } else { "off" }
        );
        println!(
            "  all waiting after     {:.1} s",
            self.ready_after.as_secs_f64()
        );
        println!("  voting took           {:.1} s", self.voting.as_secs_f64());
        for (plan, outcomes) in &self.outcomes {
            println!("  {plan:<38}{}", join(outcomes));
        }
        println!("  people were told      {}", join(&self.told));
        println!(
            "  votes                 {} recorded, {} told counted or settling",
            self.votes_recorded, self.votes_told_counted
        );
        let posts = self.posts();
        println!(
            "  vote POST             {} sent ({} resubmitted), {}; {}",
            posts.total,
            self.resubmits,
            statuses(&posts),
            posts.latency()
        );
        match &self.echo {
            Some(echo) => println!(
                "  echo, same path       {} answered; {}",
                echo.good,
                echo.latency()
            ),
            None => println!("  echo                  not served by this stack (--echo)"),
        }
        println!(
            "  lost votes {}, double counts {}, double resumes {}, other mismatches {}, unanswered {}, left running {}",
            self.count(Kind::Lost), self.count(Kind::Double), self.count(Kind::DoubleResume),
            self.count(Kind::Wrong), self.count(Kind::Unanswered), self.left_running
        );
        match self.audit_events {
            Some(n) => println!(
                "  audit trail           {n} Vote Counted and Approval Decided events checked"
            ),
            None => println!(
                "  audit trail           not checked (none served, or more events than kept)"
            ),
        }
        for line in self.problems.values().flatten().take(12) {
            println!("    {line}");
        }
        println!("  faults injected       {}", faults_line(&self.faults));
        match self.failures().as_slice() {
            [] => println!("PASS"),
            failures => println!("FAIL: {}", failures.join("; ")),
        }
    }
}

fn told_name(told: &Told) -> String {
    match told {
        Told::Counted => "counted".into(),
        Told::Recorded { delivered: true } => "settled it, delivered".into(),
        Told::Recorded { delivered: false } => "settled it, delivery pending".into(),
        Told::AlreadyVoted => "voted already".into(),
        Told::AlreadyDecided => "already decided".into(),
        Told::NoSlot => "no vote (requester)".into(),
        other => format!("{other:?}"),
    }
}

fn join(counts: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    parts.join(", ")
}

fn statuses(phase: &Phase) -> String {
    let parts: Vec<String> = phase
        .statuses
        .iter()
        .map(|(s, n)| {
            format!(
                "{}x{n}",
                if *s == 0 {
                    "no answer".into()
                } else {
                    s.to_string()
                }
            )
        })
        .collect();
    parts.join(", ")
}

/// Vote write faults, lost answers (a process killed after its vote write), `SendTaskSuccess`
/// faults.
fn faults_line(faults: &Value) -> String {
    let calls = &faults["counters"]["calls"];
    let call = |key: &str| {
        let c = &calls[key];
        format!(
            "{key} {} 5xx + {} throttled of {}",
            c["errors"].as_u64().unwrap_or(0),
            c["throttles"].as_u64().unwrap_or(0),
            c["calls"].as_u64().unwrap_or(0)
        )
    };
    let kills = &faults["counters"]["kills"]["DecisionApiFunction"];
    format!(
        "{} (vote writes only); {}; DecisionApiFunction killed after {} of {} vote writes",
        call("dynamodb.UpdateItem"),
        call("sfn.SendTaskSuccess"),
        kills["killed"].as_u64().unwrap_or(0),
        kills["candidates"].as_u64().unwrap_or(0)
    )
}
