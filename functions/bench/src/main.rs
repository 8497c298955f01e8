//! `hitl-bench`: measures each function's real `bootstrap` binary under a Lambda Runtime API
//! of our own, against the local stack's moto (so DynamoDB, Step Functions and SES calls are
//! real HTTP round trips, as on AWS but without the network distance).
//!
//! Per function it prints: binary size, cold start (process spawn -> first event answered),
//! per-event latency p50/p99 over many warm events, and peak RSS (VmHWM).
//!
//! Usage: `hitl-bench [--events N] [--bin-dir target/release]` (`make bench` builds first).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, Mutex};

const SIGNING_KEYS: &str = "bench:benchmark-signing-key-0123456789abcdef";

/// The Runtime API side of one function: events go in, answers come out.
struct RuntimeApi {
    events: Mutex<mpsc::Receiver<(String, Value)>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Result<Value, String>>>>,
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> (HeaderMap, String) {
    let (id, event) = api.events.lock().await.recv().await.expect("bench closed");
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
    headers.insert(
        "lambda-runtime-deadline-ms",
        (now_ms() + 30_000).to_string().parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    (headers, event.to_string())
}

async fn respond(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(
        &api,
        &id,
        Ok(serde_json::from_slice(&body).unwrap_or(Value::Null)),
    )
    .await
}

async fn error(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, &id, Err(String::from_utf8_lossy(&body).into_owned())).await
}

async fn finish(api: &RuntimeApi, id: &str, result: Result<Value, String>) -> StatusCode {
    if let Some(tx) = api.pending.lock().await.remove(id) {
        let _ = tx.send(result);
    }
    StatusCode::ACCEPTED
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

struct Measured {
    size: u64,
    cold: Duration,
    warm: Vec<Duration>,
    peak_rss_kib: u64,
    outputs: Vec<Value>,
}

/// One function process under our Runtime API.
struct Function {
    api: Arc<RuntimeApi>,
    events: mpsc::Sender<(String, Value)>,
    child: tokio::process::Child,
}

impl Function {
    async fn spawn(binary: &std::path::Path, env: &[(&str, String)]) -> Result<Self, String> {
        let (events, rx) = mpsc::channel(1);
        let api = Arc::new(RuntimeApi {
            events: Mutex::new(rx),
            pending: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut child = Command::new(binary)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
        let stderr = child.stderr.take().unwrap();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("    [function] {line}");
            }
        });
        Ok(Function { api, events, child })
    }

    async fn invoke(&self, id: String, event: Value) -> Result<Value, String> {
        let (done_tx, done_rx) = oneshot::channel();
        self.api.pending.lock().await.insert(id.clone(), done_tx);
        self.events
            .send((id.clone(), event))
            .await
            .map_err(|_| "runtime closed".to_string())?;
        tokio::time::timeout(Duration::from_secs(30), done_rx)
            .await
            .map_err(|_| format!("{id}: no answer within 30 s"))?
            .map_err(|_| format!("{id}: answer lost"))?
            .map_err(|e| format!("{id} failed: {e}"))
    }

    fn peak_rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id().unwrap_or(0)))
                .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Runs one function: the first event measures the cold start, the rest the warm latency.
async fn measure(
    binary: &std::path::Path,
    env: &[(&str, String)],
    events: Vec<Value>,
) -> Result<Measured, String> {
    let size = std::fs::metadata(binary)
        .map_err(|e| format!("{}: {e} (run `make bench`)", binary.display()))?
        .len();
    let started = Instant::now();
    let function = Function::spawn(binary, env).await?;
    let mut cold = Duration::ZERO;
    let mut warm = Vec::with_capacity(events.len());
    let mut outputs = Vec::with_capacity(events.len());
    for (i, event) in events.into_iter().enumerate() {
        let t = Instant::now();
        outputs.push(function.invoke(format!("req-{i}"), event).await?);
        if i == 0 {
            cold = started.elapsed();
        } else {
            warm.push(t.elapsed());
        }
    }
    Ok(Measured {
        size,
        cold,
        warm,
        peak_rss_kib: function.peak_rss_kib(),
        outputs,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Starts the local stack (moto + provisioned table, SES identity) and returns its edge URL.
async fn start_stack(workspace: &PathBuf) -> Result<(tokio::process::Child, String), String> {
    let mut child = Command::new(workspace.join("target/debug/hitl-local"))
        .args([
            "up",
            "--edge-port",
            "0",
            "--api-port",
            "0",
            "--moto-port",
            "0",
            "--no-example",
            "--stop-on-stdin-eof",
        ])
        .current_dir(workspace)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!("start target/debug/hitl-local (run `cargo build --workspace`): {e}")
        })?;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(json) = line.strip_prefix("HITL_LOCAL_READY ") {
                return serde_json::from_str::<Value>(json).ok();
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the local stack did not start")?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((
        child,
        ready["edge"].as_str().unwrap_or_default().to_string(),
    ))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let count: usize = arg("--events").and_then(|n| n.parse().ok()).unwrap_or(200);
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let bin_dir = arg("--bin-dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target/release"));

    let (_stack, edge) = match start_stack(&workspace).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hitl-bench: {e}");
            std::process::exit(1);
        }
    };
    let common = vec![
        ("AWS_ENDPOINT_URL", edge.clone()),
        ("TABLE_NAME", "ApprovalsTable".to_string()),
        ("LINK_SIGNING_KEYS", SIGNING_KEYS.to_string()),
        (
            "DECISION_BASE_URL",
            "https://approvals.example.com".to_string(),
        ),
        ("SENDER_EMAIL", "approvals@example.com".to_string()),
    ];

    // Create links first: their outputs feed the wait and decision-api events.
    let create_events: Vec<Value> = (0..=count)
        .map(
            |i| json!({"title": format!("Bench approval {i}"), "approvers": ["owner@example.com"]}),
        )
        .collect();
    let mut rows = Vec::new();
    let create = measure(
        &bin_dir.join("create-approval-links"),
        &common,
        create_events,
    )
    .await;
    let links = create
        .as_ref()
        .map(|m| m.outputs.clone())
        .unwrap_or_default();
    rows.push(("create-approval-links", create));
    let wait_events = links.iter().map(|l| json!({"approvalId": l["approvalId"], "taskToken": format!("bench-token-{}", l["approvalId"])})).collect();
    rows.push((
        "wait-for-approval",
        measure(&bin_dir.join("wait-for-approval"), &common, wait_events).await,
    ));
    let email_events = links.iter().map(|l| json!({"approval": l})).collect();
    rows.push((
        "send-email",
        measure(&bin_dir.join("send-email"), &common, email_events).await,
    ));
    let page_events = links
        .iter()
        .map(|l| http_api_get(l["approveUrl"].as_str().unwrap_or_default()))
        .collect();
    rows.push((
        "decision-api (GET page)",
        measure(&bin_dir.join("decision-api"), &common, page_events).await,
    ));

    println!(
        "\n{:<26} {:>10} {:>12} {:>10} {:>10} {:>10}",
        "function", "size", "cold start", "p50", "p99", "peak RSS"
    );
    for (name, result) in rows {
        match result {
            Ok(mut m) => {
                m.warm.sort();
                println!(
                    "{:<26} {:>8.1}MB {:>10.1}ms {:>8.2}ms {:>8.2}ms {:>8.1}MB",
                    name,
                    m.size as f64 / 1_048_576.0,
                    m.cold.as_secs_f64() * 1000.0,
                    percentile(&m.warm, 50.0).as_secs_f64() * 1000.0,
                    percentile(&m.warm, 99.0).as_secs_f64() * 1000.0,
                    m.peak_rss_kib as f64 / 1024.0
                );
            }
            Err(e) => println!("{name:<26} failed: {e}"),
        }
    }
    println!("({count} warm events each; cold start = process spawn to first answer, against moto on loopback)");
}

/// An API Gateway HTTP API (payload 2.0) GET event for a link.
fn http_api_get(url: &str) -> Value {
    let (path_and_host, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path_and_host
        .splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_default();
    let approval_id = path.rsplit('/').next().unwrap_or_default();
    json!({
        "version": "2.0", "routeKey": "GET /decisions/{approvalId}", "rawPath": path, "rawQueryString": query,
        "headers": {"host": "approvals.example.com", "user-agent": "hitl-bench"},
        "pathParameters": {"approvalId": approval_id},
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "approvals.example.com",
            "domainPrefix": "approvals", "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "hitl-bench"}, "requestId": "bench", "routeKey": "GET /decisions/{approvalId}",
            "stage": "$default", "time": "25/Nov/2026:00:00:00 +0000", "timeEpoch": 0},
        "isBase64Encoded": false
    })
}
