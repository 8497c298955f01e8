//! Starts `hitl-local up` as a child process on free ports and waits for its ready line: the
//! end-to-end tests and the benchmark both run against a stack started this way.
//!
//! The child runs with `--stop-on-stdin-eof` and its stdin is held here, so it stops when the
//! parent drops the [`LocalStack`] or exits, however that happens.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde::Deserialize;

/// Where the running stack listens (the `HITL_LOCAL_READY` line).
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    /// The AWS endpoint (`AWS_ENDPOINT_URL`): moto behind it, Lambda served by the stack.
    pub edge: String,
    /// The HttpApi routes and the local page.
    pub api: String,
    pub moto: String,
}

pub struct LocalStack {
    pub endpoints: Endpoints,
    _child: Child,
    _stdin: ChildStdin,
}

/// What to start the stack with besides the defaults (`hitl-local up` flags).
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// `--faults`: the fault-injection JSON (or `@file`).
    pub faults: Option<String>,
    /// `--fault-seed`.
    pub fault_seed: Option<u64>,
    /// `--concurrency`: processes per function at most.
    pub concurrency: Option<usize>,
    /// Anything else, passed as is.
    pub extra_args: Vec<String>,
}

impl LaunchOptions {
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(faults) = &self.faults {
            args.extend(["--faults".to_string(), faults.clone()]);
        }
        if let Some(seed) = self.fault_seed {
            args.extend(["--fault-seed".to_string(), seed.to_string()]);
        }
        if let Some(concurrency) = self.concurrency {
            args.extend(["--concurrency".to_string(), concurrency.to_string()]);
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

impl LocalStack {
    /// Starts `{bin_dir}/hitl-local up` in `workspace` without the example workflow; the
    /// function binaries come from `bin_dir` too. Its other output goes to stderr.
    pub fn start(bin_dir: &Path, workspace: &Path) -> anyhow::Result<Self> {
        Self::start_with(bin_dir, workspace, &LaunchOptions::default())
    }

    /// As [`LocalStack::start`], with faults, a concurrency limit or other flags.
    pub fn start_with(
        bin_dir: &Path,
        workspace: &Path,
        options: &LaunchOptions,
    ) -> anyhow::Result<Self> {
        let bin = bin_dir.join("hitl-local");
        if !bin.exists() {
            return Err(anyhow!(
                "{} is missing: run `cargo build --workspace` first",
                bin.display()
            ));
        }
        let mut child = Command::new(&bin)
            .args([
                "up",
                "--edge-port",
                "0",
                "--api-port",
                "0",
                "--moto-port",
                "0",
            ])
            .args(["--no-example", "--stop-on-stdin-eof", "--bin-dir"])
            .arg(bin_dir)
            .args(options.args())
            .current_dir(workspace)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match line.strip_prefix("HITL_LOCAL_READY ") {
                    Some(json) if !sent => {
                        let _ = tx.send(serde_json::from_str::<Endpoints>(json));
                        sent = true;
                    }
                    _ => eprintln!("[stack] {line}"),
                }
            }
        });
        let endpoints = rx
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| anyhow!("the local stack did not become ready within 120 s"))?
            .context("unreadable ready line")?;
        Ok(LocalStack {
            endpoints,
            _child: child,
            _stdin: stdin,
        })
    }
}
