//! `hitl-local up`'s flags: the help text is generated from the doc comments below.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Parser;

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

#[derive(Debug, Parser)]
#[command(
    name = "hitl-local",
    about = "The whole approval loop on a laptop: moto, the real function binaries, the HttpApi, \
             the schedules and a page to click through (docs/LOCAL_STACK.md)."
)]
enum Cli {
    /// Start the local stack (Ctrl-C stops it).
    Up(UpArgs),
}

/// Port 0 picks a free port.
#[derive(Debug, clap::Args)]
struct UpArgs {
    /// The AWS endpoint (AWS_ENDPOINT_URL): Lambda here, every other call to moto.
    #[arg(long, default_value_t = 4566)]
    edge_port: u16,
    /// The HttpApi routes and the local page.
    #[arg(long, default_value_t = 3000)]
    api_port: u16,
    /// The moto of DynamoDB, SES and the rest; Step Functions runs in a second moto on a free
    /// port.
    #[arg(long, default_value_t = 4567)]
    moto_port: u16,
    /// Where the function binaries are.
    #[arg(long, default_value = "target/debug")]
    bin_dir: PathBuf,
    /// The SAM template to run.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Do not start the example workflow.
    #[arg(long)]
    no_example: bool,
    /// Stop when stdin closes (how the tests and the load tool hold a stack).
    #[arg(long)]
    stop_on_stdin_eof: bool,
    /// Function output on the console too (always in .local-stack/logs/).
    #[arg(long)]
    verbose: bool,
    /// Processes per function at most (a function's ReservedConcurrentExecutions wins); beyond
    /// it an invoke gets TooManyRequestsException.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Errors, throttling, latency and process kills to inject (see GET /_local/api/faults).
    #[arg(long, value_name = "JSON|@FILE", value_parser = edge::faults::Config::parse)]
    faults: Option<edge::faults::Config>,
    /// The faults' seed (wins over a seed in --faults).
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// A template parameter, as `sam deploy --parameter-overrides` sets it, e.g.
    /// EmailTransport=smtp (the local SMTP server) or EmailTransport=outlook (the stand-in).
    #[arg(long = "parameter", value_name = "Name=Value", value_parser = parameter)]
    parameters: Vec<(String, String)>,
    /// Also serve the lambda_runtime echo (hitl-bench-echo of --bin-dir) at GET /_echo.
    #[arg(long)]
    echo: bool,
}

/// `Name=Value`.
fn parameter(text: &str) -> anyhow::Result<(String, String)> {
    text.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| anyhow!("--parameter {text}: write Name=Value"))
}

impl From<UpArgs> for Options {
    fn from(args: UpArgs) -> Self {
        let mut faults = args.faults.unwrap_or_default();
        if args.fault_seed.is_some() {
            faults.seed = args.fault_seed;
        }
        Options {
            edge_port: args.edge_port,
            api_port: args.api_port,
            moto_port: args.moto_port,
            bin_dir: args.bin_dir,
            template: args.template,
            example: !args.no_example,
            stop_on_stdin_eof: args.stop_on_stdin_eof,
            concurrency: args.concurrency,
            faults,
            parameters: args.parameters.into_iter().collect(),
            echo: args.echo,
        }
    }
}

/// The options of `hitl-local up`; clap prints the help or the error and exits on bad flags.
pub fn parse_args() -> Options {
    let Cli::Up(args) = Cli::parse();
    VERBOSE.store(args.verbose, std::sync::atomic::Ordering::Relaxed);
    args.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let argv = ["hitl-local", "up"].iter().chain(args);
        Cli::try_parse_from(argv).map(|Cli::Up(args)| args.into())
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let options = parse(&[]).unwrap();
        assert_eq!(
            (options.edge_port, options.api_port, options.moto_port),
            (4566, 3000, 4567)
        );
        assert_eq!(options.bin_dir, PathBuf::from("target/debug"));
        assert_eq!(options.template, PathBuf::from("template.yaml"));
        assert!(options.example && !options.echo && !options.stop_on_stdin_eof);
        assert_eq!(options.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(options.faults, edge::faults::Config::default());
    }

    #[test]
    fn the_fault_seed_wins_over_the_seed_in_the_faults() {
        let options = parse(&["--faults", r#"{"seed":3}"#, "--fault-seed", "7"]).unwrap();
        assert_eq!(options.faults.seed, Some(7));
        let options = parse(&["--faults", r#"{"seed":3}"#]).unwrap();
        assert_eq!(options.faults.seed, Some(3));
    }

    #[test]
    fn parameters_are_name_value_pairs() {
        let options = parse(&["--parameter", "A=1", "--parameter", "B=x=y"]).unwrap();
        assert_eq!(options.parameters["A"], "1");
        assert_eq!(options.parameters["B"], "x=y");
        let refused = parse(&["--parameter", "A"]).err().unwrap().to_string();
        assert!(refused.contains("write Name=Value"), "{refused}");
    }

    #[test]
    fn unknown_flags_bad_faults_and_a_missing_command_are_refused() {
        assert!(parse(&["--edge-prot", "1"]).is_err());
        assert!(parse(&["--edge-port", "70000"]).is_err());
        let refused = parse(&["--faults", r#"{"rules":[],"oops":1}"#])
            .err()
            .unwrap();
        assert!(refused.to_string().contains("faults:"), "{refused}");
        assert!(Cli::try_parse_from(["hitl-local"]).is_err());
        assert!(Cli::try_parse_from(["hitl-local", "down"]).is_err());
    }
}
