//! One process of a function's real binary: started under a Runtime API of its own, its output
//! appended to the function's log, its exit reported to the pool.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

use super::{Hooks, Inner, Lifecycle};
use crate::runtime_api::RuntimeApi;

/// How a function's processes are started.
pub(super) struct Spec {
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
    pub log_path: PathBuf,
}

/// SIGKILL, as Lambda stops an environment (and as a crash looks).
pub(super) fn kill(pid: u32) {
    #[cfg(unix)]
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// How Lambda words a runtime's exit: `signal: killed`, `exit status 1`.
pub(super) fn exit_detail(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "the process could not start".into();
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return match signal {
                libc::SIGKILL => "signal: killed".into(),
                libc::SIGTERM => "signal: terminated".into(),
                libc::SIGSEGV => "signal: segmentation fault".into(),
                libc::SIGABRT => "signal: aborted".into(),
                other => format!("signal: {other}"),
            };
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// Runs process `id` of the pool until it exits or the stack stops.
pub(super) async fn run(pool: Arc<Inner>, id: u64) {
    let hooks: Arc<dyn Lifecycle> = Arc::new(Hooks {
        pool: Arc::downgrade(&pool),
        instance: id,
    });
    let api = match RuntimeApi::serve_with(pool.arn.clone(), Some(hooks), pool.shutdown.clone())
        .await
    {
        Ok(api) => Arc::new(api),
        Err(e) => {
            tracing::error!(function = %pool.name, error = format!("{e:#}"), "cannot serve a Runtime API");
            return pool.exited(id, None);
        }
    };
    let mut command = tokio::process::Command::new(&pool.spec.binary);
    command
        .env_clear()
        .envs(pool.spec.env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    crate::supervisor::tie_to_stack(&mut command);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            tracing::error!(function = %pool.name, error = %e, "cannot start");
            return pool.exited(id, None);
        }
    };
    {
        let mut st = pool.lock();
        match st.instances.get_mut(&id) {
            Some(entry) => {
                entry.api = Some(api.clone());
                entry.pid = child.id();
            }
            None => return,
        }
    }
    let tag = format!("{}#{id}", pool.name);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(copy_log(out, tag.clone(), pool.spec.log_path.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(copy_log(err, tag, pool.spec.log_path.clone()));
    }
    let mut shutdown = pool.shutdown.clone();
    let exited = tokio::select! {
        status = child.wait() => Some(status.ok()),
        _ = shutdown.wait_for(|s| *s) => None,
    };
    match exited {
        Some(status) => pool.exited(id, status),
        None => {
            let _ = child.kill().await;
        }
    }
}

async fn copy_log(stream: impl AsyncRead + Unpin, tag: String, log_path: PathBuf) {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .await
        .ok();
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        crate::edge::meter::METER.log_line(&tag, &line);
        crate::metrics::observe_line(&line);
        if crate::VERBOSE.load(Ordering::Relaxed) {
            eprintln!("[{tag}] {line}");
        }
        if let Some(f) = file.as_mut() {
            let _ = f.write_all(format!("[{tag}] {line}\n").as_bytes()).await;
        }
    }
}
