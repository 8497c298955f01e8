//! One function process under a Runtime API of its own (the local stack's), measured the way
//! Lambda runs a cold start: init at full speed (spawn to the first poll of `/next`), then the
//! process moves into the CPU-limited cgroup, then its first event (the cold answer), then the
//! warm events.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};

pub use local_stack::runtime_api::Outcome;
use local_stack::runtime_api::{Lifecycle, RuntimeApi};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{watch, Notify};

use crate::cgroup::CpuLimit;
use crate::tls::Tls;

/// The function timeout (the template's is 10 s; a throttled Python cold start may need more).
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long init may take before the run fails.
const INIT_LIMIT: Duration = Duration::from_secs(60);

/// What to start: a binary (or an interpreter and its script) and its environment. The
/// process gets nothing else from the bench's own environment but `PATH`.
#[derive(Clone)]
pub struct Program {
    pub command: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// One process's numbers.
pub struct Run {
    /// Spawn to the first poll of `/next`.
    pub init: Duration,
    /// CPU time the process used by then, all threads (`None` where /proc has no schedstat):
    /// init's own work, without the time it spent waiting on the network.
    pub init_cpu: Option<Duration>,
    /// Spawn to the first event's answer: init, then the first event from delivery to answer.
    pub first: Duration,
    pub warm: Vec<Duration>,
    pub peak_rss_kib: u64,
    pub outputs: Vec<Outcome>,
    /// TLS handshakes during init, and in all (per proxy, in `tls::SERVICES` order).
    pub tls_init: Vec<u64>,
    pub tls_total: Vec<u64>,
}

/// The first poll of `/next`: the end of init.
#[derive(Default)]
struct FirstPoll {
    at: Mutex<Option<Instant>>,
    notify: Notify,
}

impl Lifecycle for FirstPoll {
    fn ready(&self) {
        let mut at = self.at.lock().unwrap();
        if at.is_none() {
            *at = Some(Instant::now());
            self.notify.notify_waiters();
        }
    }
    fn finished(&self, _timed_out: bool) {}
}

impl FirstPoll {
    async fn wait(&self, child: &mut Child, output: &Tail) -> anyhow::Result<Instant> {
        let deadline = Instant::now() + INIT_LIMIT;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(at) = *self.at.lock().unwrap() {
                return Ok(at);
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(anyhow!("exited during init ({status}): {}", output.text()));
            }
            if Instant::now() > deadline {
                return Err(anyhow!("no poll of /next within {INIT_LIMIT:?}"));
            }
            let _ = tokio::time::timeout(Duration::from_millis(20), notified).await;
        }
    }
}

/// The last lines a process wrote (stdout and stderr), for a failure's message.
#[derive(Clone, Default)]
struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    fn drain(&self, stream: impl AsyncRead + Unpin + Send + 'static) {
        let tail = self.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut kept = tail.0.lock().unwrap();
                if kept.len() == 20 {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
    }
    fn text(&self) -> String {
        let kept = self.0.lock().unwrap();
        kept.iter().cloned().collect::<Vec<_>>().join("\n    ")
    }
}

/// Runs `program` on `events`: the first is the cold one.
pub async fn run(
    program: &Program,
    events: Vec<Value>,
    cpu: Option<&CpuLimit>,
    tls: &Tls,
) -> anyhow::Result<Run> {
    let first_poll = Arc::new(FirstPoll::default());
    let (_stop, shutdown) = watch::channel(false);
    let lifecycle: Arc<dyn Lifecycle> = first_poll.clone();
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:bench".to_string();
    let api = RuntimeApi::serve_with(arn, Some(lifecycle), shutdown).await?;
    let before = tls.handshakes();
    let output = Tail::default();
    let started = Instant::now();
    let mut child = spawn(program, &api.address, &output)?;
    let pid = child.id().unwrap_or(0);
    let ready = first_poll.wait(&mut child, &output).await?;
    let init_cpu = cpu_time(pid);
    let tls_init = since(&before, &tls.handshakes());
    let confined = match cpu {
        Some(cpu) => cpu.confine(pid)?,
        None => None,
    };
    let mut run = Run {
        init: ready - started,
        init_cpu,
        first: Duration::ZERO,
        warm: Vec::with_capacity(events.len()),
        peak_rss_kib: 0,
        outputs: Vec::with_capacity(events.len()),
        tls_init,
        tls_total: Vec::new(),
    };
    for (i, event) in events.into_iter().enumerate() {
        let sent = Instant::now();
        let outcome = api.invoke(event, EVENT_TIMEOUT).await;
        if i == 0 {
            // Init, then the event from its delivery: the bench's own step in between (moving
            // the process into its cgroup) is not the function's time.
            run.first = run.init + sent.elapsed();
        } else {
            run.warm.push(sent.elapsed());
        }
        if let Err(e) = &outcome {
            if e["errorType"] == "Sandbox.Timedout" || e["errorType"] == "Local.Stopped" {
                return Err(anyhow!("event {i}: {e}; output: {}", output.text()));
            }
        }
        run.outputs.push(outcome);
    }
    run.peak_rss_kib = peak_rss_kib(pid);
    run.tls_total = since(&before, &tls.handshakes());
    let _ = child.kill().await;
    drop(confined);
    Ok(run)
}

/// A process kept for the whole bench, unmeasured and unthrottled: the helpers that make the
/// approvals and messages the cases need.
pub struct Resident {
    api: RuntimeApi,
    _child: Child,
    _stop: watch::Sender<bool>,
    output: Tail,
}

impl Resident {
    pub async fn start(program: &Program) -> anyhow::Result<Self> {
        let (stop, shutdown) = watch::channel(false);
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-helper".to_string();
        let api = RuntimeApi::serve(arn, shutdown).await?;
        let output = Tail::default();
        let child = spawn(program, &api.address, &output)?;
        Ok(Resident {
            api,
            _child: child,
            _stop: stop,
            output,
        })
    }

    pub async fn invoke(&self, event: Value) -> anyhow::Result<Value> {
        self.api
            .invoke(event, EVENT_TIMEOUT)
            .await
            .map_err(|e| anyhow!("{e}; output: {}", self.output.text()))
    }
}

fn spawn(program: &Program, runtime_api: &str, output: &Tail) -> anyhow::Result<Child> {
    let mut child = Command::new(&program.command)
        .args(&program.args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("TZ", ":UTC")
        .envs(program.env.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("spawn {}", program.command.display()))?;
    output.drain(child.stdout.take().expect("piped stdout"));
    output.drain(child.stderr.take().expect("piped stderr"));
    Ok(child)
}

fn since(before: &[u64], now: &[u64]) -> Vec<u64> {
    now.iter().zip(before).map(|(n, b)| n - b).collect()
}

/// The process's peak resident memory (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The CPU time process `pid` has used, summed over its threads (Linux: the first field of
/// `/proc/<pid>/task/<tid>/schedstat`, in nanoseconds). A thread that ended before this is
/// not counted; a function's init threads (Tokio's workers) live on.
fn cpu_time(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}
