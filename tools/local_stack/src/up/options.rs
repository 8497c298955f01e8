//! `hitl-local up`'s flags.

use std::collections::BTreeMap;
use std::path::PathBuf;

use local_stack::{edge, VERBOSE};

/// Concurrent executions per function when the template reserves none (Lambda's account
/// default is 1,000 shared by all functions; 100 each keeps a laptop responsive).
pub const DEFAULT_CONCURRENCY: usize = 100;

pub struct Options {
    pub edge_port: u16,
    pub api_port: u16,
    pub moto_port: u16,
    pub bin_dir: PathBuf,
    pub template: PathBuf,
    pub example: bool,
    pub stop_on_stdin_eof: bool,
    pub concurrency: usize,
    /// With `--fault-seed` as its seed.
    pub faults: edge::faults::Config,
    /// `--parameter Name=Value`: template parameters, over the local stack's own.
    pub parameters: BTreeMap<String, String>,
    /// `--echo`: serve the `lambda_runtime` echo at `GET /_echo` (the load tool's baseline).
    pub echo: bool,
}

pub const USAGE: &str = "usage: hitl-local up [--edge-port 4566] [--api-port 3000] [--moto-port 4567] [--bin-dir target/debug]
                     [--template template.yaml] [--no-example] [--stop-on-stdin-eof] [--verbose]
                     [--concurrency 100] [--faults <json> | --faults @file.json] [--fault-seed N]
                     [--parameter Name=Value]... [--echo]
  Port 0 picks a free port. --moto-port is the moto of DynamoDB, SES and the rest; Step
  Functions runs in a second moto on a free port. --concurrency: processes per function at most (a function's
  ReservedConcurrentExecutions wins); beyond it an invoke gets TooManyRequestsException.
  --faults: errors, throttling, latency and process kills to inject (see GET /_local/api/faults).
  --parameter: a template parameter, as `sam deploy --parameter-overrides` sets it, e.g.
  --parameter EmailTransport=smtp (the local SMTP server) or EmailTransport=outlook (the stand-in).
  --echo: also serve the lambda_runtime echo (hitl-bench-echo of --bin-dir) at GET /_echo.";

impl Default for Options {
    fn default() -> Self {
        Options {
            edge_port: 4566,
            api_port: 3000,
            moto_port: 4567,
            bin_dir: PathBuf::from("target/debug"),
            template: PathBuf::from("template.yaml"),
            example: true,
            stop_on_stdin_eof: false,
            concurrency: DEFAULT_CONCURRENCY,
            faults: edge::faults::Config::default(),
            parameters: BTreeMap::new(),
            echo: false,
        }
    }
}

/// `Name=Value`.
fn parameter(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| format!("--parameter {text}: write Name=Value"))
}

pub fn parse_args() -> Result<Options, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("up") {
        return Err(USAGE.into());
    }
    let mut options = Options::default();
    let mut fault_seed = None;
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        let port = |v: String| {
            v.parse::<u16>()
                .map_err(|_| format!("{arg}: {v} is not a port"))
        };
        match arg.as_str() {
            "--edge-port" => options.edge_port = port(value()?)?,
            "--api-port" => options.api_port = port(value()?)?,
            "--moto-port" => options.moto_port = port(value()?)?,
            "--bin-dir" => options.bin_dir = PathBuf::from(value()?),
            "--template" => options.template = PathBuf::from(value()?),
            "--no-example" => options.example = false,
            "--echo" => options.echo = true,
            "--stop-on-stdin-eof" => options.stop_on_stdin_eof = true,
            "--verbose" => VERBOSE.store(true, std::sync::atomic::Ordering::Relaxed),
            "--concurrency" => {
                let v = value()?;
                options.concurrency = v
                    .parse()
                    .map_err(|_| format!("--concurrency: {v} is not a number"))?;
            }
            "--faults" => options.faults = edge::faults::Config::parse(&value()?)?,
            "--parameter" => {
                let (name, value) = parameter(&value()?)?;
                options.parameters.insert(name, value);
            }
            "--fault-seed" => {
                let v = value()?;
                fault_seed = Some(
                    v.parse()
                        .map_err(|_| format!("--fault-seed: {v} is not a number"))?,
                );
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    // --fault-seed wins over a seed in --faults.
    if fault_seed.is_some() {
        options.faults.seed = fault_seed;
    }
    Ok(options)
}
