//! Starts `hitl-local up` as a child process on free ports and waits for its ready line: the
//! end-to-end tests and the benchmark both run against a stack started this way.
//!
//! The child runs with `--stop-on-stdin-eof` and its stdin is held here, so it stops when the
//! parent drops the [`LocalStack`] or exits, however that happens.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

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

impl LocalStack {
    /// Starts `{bin_dir}/hitl-local up` in `workspace` without the example workflow; the
    /// function binaries come from `bin_dir` too. Its other output goes to stderr.
    pub fn start(bin_dir: &Path, workspace: &Path) -> Result<Self, String> {
        let bin = bin_dir.join("hitl-local");
        if !bin.exists() {
            return Err(format!(
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
            .current_dir(workspace)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start {}: {e}", bin.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
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
            .map_err(|_| "the local stack did not become ready within 120 s".to_string())?
            .map_err(|e| format!("unreadable ready line: {e}"))?;
        Ok(LocalStack {
            endpoints,
            _child: child,
            _stdin: stdin,
        })
    }
}
