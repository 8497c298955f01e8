//! What the burst asserts and prints: clicks by phase (statuses, latency), the echo beside
//! them, the forged traffic, and how every execution ended.

use serde_json::Value;

use super::clients::Phase;
use super::flood::FloodReport;
use super::{BurstConfig, SecretsFaults};
use crate::Report;

#[derive(Default)]
pub struct BurstReport {
    pub approvals: usize,
    pub clients: usize,
    pub secrets_faults: Option<SecretsFaults>,
    pub not_waiting: usize,
    /// The approve links opened.
    pub get: Phase,
    /// GETs whose page held no form to confirm (nothing to POST).
    pub no_form: usize,
    /// The forms confirmed.
    pub post: Phase,
    pub echo: Option<Phase>,
    pub flood: Option<FloodReport>,
    pub left_running: usize,
    /// The executions against their records (doubles, losses, outcomes).
    pub outcome: Option<Report>,
    pub told_failed_but_recorded: usize,
    pub faults: Value,
    pub concurrency: Value,
}

impl BurstReport {
    pub fn new(config: &BurstConfig) -> Self {
        BurstReport {
            approvals: config.approvals,
            clients: config.clients,
            secrets_faults: config.secrets_faults,
            ..BurstReport::default()
        }
    }

    fn approved(&self) -> usize {
        let outcomes = self.outcome.as_ref().map(|r| &r.outcomes);
        outcomes
            .and_then(|o| o.get("email approved"))
            .copied()
            .unwrap_or(0)
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
        fail(
            self.get.total - self.get.good,
            "GETs did not show the confirmation page",
        );
        fail(
            self.approvals - self.post.good.min(self.approvals),
            "approvals were not recorded by their POST",
        );
        fail(
            self.get.count(503) + self.post.count(503),
            "clicks answered 503",
        );
        fail(
            self.get.count(429) + self.post.count(429),
            "clicks answered 429",
        );
        fail(
            self.told_failed_but_recorded,
            "POSTs not told \"recorded\" although the decision was recorded",
        );
        fail(
            self.approvals - self.approved().min(self.approvals),
            "executions did not end approved",
        );
        fail(self.left_running, "executions left running");
        if let Some(outcome) = &self.outcome {
            fail(outcome.double.len(), "double decisions");
            fail(outcome.lost.len(), "lost decisions");
        }
        failures
    }

    pub fn print(&self) {
        let faults = match self.secrets_faults {
            None => "none",
            Some(SecretsFaults::Slow) => "slow (+1.5 s a call)",
            Some(SecretsFaults::Fail20) => "failing 20 % of calls (10 % 500, 10 % throttled)",
        };
        println!("\nhitl-load burst: {} approvals, {} concurrent clients, Secrets Manager faults: {faults}", self.approvals, self.clients);
        println!(
            "  GET  approve link:  {}/{} showed the confirmation page; {}; {}",
            self.get.good,
            self.get.total,
            statuses(&self.get),
            self.get.latency()
        );
        println!(
            "  POST its form:      {}/{} recorded; {}; {}",
            self.post.good,
            self.post.total,
            statuses(&self.post),
            self.post.latency()
        );
        match &self.echo {
            Some(echo) => println!(
                "  lambda_runtime echo, same path and clients: {}/{} answered; {}",
                echo.good,
                echo.total,
                echo.latency()
            ),
            None => {
                println!("  lambda_runtime echo: not served by this stack (start it with --echo)")
            }
        }
        if let Some(flood) = &self.flood {
            println!(
                "  forged: {} sent in {:.1} s (asked {}/s{}): {}; refused by the function {}, 429 {}; real clicks answered 429: {}",
                flood.answers.total, flood.seconds, flood.rate,
                if flood.skipped > 0 { format!(", {} ticks skipped", flood.skipped) } else { String::new() },
                statuses(&flood.answers), flood.answers.good, flood.throttled(),
                self.get.count(429) + self.post.count(429)
            );
            println!("  forged answered:    {}", flood.answers.latency());
        }
        if let Some(outcome) = &self.outcome {
            println!(
                "  executions: {}; double {}, lost {}, left running {}; told not recorded but recorded {}",
                join(&outcome.outcomes), outcome.double.len(), outcome.lost.len(), self.left_running, self.told_failed_but_recorded
            );
            for line in outcome.double.iter().chain(&outcome.lost).take(10) {
                println!("    {line}");
            }
        }
        println!("  Secrets Manager: {}", secrets_line(&self.faults));
        println!("  Decision API: {}", decision_api_line(&self.concurrency));
        match self.failures().as_slice() {
            [] => println!("PASS"),
            failures => println!("FAIL: {}", failures.join("; ")),
        }
    }
}

/// `200×298, 503×2`.
fn statuses(phase: &Phase) -> String {
    let parts: Vec<String> = phase
        .statuses
        .iter()
        .map(|(status, n)| match status {
            0 => format!("no answer×{n}"),
            s => format!("{s}×{n}"),
        })
        .collect();
    if parts.is_empty() {
        "nothing sent".into()
    } else {
        parts.join(", ")
    }
}

fn join(counts: &std::collections::BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fault counters of `secretsmanager.*` calls.
fn secrets_line(faults: &Value) -> String {
    let calls = faults["counters"]["calls"].as_object();
    let lines: Vec<String> = calls
        .into_iter()
        .flatten()
        .filter(|(call, _)| call.starts_with("secretsmanager."))
        .map(|(call, c)| {
            format!(
                "{call}: {} calls, {} 500, {} throttled, {} delayed",
                c["calls"], c["errors"], c["throttles"], c["delayed"]
            )
        })
        .collect();
    if lines.is_empty() {
        "no calls counted".into()
    } else {
        lines.join("; ")
    }
}

fn decision_api_line(concurrency: &Value) -> String {
    let d = &concurrency["DecisionApiFunction"];
    if d.is_null() {
        return "-".into();
    }
    let stats = if d["stats"].is_null() { d } else { &d["stats"] };
    format!(
        "{} invocations, {} cold starts, peak {} at once, {} throttled, {} crashes, {} timeouts",
        stats["invocations"],
        stats["coldStarts"],
        stats["peakConcurrency"],
        stats["throttled"],
        stats["crashes"],
        stats["timeouts"]
    )
}
