//! `hitl-load`: `make load`. By default starts a local stack with faults, runs E email and S
//! Slack executions in a burst, clicks each three times at once, and asserts that no decision
//! was doubled or lost and nothing is left running. `--scenario burst` / `flood`: issue 16's
//! burst of people clicking onto cold processes (load_test::burst). `--scenario cost`: N
//! approvals per channel with every billable call counted, and the cost report
//! (load_test::cost). `--scenario quorum`: requests with a quorum of three approvers voting at
//! once under faults (load_test::quorum). Exits non-zero if any assertion fails.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};

use load_test::burst::{self, BurstConfig, SecretsFaults};
use load_test::cost::{self, CostConfig};
use load_test::quorum::{self, QuorumConfig, QUORUM_FAULTS};
use load_test::{run, LoadConfig, Scenario, DEFAULT_FAULTS};
use local_stack::launch::Endpoints;

const SCENARIOS: &str = "Scenarios:
  default: --email and --slack executions, each clicked three times at once under --faults;
           asserts 0 double, 0 lost, 0 left running.
  burst:   every approve link GET by --clients at once (48), then every form POSTed, for
           --approvals (300) requests; asserts all shown, all recorded, no 503/429, all approved,
           none double; times them beside the echo.
  flood:   the same (100 approvals, 16 clients) while --forged-rate (200) forged requests a
           second pour in.
  cost:    --approvals (50) email, Slack and Teams approvals (one phase each, no faults), each
           decided once; every billable call counted; prints the cost idle and per 1,000
           approvals per channel.
  quorum:  --approvals (120) email requests with three approvers each and a quorum (2 of 3, all,
           a reject quorum, a requester without a vote), each approver voting from their link,
           the three at once, --clients (48) people at a time, under the quorum faults (vote
           writes failing, answers lost, SendTaskSuccess failing); asserts 0 lost votes, 0 double
           counts, 0 double resumes; times the votes' POSTs beside the echo.";

/// The flags: the help text is generated from these doc comments.
#[derive(Debug, Parser)]
#[command(
    name = "hitl-load",
    about = "The whole approval loop under load and faults, on a local stack (docs/LOAD.md).",
    after_help = format!("{SCENARIOS}\n\nDefault faults: {DEFAULT_FAULTS}")
)]
struct Args {
    /// What to run.
    #[arg(long, value_enum, default_value = "default")]
    scenario: ScenarioName,
    /// Email executions (default scenario).
    #[arg(long, default_value_t = 1000)]
    email: usize,
    /// Slack executions (default scenario).
    #[arg(long, default_value_t = 200)]
    slack: usize,
    /// Fault-injection JSON, @file, or `none` [default: the faults below; none for cost].
    #[arg(long, value_name = "JSON|@FILE|none")]
    faults: Option<String>,
    /// The faults' seed, so a run can be repeated.
    #[arg(long, default_value_t = 1)]
    fault_seed: u64,
    /// Processes per function at most (the stack's `--concurrency`).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Seconds the executions may take to end after the last click.
    #[arg(long, default_value_t = 180)]
    drain_timeout: u64,
    /// Seconds the burst may take to reach the waiting state.
    #[arg(long, default_value_t = 600)]
    ready_timeout: u64,
    /// Requests clicked at once (three clicks each).
    #[arg(long, default_value_t = 5)]
    click_parallelism: usize,
    /// StartExecution calls in flight at once.
    #[arg(long, default_value_t = 64)]
    start_parallelism: usize,
    /// The local stack's build [default: target/debug].
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Drive a running stack at this AWS endpoint instead of starting one (with --api).
    #[arg(long, requires = "api")]
    edge: Option<String>,
    /// The running stack's API (with --edge).
    #[arg(long, requires = "edge")]
    api: Option<String>,
    /// burst, flood, cost, quorum: approvals (requests) [default: 300, 100, 50, 120].
    #[arg(long)]
    approvals: Option<usize>,
    /// burst, flood, quorum: concurrent clients [default: 48, 16, 48].
    #[arg(long)]
    clients: Option<usize>,
    /// burst, flood: Secrets Manager slow or failing while the clicks run.
    #[arg(long, value_enum)]
    secrets_faults: Option<SecretsFaults>,
    /// burst, flood: forged requests a second [default: 0, 200].
    #[arg(long)]
    forged_rate: Option<u32>,
    /// cost: runs of each scheduled function measured [default: 5].
    #[arg(long)]
    schedule_runs: Option<usize>,
    /// cost: where to write the Markdown report (e.g. docs/COST.md).
    #[arg(long)]
    write: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScenarioName {
    #[value(alias = "mixed")]
    Default,
    Burst,
    Flood,
    Cost,
    Quorum,
}

impl Args {
    /// The chosen scenario, its options over its own defaults.
    fn scenario(&self, command: String) -> Scenario {
        let mut burst = match self.scenario {
            ScenarioName::Default => return Scenario::Mixed,
            ScenarioName::Burst => BurstConfig::burst(),
            ScenarioName::Flood => BurstConfig::flood(),
            ScenarioName::Cost => {
                let defaults = CostConfig::default();
                return Scenario::Cost(CostConfig {
                    approvals: self.approvals.unwrap_or(defaults.approvals),
                    schedule_runs: self.schedule_runs.unwrap_or(defaults.schedule_runs),
                    write: self.write.clone(),
                    command,
                });
            }
            ScenarioName::Quorum => {
                let defaults = QuorumConfig::default();
                return Scenario::Quorum(QuorumConfig {
                    requests: self.approvals.unwrap_or(defaults.requests),
                    clients: self.clients.unwrap_or(defaults.clients),
                });
            }
        };
        burst.approvals = self.approvals.unwrap_or(burst.approvals);
        burst.clients = self.clients.unwrap_or(burst.clients);
        burst.secrets_faults = self.secrets_faults.or(burst.secrets_faults);
        burst.forged_rate = self.forged_rate.unwrap_or(burst.forged_rate);
        Scenario::Burst(burst)
    }

    fn into_config(self, command: String) -> anyhow::Result<LoadConfig> {
        let cost = self.scenario == ScenarioName::Cost;
        if self.write.is_some() && !cost {
            bail!("--write goes with --scenario cost");
        }
        let workspace = std::env::current_dir().context("the current directory")?;
        let bin_dir = self
            .bin_dir
            .clone()
            .unwrap_or_else(|| workspace.join("target/debug"));
        let mut config = LoadConfig::new(bin_dir, workspace);
        config.scenario = self.scenario(command);
        config.email = self.email;
        config.slack = self.slack;
        config.faults = match self.faults.as_deref() {
            // The cost of an approval, not of faults: every call once.
            _ if cost => None,
            Some("none") => None,
            Some(faults) => Some(faults.to_string()),
            None if self.scenario == ScenarioName::Quorum => Some(QUORUM_FAULTS.to_string()),
            None => Some(DEFAULT_FAULTS.to_string()),
        };
        config.fault_seed = Some(self.fault_seed);
        config.concurrency = self.concurrency;
        config.drain_timeout = Duration::from_secs(self.drain_timeout);
        config.ready_timeout = Duration::from_secs(self.ready_timeout);
        config.click_parallelism = self.click_parallelism;
        config.start_parallelism = self.start_parallelism;
        if let (Some(edge), Some(api)) = (self.edge, self.api) {
            config.endpoints = Some(Endpoints {
                edge,
                api,
                moto: String::new(),
            });
        }
        Ok(config)
    }
}

/// Prints the report; `true` when every assertion held.
async fn run_scenario(config: &LoadConfig) -> anyhow::Result<bool> {
    match &config.scenario {
        Scenario::Mixed => {
            let report = run(config).await?;
            report.print();
            Ok(report.failures().is_empty())
        }
        Scenario::Burst(scenario) => {
            let report = burst::run(config, scenario).await?;
            report.print();
            Ok(report.failures().is_empty())
        }
        Scenario::Quorum(scenario) => {
            let report = quorum::run(config, scenario).await?;
            report.print();
            Ok(report.failures().is_empty())
        }
        Scenario::Cost(scenario) => {
            let measured = cost::run(config, scenario).await?;
            let date = time::OffsetDateTime::now_utc().date().to_string();
            let markdown = measured.markdown(scenario, &date);
            println!("{markdown}");
            let failures = measured.failures();
            for failure in &failures {
                eprintln!("FAIL {failure}");
            }
            if let (Some(path), true) = (&scenario.write, failures.is_empty()) {
                std::fs::write(path, &markdown)
                    .with_context(|| format!("write {}", path.display()))?;
                eprintln!("written to {}", path.display());
            }
            Ok(failures.is_empty())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // The cost report names the command that made it.
    let command: Vec<String> = std::env::args().skip(1).collect();
    let command = format!("hitl-load {}", command.join(" "));
    let config = match Args::parse().into_config(command) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("hitl-load: {e:#}");
            return ExitCode::from(2);
        }
    };
    match run_scenario(&config).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("hitl-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> anyhow::Result<LoadConfig> {
        let argv = std::iter::once("hitl-load").chain(args.iter().copied());
        Args::try_parse_from(argv)?.into_config("hitl-load".into())
    }

    #[test]
    fn the_defaults_are_make_loads_run() {
        let config = config(&[]).unwrap();
        let workspace = std::env::current_dir().unwrap();
        let made = LoadConfig::new(workspace.join("target/debug"), workspace);
        assert_eq!((config.email, config.slack), (made.email, made.slack));
        assert_eq!(config.faults.as_deref(), Some(DEFAULT_FAULTS));
        assert_eq!(config.fault_seed, made.fault_seed);
        assert_eq!(config.drain_timeout, made.drain_timeout);
        assert_eq!(config.ready_timeout, made.ready_timeout);
        assert_eq!(config.click_parallelism, made.click_parallelism);
        assert_eq!(config.start_parallelism, made.start_parallelism);
        assert_eq!(config.bin_dir, made.bin_dir);
        assert!(config.endpoints.is_none() && config.concurrency.is_none());
        assert!(matches!(config.scenario, Scenario::Mixed));
    }

    #[test]
    fn faults_none_turns_them_off_and_the_cost_scenario_never_has_any() {
        assert_eq!(config(&["--faults", "none"]).unwrap().faults, None);
        let cost = config(&["--scenario", "cost", "--faults", "{}"]).unwrap();
        assert_eq!(cost.faults, None);
        let Scenario::Cost(cost) = cost.scenario else {
            panic!("cost")
        };
        assert_eq!((cost.approvals, cost.schedule_runs), (50, 5));
    }

    #[test]
    fn burst_and_flood_take_their_own_defaults_under_the_flags() {
        let Scenario::Burst(burst) = config(&["--scenario", "burst"]).unwrap().scenario else {
            panic!("burst")
        };
        assert_eq!(
            (burst.approvals, burst.clients, burst.forged_rate),
            (300, 48, 0)
        );
        let args = [
            "--scenario",
            "flood",
            "--clients",
            "4",
            "--secrets-faults",
            "fail20",
        ];
        let Scenario::Burst(flood) = config(&args).unwrap().scenario else {
            panic!("flood")
        };
        assert_eq!(
            (flood.approvals, flood.clients, flood.forged_rate),
            (100, 4, 200)
        );
        assert_eq!(flood.secrets_faults, Some(SecretsFaults::Fail20));
    }

    #[test]
    fn the_quorum_scenario_has_its_own_faults_and_sizes() {
        let made = config(&["--scenario", "quorum", "--approvals", "30"]).unwrap();
        assert_eq!(made.faults.as_deref(), Some(QUORUM_FAULTS));
        let Scenario::Quorum(quorum) = made.scenario else {
            panic!("quorum")
        };
        assert_eq!((quorum.requests, quorum.clients), (30, 48));
        let none = config(&["--scenario", "quorum", "--faults", "none"]).unwrap();
        assert_eq!(none.faults, None);
    }

    #[test]
    fn unknown_flags_and_flags_without_their_partner_are_refused() {
        assert!(config(&["--emial", "3"]).is_err());
        assert!(config(&["--scenario", "storm"]).is_err());
        assert!(config(&["--edge", "http://127.0.0.1:1"]).is_err());
        let refused = config(&["--write", "x.md"]).unwrap_err().to_string();
        assert_eq!(refused, "--write goes with --scenario cost");
        let both = config(&["--edge", "http://e", "--api", "http://a"]).unwrap();
        assert_eq!(both.endpoints.unwrap().api, "http://a");
    }
}
