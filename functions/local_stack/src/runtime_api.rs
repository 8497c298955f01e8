//! Runs a function's real `bootstrap` binary under a Lambda Runtime API of ours, the way the
//! Lambda service does: the process long-polls `/next`, answers with `/response` or `/error`.
//! A few processes share one queue so parallel invocations (Map iterations, tests) run at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use crate::template::{function_arn, FunctionDef};

/// What an invocation ended with: the payload, or the function's `{errorType, errorMessage}`.
pub type Outcome = Result<Value, Value>;

struct Queue {
    events: Mutex<mpsc::Receiver<(String, Value)>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    arn: String,
}

/// The Runtime API of one function, served on a free loopback port: `invoke` queues an event
/// for whichever process polls `/next` first and waits for its answer.
pub struct RuntimeApi {
    /// `host:port`, the `AWS_LAMBDA_RUNTIME_API` value for the function's processes.
    pub address: String,
    sender: mpsc::Sender<(String, Value)>,
    queue: Arc<Queue>,
    counter: AtomicU64,
}

/// A function's Runtime API with `instances` supervised processes of its real binary.
pub struct FunctionPool {
    pub name: String,
    api: RuntimeApi,
    timeout: Duration,
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

async fn next(State(q): State<Arc<Queue>>) -> Result<(HeaderMap, String), StatusCode> {
    let (id, event) = q.events.lock().await.recv().await.ok_or(StatusCode::GONE)?;
    let mut headers = HeaderMap::new();
    let header = |v: String| HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""));
    headers.insert("lambda-runtime-aws-request-id", header(id));
    headers.insert(
        "lambda-runtime-deadline-ms",
        header((now_ms() + 900_000).to_string()),
    );
    headers.insert("lambda-runtime-invoked-function-arn", header(q.arn.clone()));
    headers.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static("Root=1-00000000-000000000000000000000000;Sampled=0"),
    );
    Ok((headers, event.to_string()))
}

async fn respond(State(q): State<Arc<Queue>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    finish(&q, &id, Ok(value)).await
}

async fn error(State(q): State<Arc<Queue>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or_else(
        |_| json!({"errorType": "Runtime.Unknown", "errorMessage": String::from_utf8_lossy(&body)}),
    );
    finish(&q, &id, Err(value)).await
}

async fn init_error(State(q): State<Arc<Queue>>, body: Bytes) -> StatusCode {
    tracing::error!(function = %q.arn, error = %String::from_utf8_lossy(&body), "function failed to initialize");
    StatusCode::ACCEPTED
}

async fn finish(q: &Queue, id: &str, outcome: Outcome) -> StatusCode {
    match q.pending.lock().await.remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}

impl RuntimeApi {
    /// Serves the Runtime API for the function `arn` until `shutdown` turns true.
    pub async fn serve(arn: String, shutdown: watch::Receiver<bool>) -> Result<Self, String> {
        let (sender, rx) = mpsc::channel(256);
        let queue = Arc::new(Queue {
            events: Mutex::new(rx),
            pending: Mutex::new(HashMap::new()),
            arn,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(queue.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let mut stop = shutdown;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        });
        Ok(RuntimeApi {
            address: format!("127.0.0.1:{port}"),
            sender,
            queue,
            counter: AtomicU64::new(0),
        })
    }

    /// Hands `event` to the next polling process; `Sandbox.Timedout` after `timeout`.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Outcome {
        let id = format!(
            "{}-{}",
            uuid::Uuid::new_v4().simple(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let (tx, rx) = oneshot::channel();
        self.queue.pending.lock().await.insert(id.clone(), tx);
        if self.sender.send((id.clone(), event)).await.is_err() {
            return Err(
                json!({"errorType": "Local.Stopped", "errorMessage": "the local stack is stopping"}),
            );
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => outcome,
            _ => {
                self.queue.pending.lock().await.remove(&id);
                Err(
                    json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("{} did not answer within {timeout:?}", self.queue.arn)}),
                )
            }
        }
    }
}

impl FunctionPool {
    /// Starts the Runtime API and `instances` processes of the function's binary.
    pub async fn start(
        def: &FunctionDef,
        bin_dir: &std::path::Path,
        base_env: &[(String, String)],
        log_dir: &std::path::Path,
        instances: usize,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Arc<Self>, String> {
        let binary: PathBuf = bin_dir.join(&def.binary);
        if !binary.exists() {
            return Err(format!(
                "{} is missing: run `cargo build --workspace` first",
                binary.display()
            ));
        }
        let api = RuntimeApi::serve(function_arn(&def.logical_id), shutdown.clone()).await?;
        let mut env: Vec<(String, String)> = base_env.to_vec();
        env.extend(def.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        env.push(("AWS_LAMBDA_RUNTIME_API".into(), api.address.clone()));
        env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), def.logical_id.clone()));
        env.push((
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            def.memory_mb.to_string(),
        ));
        env.push(("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()));
        let log_path = log_dir.join(format!("{}.log", def.logical_id));
        for instance in 0..instances {
            tokio::spawn(supervise(
                def.logical_id.clone(),
                binary.clone(),
                env.clone(),
                log_path.clone(),
                instance,
                shutdown.clone(),
            ));
        }
        Ok(Arc::new(FunctionPool {
            name: def.logical_id.clone(),
            api,
            // Lambda's own limit plus slack for a cold start.
            timeout: Duration::from_secs(def.timeout_secs + 5),
        }))
    }

    pub async fn invoke(&self, event: Value) -> Outcome {
        self.api.invoke(event, self.timeout).await
    }
}

/// Keeps one process of the function running (restarting it if it dies) until shutdown.
async fn supervise(
    name: String,
    binary: PathBuf,
    env: Vec<(String, String)>,
    log_path: PathBuf,
    instance: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let mut command = tokio::process::Command::new(&binary);
        command
            .env_clear()
            .envs(env.iter().cloned())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        crate::supervisor::tie_to_stack(&mut command);
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                tracing::error!(function = %name, error = %e, "cannot start");
                return;
            }
        };
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child.stderr.take().map(|s| Box::new(s) as _),
        ]
        .into_iter()
        .flatten()
        {
            let log_path = log_path.clone();
            let tag = format!("{name}#{instance}");
            tokio::spawn(async move {
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log_path)
                    .await
                    .ok();
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if crate::VERBOSE.load(Ordering::Relaxed) {
                        eprintln!("[{tag}] {line}");
                    }
                    if let Some(f) = file.as_mut() {
                        let _ = f.write_all(format!("[{tag}] {line}\n").as_bytes()).await;
                    }
                }
            });
        }
        let exited = tokio::select! {
            status = child.wait() => Some(status),
            _ = shutdown.wait_for(|s| *s) => None,
        };
        match exited {
            Some(_) if *shutdown.borrow() => return,
            Some(status) => {
                tracing::warn!(function = %name, ?status, "function process exited; restarting");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            None => {
                let _ = child.kill().await;
                return;
            }
        }
    }
}
