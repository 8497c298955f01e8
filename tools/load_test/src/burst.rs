//! `hitl-load --scenario burst` (issue 16, "a burst is answered"): on a fresh stack, N email
//! approvals wait (Create Approval Links + Wait For Approval), every approve link is opened by
//! C concurrent clients onto cold Decision API processes, then every confirmation form read
//! from those pages is POSTed the same way. Asserts every GET showed the form, every POST was
//! recorded (no 503, no 429), every execution ended approved and none was decided twice; with
//! `--secrets-faults` Secrets Manager is slow or failing while the clicks run (so the Decision
//! API's cold starts meet it). Times the clicks beside the `lambda_runtime` echo served through
//! the same local HttpApi and Runtime API path (`hitl-local up --echo`).
//!
//! `--scenario flood` is the same with forged requests poured in meanwhile ([`flood`]).

pub mod clients;
pub mod flood;
pub mod form;
mod report;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::anyhow;
use local_stack::launch::LocalStack;
use serde_json::{json, Value};

use super::{email, verify, Click, Flow, LoadConfig, Request, Target, EMAIL_FLOW};
use clients::{timed, with_clients, Answer, Phase};
pub use report::BurstReport;

/// The one approver of every burst request: one personal link each, so every POST decides.
pub const APPROVER: &str = "burst@example.com";

/// Secrets Manager while the clicks run (`--secrets-faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretsFaults {
    /// Every call 1.5 s late.
    Slow,
    /// 20 % of calls fail: half 500 InternalServiceError, half ThrottlingException.
    Fail20,
}

impl SecretsFaults {
    /// The fault-injection rule (edge::faults).
    pub fn rule(self) -> Value {
        match self {
            SecretsFaults::Slow => json!({"service": "secretsmanager", "latencyMs": 1500}),
            SecretsFaults::Fail20 => {
                json!({"service": "secretsmanager", "errorRate": 0.1, "throttleRate": 0.1})
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct BurstConfig {
    pub approvals: usize,
    pub clients: usize,
    pub secrets_faults: Option<SecretsFaults>,
    /// Forged requests a second during the clicks (0: none).
    pub forged_rate: u32,
}

impl BurstConfig {
    /// Issue 16's burst: 300 approvals, 48 clients.
    pub fn burst() -> Self {
        BurstConfig {
            approvals: 300,
            clients: 48,
            secrets_faults: None,
            forged_rate: 0,
        }
    }

    /// The flood: fewer people clicking while 200 forged requests a second pour in.
    pub fn flood() -> Self {
        BurstConfig {
            approvals: 100,
            clients: 16,
            secrets_faults: None,
            forged_rate: 200,
        }
    }
}

/// Runs the scenario; the report says what failed.
pub async fn run(config: &LoadConfig, burst: &BurstConfig) -> anyhow::Result<BurstReport> {
    let (_stack, endpoints) = match &config.endpoints {
        Some(endpoints) => (None, endpoints.clone()),
        None => {
            let stack = start_stack(config).await?;
            let endpoints = stack.endpoints.clone();
            (Some(stack), endpoints)
        }
    };
    let target = Arc::new(Target::new(endpoints).await);
    let reporter = super::progress::report_every(target.progress.clone(), Duration::from_secs(5));
    let mut requests = start_approvals(&target, config, burst.approvals).await?;
    target.progress.phase("waiting for every request to wait");
    let not_waiting =
        verify::wait_until_waiting(&target, &mut requests, config.ready_timeout).await;
    if let Some(faults) = burst.secrets_faults {
        set_faults(&target, faults, config.fault_seed).await?;
    }
    let mut report = BurstReport::new(burst);
    report.not_waiting = not_waiting;
    click(&target, burst, &mut requests, &mut report).await;
    report.faults = super::fetch_json(&target, "/_local/api/faults").await;
    target.progress.phase("timing the echo");
    report.echo = echo_phase(&target, burst.approvals, burst.clients).await;
    target.progress.phase("draining");
    report.left_running = verify::drain(&target, config.drain_timeout).await;
    target.progress.phase("checking");
    let last_click = SystemTime::now();
    report.outcome = Some(verify::check(&target, &requests, last_click).await?);
    report.told_failed_but_recorded = told_failed_but_recorded(&target, &requests).await;
    report.concurrency = super::fetch_json(&target, "/_local/api/concurrency").await;
    reporter.abort();
    Ok(report)
}

/// A fresh stack without faults (they start with the clicks), with the echo route.
async fn start_stack(config: &LoadConfig) -> anyhow::Result<LocalStack> {
    crate::launch_stack(config, None, vec!["--echo".to_string()]).await
}

/// Starts `n` email approvals for [`APPROVER`], `start_parallelism` at a time.
async fn start_approvals(
    target: &Arc<Target>,
    config: &LoadConfig,
    n: usize,
) -> anyhow::Result<Vec<Request>> {
    target.progress.phase("starting executions");
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let tags: Vec<String> = (0..n).map(|i| format!("load-{run_id}-{i:05}")).collect();
    let t = target.clone();
    let started = with_clients(
        tags.clone(),
        config.start_parallelism,
        move |tag: String| {
            let target = t.clone();
            async move {
                let input = json!({"title": tag, "to": [APPROVER], "approvers": [APPROVER]});
                let arn = target
                    .sfn
                    .start_execution()
                    .state_machine_arn(Target::state_machine_arn(EMAIL_FLOW))
                    .input(input.to_string())
                    .send()
                    .await;
                target.progress.started();
                match arn {
                    Ok(out) => Answer {
                        status: 200,
                        body: out.execution_arn().to_string(),
                        millis: 0.0,
                    },
                    Err(e) => Answer {
                        status: 0,
                        body: aws_sdk_sfn::error::DisplayErrorContext(e).to_string(),
                        millis: 0.0,
                    },
                }
            }
        },
    )
    .await;
    tags.into_iter()
        .zip(started)
        .map(|(tag, a)| match a.status {
            200 => Ok(Request::new(Flow::Email, a.body, tag)),
            _ => Err(anyhow!("StartExecution: {}", a.body)),
        })
        .collect()
}

/// Turns Secrets Manager's faults on (the setup ran without them).
async fn set_faults(
    target: &Target,
    faults: SecretsFaults,
    seed: Option<u64>,
) -> anyhow::Result<()> {
    let mut config = json!({"rules": [faults.rule()]});
    if let Some(seed) = seed {
        config["seed"] = json!(seed);
    }
    let url = format!("{}/_local/api/faults", target.endpoints.api);
    let response = target.http.post(url).body(config.to_string()).send().await;
    match response {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(anyhow!("faults: {}", r.text().await.unwrap_or_default())),
        Err(e) => Err(anyhow!("faults: {e}")),
    }
}

/// Every approve link GET, then every form POSTed, by `clients` at once; forged requests
/// meanwhile when the flood is on.
async fn click(
    target: &Arc<Target>,
    burst: &BurstConfig,
    requests: &mut [Request],
    report: &mut BurstReport,
) {
    let links: Vec<String> = requests
        .iter()
        .map(|r| r.links.first().map(|l| l.1.clone()).unwrap_or_default())
        .collect();
    let flood_started = Instant::now();
    let flood = (burst.forged_rate > 0)
        .then(|| flood::start(target.http.clone(), links.clone(), burst.forged_rate));
    target.progress.phase("opening every link");
    let http = target.http.clone();
    let pages = with_clients(links.clone(), burst.clients, move |link: String| {
        let http = http.clone();
        async move { timed(http.get(link)).await }
    })
    .await;
    report.get = Phase::of(&pages, |a| {
        a.status == 200 && a.body.contains("id=\"confirm\"")
    });
    let forms: Vec<Option<form::Form>> = links
        .iter()
        .zip(&pages)
        .map(|(link, page)| form::parse(link, &page.body).filter(|_| page.status == 200))
        .collect();
    let has_form: Vec<bool> = forms.iter().map(Option::is_some).collect();
    report.no_form = has_form.iter().filter(|f| !**f).count();
    target.progress.phase("confirming every form");
    let http = target.http.clone();
    let posts = with_clients(
        forms.into_iter().flatten().collect(),
        burst.clients,
        move |form: form::Form| {
            let http = http.clone();
            async move {
                let request = http
                    .post(&form.action)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.body());
                timed(request).await
            }
        },
    )
    .await;
    report.post = Phase::of(&posts, |a| {
        a.status == 200 && a.body.contains("decision is recorded")
    });
    if let Some(flood) = flood {
        let seconds = flood_started.elapsed().as_secs_f64();
        report.flood = Some(flood.finish(burst.forged_rate, seconds).await);
    }
    attach_clicks(requests, &has_form, posts);
}

/// Each request's POST as its one click (those whose GET showed no form have none).
fn attach_clicks(requests: &mut [Request], has_form: &[bool], posts: Vec<Answer>) {
    let mut posts = posts.into_iter();
    for (request, has_form) in requests.iter_mut().zip(has_form) {
        let Some(post) = has_form.then(|| posts.next()).flatten() else {
            continue;
        };
        request.clicks = vec![Click {
            who: APPROVER.to_string(),
            choice: "approve".to_string(),
            status: post.status,
            verdict: email::verdict(post.status, &post.body),
            answered_at: SystemTime::now(),
        }];
    }
}

/// The echo through the same path, `n` GETs by `clients` at once (`None`: no echo route).
pub(crate) async fn echo_phase(target: &Arc<Target>, n: usize, clients: usize) -> Option<Phase> {
    let url = format!("{}/_echo", target.endpoints.api);
    let probe = target.http.get(&url).send().await.ok()?;
    if probe.status().as_u16() == 404 {
        return None;
    }
    let http = target.http.clone();
    let answers = with_clients((0..n).collect(), clients, move |i: usize| {
        let (http, url) = (http.clone(), url.clone());
        async move { timed(http.get(format!("{url}?i={i}"))).await }
    })
    .await;
    Some(Phase::of(&answers, |a| a.status == 200))
}

/// POSTs whose page did not say "recorded" although the record holds the decision: a person
/// told to try again, or not told, about a click that was taken.
async fn told_failed_but_recorded(target: &Target, requests: &[Request]) -> usize {
    let table = verify::table_name(target).await;
    let mut n = 0;
    for request in requests {
        let failed = request
            .clicks
            .iter()
            .any(|c| !matches!(c.verdict, super::Verdict::Recorded { .. }));
        let Some(id) = request.approval_id.as_deref().filter(|_| failed) else {
            continue;
        };
        n += usize::from(verify::decision_of(target, &table, id).await.is_some());
    }
    n
}
