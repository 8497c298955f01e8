//! `hitl-load`: `make load`. Starts a local stack with faults, runs E email and S Slack
//! executions in a burst, clicks each three times at once, and asserts that no decision was
//! doubled or lost and nothing is left running. Exits non-zero if any assertion fails.

use std::path::PathBuf;
use std::time::Duration;

use local_stack::launch::load::{run, LoadConfig, DEFAULT_FAULTS};
use local_stack::launch::Endpoints;

const USAGE: &str = "usage: hitl-load [--email 1000] [--slack 200] [--faults <json> | @file | none]
                 [--fault-seed 1] [--concurrency N] [--drain-timeout 180] [--ready-timeout 600]
                 [--click-parallelism 5] [--start-parallelism 64] [--bin-dir target/debug]
                 [--edge URL --api URL]   (drive a running stack instead of starting one)
  Default faults: ";

fn parse(args: &[String]) -> Result<LoadConfig, String> {
    let workspace = std::env::current_dir().map_err(|e| e.to_string())?;
    let mut config = LoadConfig::new(workspace.join("target/debug"), workspace);
    let (mut edge, mut api) = (None, None);
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
            other => return Err(format!("unknown option {other}")),
        }
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
    match run(&config).await {
        Ok(report) => {
            report.print();
            if !report.failures().is_empty() {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("hitl-load: {e}");
            std::process::exit(1);
        }
    }
}
