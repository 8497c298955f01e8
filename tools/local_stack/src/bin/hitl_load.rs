//! `hitl-load`: `make load`. By default starts a local stack with faults, runs E email and S
//! Slack executions in a burst, clicks each three times at once, and asserts that no decision
//! was doubled or lost and nothing is left running. `--scenario burst` / `flood`: issue 16's
//! burst of people clicking onto cold processes (launch::load::burst). `--scenario cost`: N
//! approvals per channel with every billable call counted, and the cost report
//! (launch::load::cost). Exits non-zero if any assertion fails.

use std::path::PathBuf;
use std::time::Duration;

use local_stack::launch::load::burst::{self, BurstConfig, SecretsFaults};
use local_stack::launch::load::cost::{self, CostConfig};
use local_stack::launch::load::{run, LoadConfig, Scenario, DEFAULT_FAULTS};
use local_stack::launch::Endpoints;

const USAGE: &str = "usage: hitl-load [--email 1000] [--slack 200] [--faults <json> | @file | none]
                 [--fault-seed 1] [--concurrency N] [--drain-timeout 180] [--ready-timeout 600]
                 [--click-parallelism 5] [--start-parallelism 64] [--bin-dir target/debug]
                 [--edge URL --api URL]   (drive a running stack instead of starting one)
       hitl-load --scenario burst|flood [--approvals 300|100] [--clients 48|16]
                 [--secrets-faults slow|fail20] [--forged-rate 0|200] (and the options above
                 that apply: --fault-seed, --concurrency, timeouts, --bin-dir, --edge/--api)
  burst: every approve link GET by --clients at once, then every form POSTed; asserts all
  shown, all recorded, no 503/429, all approved, none double; times them beside the echo.
  flood: the same while --forged-rate forged requests a second pour in.
       hitl-load --scenario cost [--approvals 50] [--schedule-runs 5] [--write docs/COST.md]
  cost: --approvals email, Slack and Teams approvals (one phase each, no faults), each decided
  once; every billable call counted; prints the cost idle and per 1,000 approvals per channel.
  Default faults: ";

/// The burst options, applied to the chosen scenario's defaults once all are read.
#[derive(Default)]
struct BurstArgs {
    scenario: Option<String>,
    approvals: Option<usize>,
    clients: Option<usize>,
    secrets_faults: Option<SecretsFaults>,
    forged_rate: Option<u32>,
    schedule_runs: Option<usize>,
    write: Option<PathBuf>,
    command: String,
}

impl BurstArgs {
    fn scenario(self) -> Result<Scenario, String> {
        let mut burst = match self.scenario.as_deref() {
            None | Some("default") | Some("mixed") => return Ok(Scenario::Mixed),
            Some("burst") => BurstConfig::burst(),
            Some("flood") => BurstConfig::flood(),
            Some("cost") => {
                let defaults = CostConfig::default();
                return Ok(Scenario::Cost(CostConfig {
                    approvals: self.approvals.unwrap_or(defaults.approvals),
                    schedule_runs: self.schedule_runs.unwrap_or(defaults.schedule_runs),
                    write: self.write,
                    command: self.command,
                }));
            }
            Some(other) => {
                return Err(format!("--scenario {other}: burst, flood, cost or default"))
            }
        };
        burst.approvals = self.approvals.unwrap_or(burst.approvals);
        burst.clients = self.clients.unwrap_or(burst.clients);
        burst.secrets_faults = self.secrets_faults.or(burst.secrets_faults);
        burst.forged_rate = self.forged_rate.unwrap_or(burst.forged_rate);
        Ok(Scenario::Burst(burst))
    }
}

fn parse(args: &[String]) -> Result<LoadConfig, String> {
    let workspace = std::env::current_dir().map_err(|e| e.to_string())?;
    let mut config = LoadConfig::new(workspace.join("target/debug"), workspace);
    let (mut edge, mut api) = (None, None);
    let mut burst = BurstArgs {
        command: format!("hitl-load {}", args.join(" ")),
        ..BurstArgs::default()
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it
            .next()
            .cloned()
            .ok_or_else(|| format!("{arg} needs a value"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg}: {v} is not a number"))
        };
        match arg.as_str() {
            "--email" => config.email = number(&value)? as usize,
            "--slack" => config.slack = number(&value)? as usize,
            "--faults" if value == "none" => config.faults = None,
            "--faults" => config.faults = Some(value),
            "--fault-seed" => config.fault_seed = Some(number(&value)?),
            "--concurrency" => config.concurrency = Some(number(&value)? as usize),
            "--drain-timeout" => config.drain_timeout = Duration::from_secs(number(&value)?),
            "--ready-timeout" => config.ready_timeout = Duration::from_secs(number(&value)?),
            "--click-parallelism" => config.click_parallelism = number(&value)? as usize,
            "--start-parallelism" => config.start_parallelism = number(&value)? as usize,
            "--bin-dir" => config.bin_dir = PathBuf::from(value),
            "--edge" => edge = Some(value),
            "--api" => api = Some(value),
            "--scenario" => burst.scenario = Some(value),
            "--approvals" => burst.approvals = Some(number(&value)? as usize),
            "--clients" => burst.clients = Some(number(&value)? as usize),
            "--secrets-faults" => burst.secrets_faults = Some(SecretsFaults::parse(&value)?),
            "--forged-rate" => burst.forged_rate = Some(number(&value)? as u32),
            "--schedule-runs" => burst.schedule_runs = Some(number(&value)? as usize),
            "--write" => burst.write = Some(PathBuf::from(value)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let cost = burst.scenario.as_deref() == Some("cost");
    if burst.write.is_some() && !cost {
        return Err("--write goes with --scenario cost".into());
    }
    config.scenario = burst.scenario()?;
    if cost {
        // The cost of an approval, not of faults: every call once.
        config.faults = None;
    }
    if let (Some(edge), Some(api)) = (edge, api) {
        config.endpoints = Some(Endpoints {
            edge,
            api,
            moto: String::new(),
        });
    }
    Ok(config)
}

/// Prints the report; `true` when every assertion held.
async fn run_scenario(config: &LoadConfig) -> Result<bool, String> {
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
                std::fs::write(path, &markdown).map_err(|e| format!("{}: {e}", path.display()))?;
                eprintln!("written to {}", path.display());
            }
            Ok(failures.is_empty())
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}{DEFAULT_FAULTS}");
        return;
    }
    let config = match parse(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}\n{USAGE}{DEFAULT_FAULTS}");
            std::process::exit(2);
        }
    };
    match run_scenario(&config).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("hitl-load: {e}");
            std::process::exit(1);
        }
    }
}
