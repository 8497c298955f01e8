//! `hitl-load --scenario quorum` (issue 20, point 5): team decisions under load and faults.
//!
//! On a fresh stack, N email requests with three approvers each wait, each with a quorum
//! ([`PLANS`]: 2 of 3, all 3, a reject quorum of 2, a requester who may not vote), and each
//! approver votes from their personal email like a person: opens their link, and the three of a
//! request press their form's button at the same moment (a barrier), many requests at once onto
//! cold Decision API processes. Faults ([`QUORUM_FAULTS`]) fail vote writes before they land,
//! kill the Decision API right after a vote write landed (its answer lost: the person submits
//! the same form again, as the "not confirmed" page and a browser's resubmit do), and fail or
//! throttle `SendTaskSuccess`. Then every request is checked against what the stack holds
//! ([`check`]): the record's votes (each slot at most once, every vote a person was told
//! "counted" or "recorded" among them, nothing after the vote that settled it, settled exactly
//! when the quorum's arithmetic says), the decision set once by the settling vote's write, the
//! execution's history (exactly one `TaskSucceeded` for the waiting Task) and output (`votes`
//! and `tally` as recorded), and the audit trail (one `Vote Counted` per recorded vote, one
//! `Approval Decided`). Votes' POSTs are timed beside the `lambda_runtime` echo.

mod check;
mod judge;
mod person;
mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use local_stack::launch::LocalStack;
use serde_json::{json, Value};

use crate::burst::clients::{with_clients, Answer};
use crate::{email, verify, Flow, LoadConfig, Request, Target, EMAIL_FLOW};
pub use person::{Person, Told};
pub use report::QuorumReport;

/// Vote writes (the only `UpdateItem`s naming `voteCount` while nobody is reminded) fail 5 %
/// and are throttled 5 % before they reach the table; 5 % of the Decision API processes whose
/// vote write landed die before answering (a lost answer); `SendTaskSuccess` fails 3 % and is
/// throttled 3 %.
pub const QUORUM_FAULTS: &str = r#"{"rules":[{"service":"dynamodb","operation":"UpdateItem","bodyContains":"voteCount","errorRate":0.05,"throttleRate":0.05},{"service":"sfn","operation":"SendTaskSuccess","errorRate":0.03,"throttleRate":0.03}],"kill":[{"function":"DecisionApiFunction","afterCall":"dynamodb.UpdateItem","bodyContains":"voteCount","rate":0.05}]}"#;

/// One kind of request: its quorum input, who asked, and what a, b and c vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub name: &'static str,
    /// Approvals required (already resolved: "all" of 3 is 3, of 2 slots 2).
    pub approvals: u32,
    pub rejections: u32,
    /// The `quorum` input as sent.
    pub input: &'static str,
    /// Index of the requester among the approvers (no slot: their link must say so).
    pub requester: Option<usize>,
    /// a, b, c: approve (`true`) or reject.
    pub votes: [bool; 3],
}

/// The requests cycle through these: the outcome of the mixed ones depends on which vote lands
/// first, which the check replays from the record.
pub const PLANS: [Plan; 6] = [
    plan(
        "2 of 3, all approve",
        2,
        1,
        r#"{"approvals":2}"#,
        None,
        [true; 3],
    ),
    plan(
        "all 3, all approve",
        3,
        1,
        r#"{"approvals":"all"}"#,
        None,
        [true; 3],
    ),
    plan(
        "2 of 3, b rejects",
        2,
        1,
        r#"{"approvals":2}"#,
        None,
        [true, false, true],
    ),
    plan(
        "all 3, c rejects",
        3,
        1,
        r#"{"approvals":"all"}"#,
        None,
        [true, true, false],
    ),
    plan(
        "2 of 3, 2 rejects reject, a rejects",
        2,
        2,
        r#"{"approvals":2,"rejections":2}"#,
        None,
        [false, true, true],
    ),
    plan(
        "all, c asked (no vote)",
        2,
        1,
        r#"{"approvals":"all"}"#,
        Some(2),
        [true; 3],
    ),
];

const fn plan(
    name: &'static str,
    approvals: u32,
    rejections: u32,
    input: &'static str,
    requester: Option<usize>,
    votes: [bool; 3],
) -> Plan {
    Plan {
        name,
        approvals,
        rejections,
        input,
        requester,
        votes,
    }
}

impl Plan {
    /// The execution input of a request titled `tag`.
    pub fn input(&self, tag: &str) -> Value {
        let quorum: Value = serde_json::from_str(self.input).expect("a plan's quorum is JSON");
        // No `to`: each approver but the requester gets their own links.
        let mut input = json!({"title": tag, "approvers": email::APPROVERS, "quorum": quorum});
        if let Some(i) = self.requester {
            input["requestedBy"] = json!(email::APPROVERS[i]);
        }
        input
    }

    /// The slots: the approvers but the requester.
    pub fn slots(&self) -> usize {
        3 - usize::from(self.requester.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct QuorumConfig {
    /// Requests (three votes each).
    pub requests: usize,
    /// People voting at once (three per request).
    pub clients: usize,
}

impl Default for QuorumConfig {
    fn default() -> Self {
        QuorumConfig {
            requests: 120,
            clients: 48,
        }
    }
}

/// One request of the scenario and how its three people fared.
#[derive(Debug, Clone)]
pub struct Voted {
    pub request: Request,
    pub plan: Plan,
    pub people: Vec<Person>,
}

/// Runs the scenario; the report says what failed.
pub async fn run(config: &LoadConfig, quorum: &QuorumConfig) -> anyhow::Result<QuorumReport> {
    let (_stack, endpoints) = match &config.endpoints {
        Some(endpoints) => (None, endpoints.clone()),
        None => {
            let stack = start_stack(config).await?;
            let endpoints = stack.endpoints.clone();
            (Some(stack), endpoints)
        }
    };
    let target = Arc::new(Target::new(endpoints).await);
    let reporter = crate::progress::report_every(target.progress.clone(), Duration::from_secs(5));
    let began = Instant::now();
    let (mut requests, plans) = start_requests(&target, config, quorum.requests).await?;
    target.progress.phase("waiting for every request to wait");
    let not_waiting =
        verify::wait_until_waiting(&target, &mut requests, config.ready_timeout).await;
    let mut report = QuorumReport::new(quorum, config.faults.is_some());
    report.not_waiting = not_waiting;
    report.ready_after = began.elapsed();
    target.progress.phase("voting");
    let voting = Instant::now();
    let voted = vote_all(&target, requests, plans, quorum.clients).await;
    report.voting = voting.elapsed();
    target.progress.phase("timing the echo");
    report.echo = crate::burst::echo_phase(&target, voted.len() * 3, quorum.clients).await;
    target.progress.phase("draining");
    report.left_running = verify::drain(&target, config.drain_timeout).await;
    // After the drain: the relay's deliveries of decisions whose click did not deliver them.
    report.faults = crate::fetch_json(&target, "/_local/api/faults").await;
    target.progress.phase("checking");
    check::check_all(&target, &voted, &mut report).await;
    report.concurrency = crate::fetch_json(&target, "/_local/api/concurrency").await;
    reporter.abort();
    Ok(report)
}

/// A fresh stack with the faults on from the start (they touch only votes and their
/// delivery) and the echo route.
async fn start_stack(config: &LoadConfig) -> anyhow::Result<LocalStack> {
    crate::launch_stack(config, config.faults.clone(), vec!["--echo".to_string()]).await
}

/// Starts `n` requests cycling through [`PLANS`], `start_parallelism` at a time.
async fn start_requests(
    target: &Arc<Target>,
    config: &LoadConfig,
    n: usize,
) -> anyhow::Result<(Vec<Request>, Vec<Plan>)> {
    target.progress.phase("starting executions");
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let jobs: Vec<(String, Plan)> = (0..n)
        .map(|i| (format!("load-{run_id}-{i:05}"), PLANS[i % PLANS.len()]))
        .collect();
    let t = target.clone();
    let started = with_clients(
        jobs.clone(),
        config.start_parallelism,
        move |(tag, plan)| {
            let target = t.clone();
            async move {
                let machine = Target::state_machine_arn(EMAIL_FLOW);
                let arn = target.start_execution(&machine, &plan.input(&tag)).await;
                target.progress.started();
                match arn {
                    Ok(arn) => Answer {
                        status: 200,
                        body: arn,
                        millis: 0.0,
                    },
                    Err(e) => Answer {
                        status: 0,
                        body: format!("{e:#}"),
                        millis: 0.0,
                    },
                }
            }
        },
    )
    .await;
    let mut requests = Vec::with_capacity(n);
    for ((tag, plan), answer) in jobs.iter().zip(started) {
        if answer.status != 200 {
            return Err(anyhow!("StartExecution: {}", answer.body));
        }
        let mut request = Request::new(Flow::Email, answer.body, tag.clone());
        // The requester is sent no links.
        request.emailed = plan.slots();
        requests.push(request);
    }
    Ok((requests, jobs.into_iter().map(|(_, plan)| plan).collect()))
}

/// Every request's three people vote at once, `clients / 3` requests at a time.
async fn vote_all(
    target: &Arc<Target>,
    requests: Vec<Request>,
    plans: Vec<Plan>,
    clients: usize,
) -> Vec<Voted> {
    let limit = Arc::new(tokio::sync::Semaphore::new((clients / 3).max(1)));
    let tasks: Vec<_> = requests
        .into_iter()
        .zip(plans)
        .map(|(request, plan)| {
            let (target, limit) = (target.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                let people = person::three_vote(&target.http, &request, &plan).await;
                target.progress.clicked();
                Voted {
                    request,
                    plan,
                    people,
                }
            })
        })
        .collect();
    let mut voted = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(v) = task.await {
            voted.push(v);
        }
    }
    voted
}
