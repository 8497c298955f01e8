//! The verdict of a load run: what it asserts, what it measured, and how it prints.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

use super::Observed;
use crate::{slack, Flow, Request, Verdict};

#[derive(Debug, Default)]
pub struct Report {
    pub email: usize,
    pub slack: usize,
    pub started_in: Duration,
    pub all_waiting_after: Duration,
    /// Requests whose Task never held a token (they failed before waiting, or were too slow).
    pub not_waiting: usize,
    pub left_running: usize,
    /// One line per request decided twice.
    pub double: Vec<String>,
    /// One line per request whose execution did not end on its recorded decision.
    pub lost: Vec<String>,
    /// Last click answered → last execution end.
    pub drain: Duration,
    /// Seconds from `decidedAt` to `deliveredAt` (Step Functions accepted it), for decisions
    /// their click did not deliver.
    pub redelivery: Vec<f64>,
    /// Seconds from `decidedAt` to the execution's end, for the same decisions (moto's pace
    /// in running the rest of the execution included).
    pub to_end: Vec<f64>,
    pub clicks: BTreeMap<String, usize>,
    pub outcomes: BTreeMap<String, usize>,
    pub slack_answered: usize,
    /// Ephemeral notes the Slack stand-in got (best effort, so information only: Slack's
    /// answer to a click says nothing about it, the record and the message do).
    pub slack_refusals: usize,
    /// Slack messages that do not name who decided (their update failed and nobody redid it).
    pub messages_not_updated: usize,
    pub faults: Value,
    pub concurrency: Value,
    stops: Vec<f64>,
}

fn click_key(flow: Flow, verdict: Verdict) -> &'static str {
    match (flow, verdict) {
        (_, Verdict::Recorded { delivered: true }) => "email: recorded and delivered",
        (_, Verdict::Recorded { delivered: false }) => "email: recorded, delivery pending",
        (_, Verdict::AlreadyDecided) => "email: already decided",
        (Flow::Email, _) => "email: failed",
        (Flow::Slack, Verdict::Answered) => "slack: 200",
        (Flow::Slack, _) => "slack: failed",
    }
}

impl Report {
    pub(super) fn add(&mut self, request: &Request, seen: &Observed, message: Option<&str>) {
        match request.flow {
            Flow::Email => self.email += 1,
            Flow::Slack => self.slack += 1,
        }
        for click in &request.clicks {
            *self
                .clicks
                .entry(click_key(request.flow, click.verdict).into())
                .or_default() += 1;
            self.slack_answered += usize::from(click.verdict == Verdict::Answered);
        }
        let tag = &request.tag;
        if seen.status == "RUNNING" {
            return;
        }
        let outcome = seen.output["outcome"].as_str().unwrap_or("-").to_string();
        *self
            .outcomes
            .entry(format!("{} {outcome}", flow_name(request.flow)))
            .or_default() += 1;
        if seen.status != "SUCCEEDED" {
            let error = seen.error.as_deref().unwrap_or("");
            return self.lost.push(format!("{tag}: {} {error}", seen.status));
        }
        self.stops.extend(seen.stopped_at);
        let Some((decision, by, decided_at)) = &seen.decision else {
            return self.lost.push(format!(
                "{tag}: ended {outcome} but no decision is recorded"
            ));
        };
        let expected = match decision.as_str() {
            "approve" => "approved",
            "reject" => "rejected",
            _ => "answered",
        };
        let decider = seen.output["decision"]["decidedBy"]["id"]
            .as_str()
            .unwrap_or("-");
        if outcome != expected || decider != by {
            self.lost.push(format!(
                "{tag}: ended {outcome} with {decider}'s decision; the record holds {by}'s {decision}"
            ));
        }
        self.check_double(request, by, message);
        if !delivered_by_click(request, seen) {
            if let Some(delivered) = seen.delivered_at {
                self.redelivery.push((delivered - decided_at).max(0.0));
            }
            if let Some(stop) = seen.stopped_at {
                self.to_end.push((stop - decided_at).max(0.0));
            }
        }
    }

    fn check_double(&mut self, request: &Request, by: &str, message: Option<&str>) {
        let tag = &request.tag;
        match request.flow {
            Flow::Email => {
                let told: Vec<&str> = request
                    .clicks
                    .iter()
                    .filter(|c| matches!(c.verdict, Verdict::Recorded { .. }))
                    .map(|c| c.who.as_str())
                    .collect();
                if told.len() > 1 || told.first().is_some_and(|who| *who != by) {
                    self.double.push(format!(
                        "{tag}: {told:?} were told \"recorded\"; the record holds {by}"
                    ));
                }
            }
            Flow::Slack => {
                let Some(text) = message else { return };
                let names = |user: &str| text.contains(&format!("<@{user}>"));
                let others: Vec<&str> = slack::CLICKS
                    .iter()
                    .map(|(user, _)| *user)
                    .filter(|user| *user != by && names(user))
                    .collect();
                if !names(by) && !others.is_empty() {
                    self.double.push(format!(
                        "{tag}: the message names {others:?}; the record holds {by}"
                    ));
                } else if !names(by) {
                    self.messages_not_updated += 1;
                }
            }
        }
    }

    pub(super) fn finish(&mut self, last_click: f64) {
        let last_end = self.stops.iter().copied().fold(0.0, f64::max);
        self.drain = Duration::from_secs_f64((last_end - last_click).max(0.0));
        self.redelivery.sort_by(f64::total_cmp);
        self.to_end.sort_by(f64::total_cmp);
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
        fail(self.double.len(), "double decisions");
        fail(self.lost.len(), "lost decisions");
        fail(self.left_running, "executions left running");
        failures
    }

    pub fn percentile(&self, p: f64) -> Option<f64> {
        percentile(&self.redelivery, p)
    }

    /// The summary `make load` prints.
    pub fn print(&self) {
        let total = self.email + self.slack;
        let rate = total as f64 / self.started_in.as_secs_f64().max(0.001);
        println!(
            "hitl-load: {} email + {} Slack executions, each clicked three times at once",
            self.email, self.slack
        );
        println!(
            "  started in            {:.1} s ({rate:.0}/s)",
            self.started_in.as_secs_f64()
        );
        println!(
            "  all waiting after     {:.1} s ({} never waited)",
            self.all_waiting_after.as_secs_f64(),
            self.not_waiting
        );
        println!("  clicks                {}", join(&self.clicks));
        println!(
            "  Slack refusals        {} ephemeral notes",
            self.slack_refusals
        );
        println!("  outcomes              {}", join(&self.outcomes));
        println!("  double decisions      {}", self.double.len());
        println!("  lost decisions        {}", self.lost.len());
        println!("  left running          {}", self.left_running);
        println!(
            "  time to drain         {:.1} s (last click answered -> last execution end)",
            self.drain.as_secs_f64()
        );
        self.print_latencies();
        println!("  faults injected       {}", faults_line(&self.faults));
        println!(
            "  functions             {}",
            concurrency_line(&self.concurrency)
        );
        self.print_examples();
        match self.failures().as_slice() {
            [] => println!("PASS"),
            failures => println!("FAIL: {}", failures.join("; ")),
        }
    }

    /// Re-delivery and end-of-execution latencies, and messages that still lack a decider.
    fn print_latencies(&self) {
        match (self.percentile(50.0), self.percentile(99.0)) {
            (Some(p50), Some(p99)) => println!(
                "  re-delivery latency   p50 {p50:.1} s, p99 {p99:.1} s over {} decisions their click did not deliver (decidedAt -> deliveredAt, 1 s resolution)",
                self.redelivery.len()
            ),
            _ => println!("  re-delivery latency   - (every decision was delivered by its click)"),
        }
        if let (Some(p50), Some(p99)) = (
            percentile(&self.to_end, 50.0),
            percentile(&self.to_end, 99.0),
        ) {
            println!(
                "  ... to execution end  p50 {p50:.1} s, p99 {p99:.1} s (moto's pace in finishing the execution included)"
            );
        }
        if self.messages_not_updated > 0 {
            println!(
                "  Slack messages        {} still do not name who decided",
                self.messages_not_updated
            );
        }
    }

    /// The first ten double and lost decisions.
    fn print_examples(&self) {
        for (what, lines) in [("double", &self.double), ("lost", &self.lost)] {
            for line in lines.iter().take(10) {
                println!("  {what}: {line}");
            }
            if lines.len() > 10 {
                println!("  {what}: ... and {} more", lines.len() - 10);
            }
        }
    }
}

fn flow_name(flow: Flow) -> &'static str {
    match flow {
        Flow::Email => "email",
        Flow::Slack => "slack",
    }
}

fn delivered_by_click(request: &Request, seen: &Observed) -> bool {
    match request.flow {
        Flow::Email => request
            .clicks
            .iter()
            .any(|c| c.verdict == Verdict::Recorded { delivered: true }),
        Flow::Slack => {
            let answered = request
                .clicks
                .iter()
                .filter(|c| c.verdict == Verdict::Answered);
            let last = answered
                .filter_map(|c| c.answered_at.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs_f64())
                .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))));
            matches!((seen.callback_at, last), (Some(cb), Some(last)) if cb <= last + 1.0)
        }
    }
}

fn join(counts: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    parts.join(", ")
}

fn faults_line(faults: &Value) -> String {
    let mut parts = Vec::new();
    for (call, c) in faults["counters"]["calls"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let (errors, throttles) = (
            c["errors"].as_u64().unwrap_or(0),
            c["throttles"].as_u64().unwrap_or(0),
        );
        let calls = c["calls"].as_u64().unwrap_or(0).max(1);
        if errors + throttles > 0 {
            let share = 100.0 * (errors + throttles) as f64 / calls as f64;
            parts.push(format!(
                "{call} {errors} 5xx + {throttles} throttled of {calls} ({share:.1}%)"
            ));
        }
    }
    for (function, k) in faults["counters"]["kills"]
        .as_object()
        .into_iter()
        .flatten()
    {
        parts.push(format!(
            "{function} killed {} of {} decision writes",
            k["killed"], k["candidates"]
        ));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

fn concurrency_line(concurrency: &Value) -> String {
    let mut parts = Vec::new();
    for (function, f) in concurrency.as_object().into_iter().flatten() {
        let s = &f["stats"];
        if s["invocations"].as_u64().unwrap_or(0) == 0 {
            continue;
        }
        parts.push(format!(
            "{function}: {} invocations, peak {} at once, {} cold starts, {} throttled, {} crashes",
            s["invocations"], s["peakConcurrency"], s["coldStarts"], s["throttled"], s["crashes"]
        ));
    }
    parts.join("\n                        ")
}

/// The `p`th percentile of sorted `values`.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(values[rank.clamp(1, n) - 1])
}
