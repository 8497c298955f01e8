//! The Lambda Runtime API of one execution environment, the way the Lambda service serves it:
//! the function's real `bootstrap` long-polls `/next`, answers with `/response` or `/error`.
//!
//! Each process gets a Runtime API of its own (as each Lambda execution environment does), so
//! the local stack always knows which process holds which invocation: the function timeout
//! starts when the process picks the event up, and a process that dies while holding one is
//! answered for at once ([`RuntimeApi::abandon`]). [`pool::FunctionPool`] scales these out per
//! concurrent invocation.

pub mod limits;
pub mod pool;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;

pub use pool::FunctionPool;

/// What an invocation ended with: the payload, or the function's `{errorType, errorMessage}`.
pub type Outcome = Result<Value, Value>;

/// How long an event may wait for a process to pick it up (a cold start on a busy machine),
/// before the function timeout starts counting.
pub const PICKUP_LIMIT: Duration = Duration::from_secs(60);

/// One event on its way to a process, with where its answer goes.
pub struct Invocation {
    pub id: String,
    pub event: Value,
    /// The function timeout, counted from the pick-up.
    pub timeout: Duration,
    pub reply: oneshot::Sender<Outcome>,
}

impl Invocation {
    pub fn new(id: String, event: Value, timeout: Duration) -> (Self, oneshot::Receiver<Outcome>) {
        let (reply, rx) = oneshot::channel();
        let invocation = Invocation {
            id,
            event,
            timeout,
            reply,
        };
        (invocation, rx)
    }

    /// Answers the caller (who may have stopped waiting).
    pub fn answer(self, outcome: Outcome) {
        let _ = self.reply.send(outcome);
    }
}

/// What a pool learns from the Runtime API of one of its processes.
pub trait Lifecycle: Send + Sync {
    /// The process polls `/next` and has nothing handed to it yet.
    fn ready(&self);
    /// The invocation the process held was answered, by the process or by its timeout (then
    /// the process must be stopped, as Lambda resets a timed-out environment).
    fn finished(&self, timed_out: bool);
}

struct Current {
    id: String,
    reply: oneshot::Sender<Outcome>,
    timer: JoinHandle<()>,
    /// When the process picked the event up: Lambda bills from here (the meter).
    picked_up: std::time::Instant,
}

struct Shared {
    arn: String,
    inbox: Mutex<VecDeque<Invocation>>,
    arrived: Notify,
    current: Mutex<Option<Current>>,
    lifecycle: Option<Arc<dyn Lifecycle>>,
    /// Served since (the process starts right after): its first poll ends its init (the meter).
    started: std::time::Instant,
    polled: std::sync::atomic::AtomicBool,
}

/// The Runtime API of one process, served on a free loopback port.
pub struct RuntimeApi {
    /// `host:port`, the `AWS_LAMBDA_RUNTIME_API` value for the process.
    pub address: String,
    shared: Arc<Shared>,
    counter: AtomicU64,
    server: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn header(v: String) -> HeaderValue {
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""))
}

async fn next(State(s): State<Arc<Shared>>) -> (HeaderMap, String) {
    if let Some(lifecycle) = &s.lifecycle {
        lifecycle.ready();
    }
    if !s.polled.swap(true, Ordering::Relaxed) {
        crate::edge::meter::METER.initialized(&s.arn, s.started.elapsed());
    }
    let invocation = loop {
        let arrived = s.arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        if let Some(invocation) = s.inbox.lock().unwrap().pop_front() {
            break invocation;
        }
        arrived.await;
    };
    let Invocation {
        id,
        event,
        timeout,
        reply,
    } = invocation;
    // Lambda's clock for the function starts now, not when the event was queued.
    let deadline = now_ms() + timeout.as_millis();
    let timer = tokio::spawn(expire(Arc::downgrade(&s), id.clone(), timeout));
    *s.current.lock().unwrap() = Some(Current {
        id: id.clone(),
        reply,
        timer,
        picked_up: std::time::Instant::now(),
    });
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", header(id));
    headers.insert("lambda-runtime-deadline-ms", header(deadline.to_string()));
    headers.insert("lambda-runtime-invoked-function-arn", header(s.arn.clone()));
    headers.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static("Root=1-00000000-000000000000000000000000;Sampled=0"),
    );
    (headers, event.to_string())
}

/// The function timeout: answers `Sandbox.Timedout` as Lambda does.
async fn expire(shared: Weak<Shared>, id: String, timeout: Duration) {
    tokio::time::sleep(timeout).await;
    let Some(s) = shared.upgrade() else { return };
    let current = {
        let mut slot = s.current.lock().unwrap();
        match slot.as_ref() {
            Some(c) if c.id == id => slot.take(),
            _ => None,
        }
    };
    if let Some(current) = current {
        crate::edge::meter::METER.invoked(&s.arn, current.picked_up.elapsed());
        let message = format!(
            "RequestId: {id} Error: Task timed out after {:.2} seconds",
            timeout.as_secs_f64()
        );
        let _ = current.reply.send(Err(
            json!({"errorType": "Sandbox.Timedout", "errorMessage": message}),
        ));
        if let Some(lifecycle) = &s.lifecycle {
            lifecycle.finished(true);
        }
    }
}

async fn respond(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    finish(&s, &id, Ok(value))
}

async fn error(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or_else(
        |_| json!({"errorType": "Runtime.Unknown", "errorMessage": String::from_utf8_lossy(&body)}),
    );
    finish(&s, &id, Err(value))
}

async fn init_error(State(s): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    tracing::error!(function = %s.arn, error = %String::from_utf8_lossy(&body), "function failed to initialize");
    StatusCode::ACCEPTED
}

fn finish(s: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    let current = {
        let mut slot = s.current.lock().unwrap();
        match slot.as_ref() {
            Some(c) if c.id == id => slot.take(),
            _ => None,
        }
    };
    let Some(current) = current else {
        // Late (after the timeout) or unknown: Lambda refuses it too.
        return StatusCode::BAD_REQUEST;
    };
    current.timer.abort();
    crate::edge::meter::METER.invoked(&s.arn, current.picked_up.elapsed());
    let _ = current.reply.send(outcome);
    if let Some(lifecycle) = &s.lifecycle {
        lifecycle.finished(false);
    }
    StatusCode::ACCEPTED
}

impl RuntimeApi {
    /// Serves a Runtime API for the function `arn` until `shutdown` turns true or the value is
    /// dropped; events go to whichever poller asks first (one process, as in the benchmark).
    pub async fn serve(arn: String, shutdown: watch::Receiver<bool>) -> anyhow::Result<Self> {
        Self::serve_with(arn, None, shutdown).await
    }

    /// As [`RuntimeApi::serve`], reporting the process's polls and answers to `lifecycle`.
    pub async fn serve_with(
        arn: String,
        lifecycle: Option<Arc<dyn Lifecycle>>,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            arn,
            inbox: Mutex::new(VecDeque::new()),
            arrived: Notify::new(),
            current: Mutex::new(None),
            lifecycle,
            started: std::time::Instant::now(),
            polled: std::sync::atomic::AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .with_context(|| format!("a Runtime API port for {}", shared.arn))?;
        let port = listener.local_addr()?.port();
        let mut stop = shutdown;
        let server = tokio::spawn(async move {
            tokio::select! {
                _ = axum::serve(listener, app) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
        Ok(RuntimeApi {
            address: format!("127.0.0.1:{port}"),
            shared,
            counter: AtomicU64::new(0),
            server,
        })
    }

    /// Hands an invocation to the process (its next poll of `/next` picks it up).
    pub fn deliver(&self, invocation: Invocation) {
        self.shared.inbox.lock().unwrap().push_back(invocation);
        self.shared.arrived.notify_one();
    }

    /// The process is gone: answers the invocation it held with `error(request id)` and
    /// returns those handed to it but not picked up. `true` if it held one.
    pub fn abandon(&self, error: impl FnOnce(&str) -> Value) -> (bool, Vec<Invocation>) {
        let held = self.shared.current.lock().unwrap().take();
        let was_holding = held.is_some();
        if let Some(current) = held {
            current.timer.abort();
            let _ = current.reply.send(Err(error(&current.id)));
        }
        let leftovers = self.shared.inbox.lock().unwrap().drain(..).collect();
        (was_holding, leftovers)
    }

    /// A fresh request id.
    pub fn request_id(&self) -> String {
        format!(
            "{}-{}",
            uuid::Uuid::new_v4().simple(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Hands `event` to the next polling process; `Sandbox.Timedout` `timeout` after the pick-up.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Outcome {
        let (invocation, answer) = Invocation::new(self.request_id(), event, timeout);
        self.deliver(invocation);
        match tokio::time::timeout(PICKUP_LIMIT + timeout, answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(stopped()),
            Err(_) => Err(
                json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("{} did not pick the event up within {PICKUP_LIMIT:?}", self.shared.arn)}),
            ),
        }
    }
}

/// The answer when the local stack stops under an invocation.
pub fn stopped() -> Value {
    json!({"errorType": "Local.Stopped", "errorMessage": "the local stack is stopping"})
}
