//! `hitl-bench`: the cold path as users meet it. Approvals are rare, so nearly every click is a
//! Lambda cold start at the template's memory size; this measures that path for the real
//! release `bootstrap` binaries, under a Lambda Runtime API of our own, against moto:
//!
//! - behind TLS ([`tls`]): a throwaway CA, one TLS-terminating proxy per service in front of
//!   moto and the Slack stand-in, trusted by the functions through `SSL_CERT_FILE` /
//!   `AWS_CA_BUNDLE`;
//! - at a Lambda's CPU share after init ([`cgroup`]): `--memory-mb`/1769 of a vCPU;
//! - side by side with the `lambda_runtime` echo (the limit) and Python 3.11 + boto3 doing the
//!   same work ([`cases`], `python/reference.py`), printing ratios ([`report`]).
//!
//! Usage: `hitl-bench --help` (`make bench` builds everything first; docs/bench.md says how to
//! read the report).

mod cases;
mod cgroup;
mod events;
mod functions;
mod prep;
mod report;
mod runner;
mod slack;
mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context};
use clap::Parser;

use cases::{Bench, Case, Helpers, Kind};
use runner::{Program, Resident};

/// The flags: the help text is generated from these doc comments (docs/bench.md).
#[derive(Debug, Parser)]
// `make bench BENCH_ARGS="--events 50"` repeats a flag the Makefile already passes: the last wins.
#[command(
    args_override_self = true,
    name = "hitl-bench",
    about = "The cold path as users meet it: the release bootstraps behind TLS, at a Lambda's \
             CPU share, beside the lambda_runtime echo and Python + boto3 (docs/bench.md)."
)]
struct Args {
    /// Warm events per process (each process also gets one cold event).
    #[arg(long, default_value_t = 100)]
    events: usize,
    /// Rounds per case (at least 1).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The Lambda memory size whose CPU share (mb/1769 of a vCPU) limits each process after
    /// init (at least 128).
    #[arg(long, default_value_t = 128)]
    memory_mb: u64,
    /// The CFS period of that limit (Lambda's is 20 ms; the kernel's default 100 ms), within
    /// 1000..=1000000.
    #[arg(long = "cfs-period-us", value_name = "US", default_value_t = cgroup::LAMBDA_PERIOD_US)]
    period_us: u64,
    /// Run unthrottled.
    #[arg(long)]
    no_throttle: bool,
    /// The cases to run.
    #[arg(long, value_delimiter = ',', value_parser = case, default_value = "get,post,slack,create")]
    cases: Vec<Case>,
    /// The release bootstraps [default: this binary's directory].
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// The local stack's build [default: ../debug from this binary].
    #[arg(long)]
    stack_bin_dir: Option<PathBuf>,
}

fn case(name: &str) -> anyhow::Result<Case> {
    Case::parse(name).context("one of get,post,slack,create")
}

struct Options {
    events: usize,
    rounds: usize,
    memory_mb: u64,
    period_us: u64,
    throttle: bool,
    cases: Vec<Case>,
    bin_dir: PathBuf,
    stack_bin_dir: PathBuf,
}

/// The flags, the numbers brought within their bounds, the directories defaulted.
fn options(args: Args) -> anyhow::Result<Options> {
    let exe = std::env::current_exe().context("this binary's path")?;
    let exe_dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Options {
        events: args.events,
        rounds: args.rounds.max(1),
        memory_mb: args.memory_mb.max(128),
        period_us: args.period_us.clamp(1000, 1_000_000),
        throttle: !args.no_throttle,
        cases: args.cases,
        stack_bin_dir: args
            .stack_bin_dir
            .unwrap_or_else(|| exe_dir.join("../debug")),
        bin_dir: args.bin_dir.unwrap_or(exe_dir),
    })
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let options = options(Args::parse()).unwrap_or_else(|e| fail(&format!("{e:#}")));
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let bench = tokio::select! {
        bench = setup(&options, &workspace) => bench.unwrap_or_else(|e| fail(&format!("{e:#}"))),
        _ = tokio::signal::ctrl_c() => fail("interrupted"),
    };
    println!("{}", bench.cpu.describe());
    println!(
        "TLS: a throwaway CA ({}); {} warm events per process after 1 cold, {} rounds",
        bench.tls.bundle.display(),
        options.events,
        options.rounds
    );
    println!("Trust check: {}", bench.trust_check().await);
    let refused_by_the_check = bench.tls.failures();
    let (echo, bin_dir) = (bench.echo.clone(), bench.bin_dir.clone());
    let sizes = move |case: Case, kind: Kind| match kind {
        Kind::Echo => file_size(&echo),
        Kind::Ours => file_size(&bin_dir.join(case.binary())),
        Kind::Python => None,
    };
    for case in &options.cases {
        let measured = tokio::select! {
            m = measure_case(&bench, *case, options.rounds) => m,
            _ = tokio::signal::ctrl_c() => break,
        };
        report::print_case(&measured, &sizes, options.memory_mb);
    }
    let negotiated: Vec<String> = bench.tls.negotiated().into_iter().collect();
    println!("\nTLS handshakes settled on: {}", negotiated.join("; "));
    let failed = bench.tls.failures() - refused_by_the_check;
    if failed > 0 {
        println!("\n{failed} TLS handshakes FAILED (a client that does not trust the CA?)");
    }
    println!("\nhitl-bench took {:.0} s", started.elapsed().as_secs_f64());
    drop(bench);
}

async fn measure_case(bench: &Bench, case: Case, rounds: usize) -> report::CaseResults {
    let mut results = report::CaseResults {
        case,
        runs: [Vec::new(), Vec::new(), Vec::new()],
    };
    for round in 0..rounds {
        eprintln!("hitl-bench: {} round {}/{rounds}", case.short(), round + 1);
        for (kind, measured) in bench.round(case).await {
            let slot = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
            results.runs[slot].push(measured);
        }
    }
    results
}

/// The stack, the Slack stand-in, TLS in front of both, the CPU limit and the helpers.
async fn setup(options: &Options, workspace: &Path) -> anyhow::Result<Bench> {
    let stack = prep::Stack::start(&options.stack_bin_dir, workspace).await?;
    let slack = slack::Slack::serve().await?;
    let dir = std::env::temp_dir().join(format!("hitl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let tls = tls::Tls::start(&dir, socket_of(&stack.edge)?, slack.address).await?;
    let helper = |binary: &str| {
        let mut env = events::lambda_env(binary, 1024);
        env.extend([
            ("AWS_ENDPOINT_URL".to_string(), stack.edge.clone()),
            ("SLACK_API_URL".to_string(), slack.plain_api_url()),
        ]);
        Program {
            command: options.bin_dir.join(binary),
            args: vec![],
            env,
        }
    };
    let helpers = Helpers {
        create: Resident::start(&helper(functions::CREATE.binary)).await?,
        slack_request: Resident::start(&helper(functions::SLACK_REQUEST.binary)).await?,
    };
    let python = workspace.join(".venv/bin/python");
    if !python.exists() {
        return Err(anyhow!("{} is missing: run `make venv`", python.display()));
    }
    let mut bench = Bench {
        stack,
        tls,
        cpu: cgroup::CpuLimit::new(options.memory_mb, options.period_us, options.throttle),
        slack,
        echo: options.bin_dir.join("hitl-bench-echo"),
        bin_dir: options.bin_dir.clone(),
        python,
        script: workspace.join("tools/bench/python/reference.py"),
        events: options.events,
        helpers,
        links: Vec::new(),
    };
    let binaries = functions::ALL.map(|f| f.binary);
    for binary in binaries.iter().chain(&["hitl-bench-echo"]) {
        if !options.bin_dir.join(binary).exists() {
            return Err(anyhow!(
                "{binary} is not in {} (run `make bench`)",
                options.bin_dir.display()
            ));
        }
    }
    bench.links = bench.create_links(options.events + 1).await?;
    Ok(bench)
}

/// `http://127.0.0.1:4566` -> its socket address.
fn socket_of(url: &str) -> anyhow::Result<SocketAddr> {
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    authority.parse().with_context(|| url.to_string())
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn fail(message: &str) -> ! {
    eprintln!("hitl-bench: {message}");
    std::process::exit(1);
}
