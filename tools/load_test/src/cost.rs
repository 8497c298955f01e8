//! `hitl-load --scenario cost`: what the product costs, from the calls the local stack counts.
//!
//! Turns the stack's meter on (`edge::meter`), then runs N email, N Slack and N Teams approvals
//! in three phases, each execution decided once as a person would, and takes the meter's
//! counters before and after each phase, leaving out the load tool's own calls and the
//! schedules' runs; each execution's history gives its state transitions. Then fires each
//! scheduled function a few times to measure one run. With the us-east-1 list prices
//! ([`prices`]) and what `template.yaml` creates ([`idle`]), [`report`] prints the cost a month
//! when idle and per 1,000 approvals per channel, and writes it as Markdown (`docs/COST.md`).

pub mod channels;
pub mod idle;
mod phase;
pub mod prices;
pub mod report;
pub mod usage;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use local_stack::edge::meter::LOAD_TOOL_APP;
use serde_json::{json, Value};

use super::{LoadConfig, Target};
use channels::Channel;
use usage::{Snapshot, Usage};

#[derive(Debug, Clone)]
pub struct CostConfig {
    /// Approvals per channel.
    pub approvals: usize,
    /// Runs of each scheduled function measured.
    pub schedule_runs: usize,
    /// Where to write the Markdown report (`--write docs/COST.md`).
    pub write: Option<PathBuf>,
    /// The command line, for the report.
    pub command: String,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            approvals: 50,
            schedule_runs: 5,
            write: None,
            command: String::new(),
        }
    }
}

/// One channel's phase.
pub struct Phase {
    pub channel: Channel,
    pub approvals: usize,
    pub usage: Usage,
    pub failures: Vec<String>,
    pub took: Duration,
    /// Calls the meter could tie to no process (left out; 0 when attribution held).
    pub unattributed: u64,
}

/// Everything the report is made of.
pub struct Measured {
    pub phases: Vec<Phase>,
    /// Per schedule (`Function.Event`): what its runs used, and how many runs.
    pub schedules: BTreeMap<String, (Usage, usize)>,
    pub memory_mb: BTreeMap<String, u64>,
    pub arm: bool,
    /// Months a record is stored (its expiry, then the retention).
    pub storage_months: f64,
    /// Custom metrics seen: all, and those of the scheduled functions.
    pub metrics: (usize, usize),
    pub fixed: Vec<(&'static str, idle::Fixed)>,
}

/// What the report needs of `template.yaml`, read before the stack starts.
struct FromTemplate {
    memory_mb: BTreeMap<String, u64>,
    fixed: Vec<(&'static str, idle::Fixed)>,
    /// Functions a schedule invokes.
    scheduled: Vec<String>,
    arm: bool,
    storage_months: f64,
}

impl FromTemplate {
    fn read(template: &Path) -> anyhow::Result<Self> {
        let defaults =
            local_stack::template::load(template, "http://127.0.0.1:1", &BTreeMap::new(), |_| {
                "x".into()
            })?;
        let fixed = idle::SETUPS
            .iter()
            .map(|s| idle::fixed(template, s).map(|f| (s.name, f)))
            .collect::<Result<_, _>>()?;
        let scheduled = defaults
            .schedules()
            .iter()
            .filter_map(|s| match &s.target {
                local_stack::template::ScheduleTarget::Function(f) => Some(f.clone()),
                _ => None,
            })
            .collect();
        let parameter = |name: &str| parameter_default(template, name);
        // A record lives until its request expires, then the retention.
        let days =
            parameter("ApprovalTimeoutSeconds")? / 86400.0 + parameter("RecordRetentionDays")?;
        Ok(FromTemplate {
            memory_mb: defaults
                .functions
                .iter()
                .map(|f| (f.logical_id.clone(), f.memory_mb))
                .collect(),
            fixed,
            scheduled,
            arm: parameter_text(template, "Architecture")? == "arm64",
            storage_months: days * 24.0 / idle::MONTH_HOURS,
        })
    }
}

/// Runs the phases and the schedules on a stack (started here unless `config.endpoints`).
pub async fn run(config: &LoadConfig, cost: &CostConfig) -> anyhow::Result<Measured> {
    let t = FromTemplate::read(&config.workspace.join("template.yaml"))?;
    let (_stack, endpoints) = match &config.endpoints {
        Some(endpoints) => (None, endpoints.clone()),
        None => {
            let stack = super::start_stack(config).await?;
            let endpoints = stack.endpoints.clone();
            (Some(stack), endpoints)
        }
    };
    let target = Arc::new(Target::new(endpoints).await);
    // The stack's first process of each function may still be starting: not a phase's start.
    wait_until_quiet(&target).await;
    post_json(&target, "/_local/api/meter", &json!({"on": true})).await?;
    let mut left_out = vec![LOAD_TOOL_APP.to_string(), "other".to_string()];
    left_out.extend(t.scheduled.iter().cloned());
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let teams_flow = channels::create_teams_flow(&target, &run_id).await?;
    let mut phases = Vec::new();
    for channel in Channel::ALL {
        eprintln!(
            "hitl-load cost: {} approvals by {}",
            cost.approvals,
            channel.name()
        );
        let flows = (run_id.as_str(), teams_flow.as_str());
        phases.push(phase::run(&target, channel, cost.approvals, flows, &left_out).await?);
    }
    let schedules = measure_schedules(&target, &t, cost.schedule_runs).await?;
    let metrics = custom_metrics(&snapshot(&target).await?, &t.scheduled);
    Ok(Measured {
        phases,
        schedules,
        memory_mb: t.memory_mb,
        arm: t.arm,
        storage_months: t.storage_months,
        metrics,
        fixed: t.fixed,
    })
}

/// Each schedule of the template, run `runs` times on its own: what one run uses.
async fn measure_schedules(
    target: &Target,
    t: &FromTemplate,
    runs: usize,
) -> anyhow::Result<BTreeMap<String, (Usage, usize)>> {
    let names: BTreeSet<String> = t
        .fixed
        .iter()
        .flat_map(|(_, f)| f.schedules.iter().map(|s| s.schedule.clone()))
        .collect();
    let mut schedules = BTreeMap::new();
    for name in names {
        eprintln!("hitl-load cost: {runs} runs of {name}");
        let measured = schedule_runs(target, &name, runs).await?;
        schedules.insert(name, measured);
    }
    Ok(schedules)
}

/// The distinct custom metrics the meter saw: all of them, and those of the scheduled
/// functions (which publish them even when idle).
fn custom_metrics(last: &Snapshot, scheduled: &[String]) -> (usize, usize) {
    let all = last
        .metrics
        .values()
        .flatten()
        .collect::<BTreeSet<_>>()
        .len();
    let of_schedules = scheduled
        .iter()
        .filter_map(|f| last.metrics.get(f))
        .flatten()
        .collect::<BTreeSet<_>>()
        .len();
    (all, of_schedules)
}

fn parameter_text(template: &Path, name: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(template)?;
    let doc: sam_template::yaml::Value = sam_template::yaml::from_str(&text)?;
    let value = &doc["Parameters"][name]["Default"];
    value
        .as_str()
        .map(str::to_string)
        .or_else(|| value.as_f64().map(|n| n.to_string()))
        .ok_or_else(|| anyhow!("template: no default for {name}"))
}

fn parameter_default(template: &Path, name: &str) -> anyhow::Result<f64> {
    let text = parameter_text(template, name)?;
    text.parse()
        .map_err(|_| anyhow!("template: {name}'s default {text} is not a number"))
}

async fn post_json(target: &Target, path: &str, body: &Value) -> anyhow::Result<Value> {
    let url = format!("{}{path}", target.endpoints.api);
    let response = target.http.post(url).json(body).send().await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        return Err(anyhow!("POST {path}: {status} {answer}"));
    }
    Ok(answer)
}

async fn snapshot(target: &Target) -> anyhow::Result<Snapshot> {
    target.get_json("/_local/api/meter").await
}

/// Waits until no function has an invocation running or waiting, nor a process starting (a
/// phase's cold starts are its own), twice in a row.
async fn wait_until_quiet(target: &Target) {
    let mut quiet_polls = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while quiet_polls < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let Ok(pools) = target.get_json::<Value>("/_local/api/concurrency").await else {
            continue;
        };
        let busy: u64 = pools
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, p)| {
                ["busy", "waiting", "starting"]
                    .iter()
                    .map(|k| p[*k].as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .sum();
        quiet_polls = if busy == 0 { quiet_polls + 1 } else { 0 };
    }
}

/// Fires the schedule `name` (`Function.Event`) `runs` times, one after the other; what its
/// function's runs used (the schedule's own ticks in the meantime included), and how many.
async fn schedule_runs(target: &Target, name: &str, runs: usize) -> anyhow::Result<(Usage, usize)> {
    let function = name.split('.').next().unwrap_or(name).to_string();
    wait_until_quiet(target).await;
    let before = snapshot(target).await?;
    for _ in 0..runs {
        post_json(
            target,
            &format!("/_local/api/schedules/{name}/fire"),
            &json!({}),
        )
        .await?;
    }
    wait_until_quiet(target).await;
    let after = snapshot(target).await?;
    let everyone = after
        .calls
        .keys()
        .chain(after.lambda.keys())
        .chain(after.log_bytes.keys());
    let left_out: Vec<String> = everyone.filter(|c| **c != function).cloned().collect();
    let used = usage::usage(&before, &after, &left_out);
    let ran = used.lambda.get(&function).map_or(0, |l| l.invocations) as usize;
    Ok((used, ran.max(1)))
}
