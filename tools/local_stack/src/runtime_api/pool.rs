//! A function's execution environments, scaled the way Lambda scales them: an invocation goes
//! to an idle process if there is one; otherwise a new process of the real binary starts (a
//! cold start), as long as the function's concurrency limit is not reached; beyond the limit
//! the invocation is refused at once ([`Throttled`], `TooManyRequestsException` at the edge).
//!
//! One process per function is started with the stack (a fast first call); processes idle for
//! [`IDLE_STOP`] beyond that one are stopped. A process that dies is answered for at once
//! (`Runtime.ExitError`), and the pool keeps its warm process running.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::{stopped, Invocation, Lifecycle, Outcome, RuntimeApi, PICKUP_LIMIT};
use crate::template::{function_arn, FunctionDef};

mod lifecycle;
mod process;

use lifecycle::Hooks;

/// Idle processes beyond the warm one are stopped after this long without work.
pub const IDLE_STOP: Duration = Duration::from_secs(300);

/// The function is at its concurrency limit: Lambda's `TooManyRequestsException`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled;

/// What the pool did so far (`GET /_local/api/concurrency`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub invocations: u64,
    pub cold_starts: u64,
    pub throttled: u64,
    pub crashes: u64,
    pub timeouts: u64,
    pub peak_concurrency: usize,
    pub peak_processes: usize,
}

/// A function's Runtime APIs and the processes of its real binary.
pub struct FunctionPool {
    pub name: String,
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    arn: String,
    timeout: Duration,
    limit: usize,
    spec: process::Spec,
    shutdown: watch::Receiver<bool>,
    state: Mutex<State>,
    requests: AtomicU64,
}

#[derive(Default)]
struct State {
    instances: BTreeMap<u64, Instance>,
    /// Ready processes, most recently freed last (reused first, as Lambda does).
    idle: Vec<u64>,
    /// Accepted invocations waiting for a process that is starting or finishing.
    waiting: VecDeque<Invocation>,
    /// Invocations handed to a process (concurrency = busy + waiting).
    busy: usize,
    next_instance: u64,
    stats: Stats,
}

struct Instance {
    api: Option<Arc<RuntimeApi>>,
    pid: Option<u32>,
    phase: Phase,
    /// Stopped on purpose (idle, timed out): its exit is no crash.
    retiring: bool,
}

#[derive(Clone, Copy)]
enum Phase {
    Starting,
    Idle(Instant),
    Busy,
}

impl FunctionPool {
    /// Starts the function's warm process; more start on demand, up to `limit` at once.
    pub async fn start(
        def: &FunctionDef,
        bin_dir: &Path,
        base_env: &[(String, String)],
        log_dir: &Path,
        limit: usize,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Arc<Self>> {
        let binary: PathBuf = bin_dir.join(&def.binary);
        if !binary.exists() {
            return Err(anyhow!(
                "{} is missing: run `cargo build --workspace` first",
                binary.display()
            ));
        }
        let mut env: Vec<(String, String)> = base_env.to_vec();
        env.extend(def.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), def.logical_id.clone()));
        env.push((
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            def.memory_mb.to_string(),
        ));
        env.push(("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()));
        let inner = Arc::new(Inner {
            name: def.logical_id.clone(),
            arn: function_arn(&def.logical_id),
            timeout: Duration::from_secs(def.timeout_secs),
            limit,
            spec: process::Spec {
                binary,
                env,
                log_path: log_dir.join(format!("{}.log", def.logical_id)),
            },
            shutdown,
            state: Mutex::new(State::default()),
            requests: AtomicU64::new(0),
        });
        if limit > 0 {
            inner.spawn(&mut inner.lock());
        }
        tokio::spawn(lifecycle::reap_idle(Arc::downgrade(&inner)));
        Ok(Arc::new(FunctionPool {
            name: def.logical_id.clone(),
            inner,
        }))
    }

    /// Runs `event` on a process; [`Throttled`] at once when the concurrency limit is reached.
    /// Lambda's `Invocations`, `Errors` and `Throttles` metrics count the result.
    pub async fn try_invoke(&self, event: Value) -> Result<Outcome, Throttled> {
        let result = self.run_invocation(event).await;
        crate::metrics::lambda::record(&self.name, &result);
        result
    }

    async fn run_invocation(&self, event: Value) -> Result<Outcome, Throttled> {
        let inner = &self.inner;
        let id = format!(
            "{}-{}",
            uuid::Uuid::new_v4(),
            inner.requests.fetch_add(1, Ordering::Relaxed)
        );
        let (invocation, mut answer) = Invocation::new(id.clone(), event, inner.timeout);
        {
            let mut st = inner.lock();
            if st.busy + st.waiting.len() >= inner.limit {
                st.stats.throttled += 1;
                return Err(Throttled);
            }
            st.stats.invocations += 1;
            match st.idle.pop() {
                Some(instance) => st.hand_to(instance, invocation),
                None => {
                    st.waiting.push_back(invocation);
                    inner.ensure_capacity(&mut st);
                }
            }
            st.stats.peak_concurrency = st.stats.peak_concurrency.max(st.busy + st.waiting.len());
        }
        // Waiting for a cold start is bounded; once picked up, the function timeout applies.
        if let Ok(answer) = tokio::time::timeout(PICKUP_LIMIT, &mut answer).await {
            return Ok(answer.unwrap_or_else(|_| Err(stopped())));
        }
        let still_waiting = {
            let mut st = inner.lock();
            let before = st.waiting.len();
            st.waiting.retain(|i| i.id != id);
            before != st.waiting.len()
        };
        if still_waiting {
            return Ok(Err(json!({"errorType": "Sandbox.Timedout", "errorMessage":
                format!("RequestId: {id} Error: no process of {} picked the event up within {PICKUP_LIMIT:?}", inner.name)})));
        }
        Ok(answer.await.unwrap_or_else(|_| Err(stopped())))
    }

    /// Runs `event`; at the concurrency limit the outcome is a `TooManyRequestsException`.
    pub async fn invoke(&self, event: Value) -> Outcome {
        self.try_invoke(event).await.unwrap_or_else(|Throttled| {
            Err(json!({"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}))
        })
    }

    /// The pids of the function's running processes.
    pub fn pids(&self) -> Vec<u32> {
        let st = self.inner.lock();
        st.instances.values().filter_map(|i| i.pid).collect()
    }

    /// SIGKILLs one of the function's processes (a crash, as far as the pool can tell).
    pub fn kill(&self, pid: u32) -> bool {
        let ours = self.pids().contains(&pid);
        if ours {
            process::kill(pid);
        }
        ours
    }

    /// Concurrency limit, processes by phase and [`Stats`].
    pub fn snapshot(&self) -> Value {
        let st = self.inner.lock();
        let starting = st
            .instances
            .values()
            .filter(|i| matches!(i.phase, Phase::Starting))
            .count();
        json!({
            "limit": self.inner.limit,
            "processes": st.instances.len(),
            "starting": starting,
            "idle": st.idle.len(),
            "busy": st.busy,
            "waiting": st.waiting.len(),
            "stats": st.stats,
        })
    }
}

impl State {
    fn hand_to(&mut self, instance: u64, invocation: Invocation) {
        let Some(entry) = self.instances.get_mut(&instance) else {
            self.waiting.push_front(invocation);
            return;
        };
        entry.phase = Phase::Busy;
        self.busy += 1;
        match &entry.api {
            Some(api) => api.deliver(invocation),
            None => {
                self.busy -= 1;
                self.waiting.push_front(invocation);
            }
        }
    }

    fn starting(&self) -> usize {
        self.instances
            .values()
            .filter(|i| matches!(i.phase, Phase::Starting))
            .count()
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Starts enough processes for the waiting invocations, within the limit.
    fn ensure_capacity(self: &Arc<Self>, st: &mut State) {
        if self.stopping() {
            return;
        }
        let needed = st.waiting.len().saturating_sub(st.starting());
        let room = self.limit.saturating_sub(st.instances.len());
        for _ in 0..needed.min(room) {
            self.spawn(st);
        }
    }

    fn spawn(self: &Arc<Self>, st: &mut State) {
        let id = st.next_instance;
        st.next_instance += 1;
        st.instances.insert(
            id,
            Instance {
                api: None,
                pid: None,
                phase: Phase::Starting,
                retiring: false,
            },
        );
        st.stats.cold_starts += 1;
        st.stats.peak_processes = st.stats.peak_processes.max(st.instances.len());
        tokio::spawn(process::run(self.clone(), id));
    }

    /// The process `id` exited (`None`: it could not start).
    fn exited(self: &Arc<Self>, id: u64, status: Option<ExitStatus>) {
        let mut st = self.lock();
        let Some(entry) = st.instances.remove(&id) else {
            return;
        };
        st.idle.retain(|i| *i != id);
        let detail = process::exit_detail(status);
        if let Some(api) = &entry.api {
            let (held, leftovers) = api.abandon(|request| exit_error(request, &detail));
            st.busy = st.busy.saturating_sub(usize::from(held) + leftovers.len());
            for invocation in leftovers.into_iter().rev() {
                st.waiting.push_front(invocation);
            }
        }
        if self.stopping() {
            return;
        }
        if !entry.retiring {
            st.stats.crashes += 1;
            tracing::warn!(function = %self.name, instance = id, %detail, "function process exited");
            if matches!(entry.phase, Phase::Starting) {
                // Its init failed: so does the invocation it was started for, as on Lambda.
                if let Some(invocation) = st.waiting.pop_front() {
                    let request = invocation.id.clone();
                    invocation.answer(Err(exit_error(&request, &detail)));
                }
            }
        }
        self.ensure_capacity(&mut st);
        if st.instances.is_empty() && self.limit > 0 {
            // Keep the warm process, without a hot loop if it keeps crashing.
            let pool = Arc::downgrade(self);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if let Some(pool) = pool.upgrade() {
                    let mut st = pool.lock();
                    if st.instances.is_empty() && !pool.stopping() {
                        pool.spawn(&mut st);
                    }
                }
            });
        }
    }
}

/// Lambda's answer for an invocation whose runtime died under it.
fn exit_error(request: &str, detail: &str) -> Value {
    json!({
        "errorType": "Runtime.ExitError",
        "errorMessage": format!("RequestId: {request} Error: Runtime exited with error: {detail}"),
    })
}

#[cfg(test)]
mod tests;
