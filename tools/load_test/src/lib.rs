//! `hitl-load`: the promise "a decision is never lost or doubled" under load and faults.
//!
//! Starts a local stack with faults, starts E email and S Slack executions in a burst, clicks
//! each request three times at once (approve, reject, approve: different links or users),
//! waits until nothing runs, then checks every execution against the record in DynamoDB:
//! 0 double decisions, 0 lost decisions, 0 executions left running; and measures the time to
//! drain and the re-delivery latency of decisions the click itself did not deliver.

pub mod burst;
pub mod cost;
pub mod email;
mod progress;
pub mod quorum;
pub mod slack;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, Context};
use aws_sdk_sfn::config::retry::RetryConfig;
use local_stack::launch::{Endpoints, LaunchOptions, LocalStack};

pub use progress::Progress;
pub use verify::Report;

/// ≥ 5 % of `SendTaskSuccess` failing (half 5xx, half throttling) and 2 % of the Decision
/// API's decision writes followed by the death of the process that made them.
pub const DEFAULT_FAULTS: &str = r#"{"rules":[{"service":"sfn","operation":"SendTaskSuccess","errorRate":0.03,"throttleRate":0.03}],"kill":[{"function":"DecisionApiFunction","afterCall":"dynamodb.UpdateItem","bodyContains":"decidedAt","rate":0.02}]}"#;

pub const EMAIL_FLOW: &str = "EmailApprovalStateMachine";
pub const SLACK_FLOW: &str = "SlackApprovalStateMachine";

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub email: usize,
    pub slack: usize,
    /// Fault-injection JSON (`None`: no faults).
    pub faults: Option<String>,
    pub fault_seed: Option<u64>,
    /// `--concurrency` of the stack (processes per function).
    pub concurrency: Option<usize>,
    /// How long executions may take to end after the last click.
    pub drain_timeout: Duration,
    /// How long the burst may take to reach the waiting state.
    pub ready_timeout: Duration,
    /// Requests clicked at once (three clicks each): below the Decision API's concurrency.
    pub click_parallelism: usize,
    /// `StartExecution` calls in flight at once.
    pub start_parallelism: usize,
    pub bin_dir: PathBuf,
    pub workspace: PathBuf,
    /// Drive an already running stack instead of starting one (its faults are its own).
    pub endpoints: Option<Endpoints>,
    pub scenario: Scenario,
}

/// What `hitl-load` runs.
#[derive(Debug, Clone)]
pub enum Scenario {
    /// E email and S Slack executions clicked three times each under faults (the default).
    Mixed,
    /// Many people clicking at once onto cold processes, forged requests pouring in or not.
    Burst(burst::BurstConfig),
    /// N approvals per channel, every billable call counted: the cost report.
    Cost(cost::CostConfig),
    /// Requests with a quorum of three approvers, their votes concurrent, under faults.
    Quorum(quorum::QuorumConfig),
}

impl LoadConfig {
    /// `make load`'s run: 1,000 email and 200 Slack executions with [`DEFAULT_FAULTS`].
    pub fn new(bin_dir: PathBuf, workspace: PathBuf) -> Self {
        LoadConfig {
            email: 1000,
            slack: 200,
            faults: Some(DEFAULT_FAULTS.to_string()),
            fault_seed: Some(1),
            concurrency: None,
            drain_timeout: Duration::from_secs(180),
            ready_timeout: Duration::from_secs(600),
            click_parallelism: 5,
            start_parallelism: 64,
            bin_dir,
            workspace,
            endpoints: None,
            scenario: Scenario::Mixed,
        }
    }
}

/// The stack under load and its clients.
pub struct Target {
    pub endpoints: Endpoints,
    pub sfn: aws_sdk_sfn::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub http: reqwest::Client,
    pub progress: Arc<Progress>,
}

impl Target {
    pub async fn new(endpoints: Endpoints) -> Self {
        let config = local_stack::provision::sdk_config(&endpoints.edge)
            .await
            .into_builder()
            .retry_config(RetryConfig::standard().with_max_attempts(10))
            // The edge's meter leaves the load tool's own calls out of the cost.
            .app_name(
                aws_config::AppName::new(local_stack::edge::meter::LOAD_TOOL_APP)
                    .expect("app name"),
            )
            .build();
        Target {
            endpoints,
            sfn: aws_sdk_sfn::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("hitl-load")
                .pool_max_idle_per_host(256)
                .build()
                .expect("HTTP client"),
            progress: Arc::new(Progress::default()),
        }
    }

    pub fn state_machine_arn(name: &str) -> String {
        local_stack::template::state_machine_arn(name)
    }

    /// Starts an execution of `machine` (an ARN) on `input`, unnamed (the stack names it, as
    /// AWS would); the execution's ARN.
    pub async fn start_execution(
        &self,
        machine: &str,
        input: &serde_json::Value,
    ) -> anyhow::Result<String> {
        self.sfn
            .start_execution()
            .state_machine_arn(machine)
            .input(input.to_string())
            .send()
            .await
            .map(|out| out.execution_arn().to_string())
            .map_err(|e| {
                anyhow!(
                    "StartExecution: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(e)
                )
            })
    }

    /// A local stack API path (`/_local/api/...`), read as JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.endpoints.api);
        let response = self.http.get(url).send().await?;
        response.json().await.with_context(|| path.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Email,
    Slack,
}

/// What a click was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Email: "your decision is recorded"; `delivered`: "the workflow has been told".
    Recorded { delivered: bool },
    /// Email: 409 "already decided".
    AlreadyDecided,
    /// Slack: 200 (Slack's answer says nothing more; the ephemeral notes do).
    Answered,
    /// Anything else (a 5xx, e.g. when the process was killed).
    Failed,
}

#[derive(Debug, Clone)]
pub struct Click {
    pub who: String,
    pub choice: String,
    pub status: u16,
    pub verdict: Verdict,
    pub answered_at: SystemTime,
}

/// One execution and what the load tool did to it.
#[derive(Debug, Clone)]
pub struct Request {
    pub flow: Flow,
    pub arn: String,
    /// Unique text in its title (email) or message (Slack).
    pub tag: String,
    pub approval_id: Option<String>,
    /// Email: `(approver, approve URL, reject URL)` per personal email.
    pub links: Vec<(String, String, String)>,
    /// Email: how many personal emails it sends (every approver but a requester).
    pub emailed: usize,
    /// Slack: `(channel, ts)` of its message.
    pub message: Option<(String, String)>,
    pub clicks: Vec<Click>,
}

impl Request {
    fn new(flow: Flow, arn: String, tag: String) -> Self {
        Request {
            flow,
            arn,
            tag,
            approval_id: None,
            links: Vec::new(),
            emailed: email::APPROVERS.len(),
            message: None,
            clicks: Vec::new(),
        }
    }
}

/// Runs the whole load test; the report says what failed.
pub async fn run(config: &LoadConfig) -> anyhow::Result<Report> {
    let (_stack, endpoints) = match &config.endpoints {
        Some(endpoints) => (None, endpoints.clone()),
        None => {
            let stack = start_stack(config).await?;
            let endpoints = stack.endpoints.clone();
            (Some(stack), endpoints)
        }
    };
    let target = Arc::new(Target::new(endpoints).await);
    let reporter = progress::report_every(target.progress.clone(), Duration::from_secs(5));
    let burst = Instant::now();
    let mut requests = start_all(&target, config).await?;
    let started_in = burst.elapsed();
    target.progress.phase("waiting for every request to wait");
    let waiting = verify::wait_until_waiting(&target, &mut requests, config.ready_timeout).await;
    let all_waiting = burst.elapsed();
    target.progress.phase("clicking");
    let requests = click_all(&target, requests, config.click_parallelism).await;
    let last_click = requests
        .iter()
        .flat_map(|r| r.clicks.iter().map(|c| c.answered_at))
        .max()
        .unwrap_or_else(SystemTime::now);
    target.progress.phase("draining");
    let left_running = verify::drain(&target, config.drain_timeout).await;
    target.progress.phase("checking");
    let mut report = verify::check(&target, &requests, last_click).await?;
    report.started_in = started_in;
    report.all_waiting_after = all_waiting;
    report.not_waiting = waiting;
    report.left_running = left_running;
    report.faults = fetch_json(&target, "/_local/api/faults").await;
    report.concurrency = fetch_json(&target, "/_local/api/concurrency").await;
    reporter.abort();
    Ok(report)
}

async fn start_stack(config: &LoadConfig) -> anyhow::Result<LocalStack> {
    launch_stack(config, config.faults.clone(), Vec::new()).await
}

/// A fresh local stack for a scenario: `faults` from the start (or none, added later), the
/// run's seed and concurrency, and `extra_args` (`--echo` for the reference route).
pub(crate) async fn launch_stack(
    config: &LoadConfig,
    faults: Option<String>,
    extra_args: Vec<String>,
) -> anyhow::Result<LocalStack> {
    let options = LaunchOptions {
        faults,
        fault_seed: config.fault_seed,
        concurrency: config.concurrency,
        extra_args,
    };
    let (bin_dir, workspace) = (config.bin_dir.clone(), config.workspace.clone());
    tokio::task::spawn_blocking(move || LocalStack::start_with(&bin_dir, &workspace, &options))
        .await?
}

/// A report's extra: what the local stack says at `path`, or null when it cannot say.
async fn fetch_json(target: &Target, path: &str) -> serde_json::Value {
    target.get_json(path).await.unwrap_or_default()
}

/// Starts every execution, `start_parallelism` calls in flight at once.
async fn start_all(target: &Arc<Target>, config: &LoadConfig) -> anyhow::Result<Vec<Request>> {
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let limit = Arc::new(tokio::sync::Semaphore::new(config.start_parallelism.max(1)));
    let mut tasks = Vec::new();
    let flows = std::iter::repeat_n(Flow::Email, config.email)
        .chain(std::iter::repeat_n(Flow::Slack, config.slack));
    target.progress.phase("starting executions");
    for (i, flow) in flows.enumerate() {
        let (target, limit) = (target.clone(), limit.clone());
        let tag = format!("load-{run_id}-{i:05}");
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await;
            let started = match flow {
                Flow::Email => email::start(&target, &tag).await,
                Flow::Slack => slack::start(&target, &tag).await,
            };
            target.progress.started();
            started.map(|arn| Request::new(flow, arn, tag))
        }));
    }
    let mut requests = Vec::with_capacity(tasks.len());
    for task in tasks {
        requests.push(task.await??);
    }
    Ok(requests)
}

/// Clicks every request three times at once, `parallelism` requests at a time.
async fn click_all(
    target: &Arc<Target>,
    requests: Vec<Request>,
    parallelism: usize,
) -> Vec<Request> {
    let limit = Arc::new(tokio::sync::Semaphore::new(parallelism.max(1)));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|mut request| {
            let (target, limit) = (target.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire().await;
                request.clicks = match request.flow {
                    Flow::Email => email::click_three(&target, &request).await,
                    Flow::Slack => slack::click_three(&target, &request).await,
                };
                target.progress.clicked();
                request
            })
        })
        .collect();
    let mut clicked = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(request) = task.await {
            clicked.push(request);
        }
    }
    clicked
}
