//! `hitl-bench`: measures each function's real `bootstrap` binary under a Lambda Runtime API
//! of our own, against the local stack's moto (so DynamoDB, Step Functions and SES calls are
//! real HTTP round trips, as on AWS but without the network distance).
//!
//! Per function it prints: binary size, cold start (process spawn -> first event answered),
//! per-event latency p50/p99 over many warm events, and peak RSS (VmHWM).
//!
//! Usage: `hitl-bench [--events N] [--bin-dir target/release]` (`make bench` builds first).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use local_stack::http_api;
use local_stack::launch::LocalStack;
use local_stack::runtime_api::RuntimeApi;
use local_stack::standins::slack::SlackStandIn;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

const KEY_RING: &str =
    r#"{"currentKeyId": "bench", "currentKey": "benchmark-signing-key-0123456789abcdef"}"#;
const SLACK_BOT_TOKEN: &str = "xoxb-bench";
const SLACK_SIGNING_SECRET: &str = "bench-slack-signing-secret";

struct Measured {
    size: u64,
    cold: Duration,
    warm: Vec<Duration>,
    peak_rss_kib: u64,
    outputs: Vec<Value>,
}

/// One function process under our Runtime API (the local stack's own).
struct Function {
    api: RuntimeApi,
    child: tokio::process::Child,
    _stop: watch::Sender<bool>,
}

impl Function {
    async fn spawn(binary: &std::path::Path, env: &[(&str, String)]) -> Result<Self, String> {
        let (stop, shutdown) = watch::channel(false);
        let api = RuntimeApi::serve(
            "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
            shutdown,
        )
        .await?;
        let mut child = Command::new(binary)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", &api.address)
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
        Ok(Function {
            api,
            child,
            _stop: stop,
        })
    }

    async fn invoke(&self, event: Value) -> Result<Value, String> {
        self.api
            .invoke(event, Duration::from_secs(30))
            .await
            .map_err(|e| format!("failed: {e}"))
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
        outputs.push(function.invoke(event).await?);
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

    // The stack (moto, table, SES identity) is built in debug; the measured binaries are not.
    let stack =
        LocalStack::start(&workspace.join("target/debug"), &workspace).unwrap_or_else(|e| fail(&e));
    let edge = stack.endpoints.edge.clone();
    put_secrets(&edge).await;
    let common = vec![
        ("AWS_ENDPOINT_URL", edge.clone()),
        ("TABLE_NAME", "ApprovalsTable".to_string()),
        (
            "LINK_SIGNING_KEYS_SECRET_ID",
            "bench/link-signing-keys".to_string(),
        ),
        (
            "DECISION_BASE_URL",
            "https://approvals.example.com".to_string(),
        ),
        ("SENDER_EMAIL", "approvals@example.com".to_string()),
    ];
    let mut rows = link_rows(&bin_dir, &common, count).await;
    rows.extend(slack_rows(&bin_dir, &common, count).await);
    print_table(rows, count);
}

fn fail(message: &str) -> ! {
    eprintln!("hitl-bench: {message}");
    std::process::exit(1);
}

/// One line of the report: a function (and what it was asked) and how it did.
type Row = (&'static str, Result<Measured, String>);

/// The functions read their secrets from (moto's) Secrets Manager, as deployed.
async fn put_secrets(edge: &str) {
    let sdk = local_stack::provision::sdk_config(edge).await;
    for (name, value) in [
        ("bench/link-signing-keys", KEY_RING),
        ("bench/slack-bot-token", SLACK_BOT_TOKEN),
        ("bench/slack-signing-secret", SLACK_SIGNING_SECRET),
    ] {
        if let Err(e) = local_stack::provision::put_secret(&sdk, name, value).await {
            fail(&e);
        }
    }
}

/// The email path: links first (their outputs feed the wait, email and page events).
async fn link_rows(bin_dir: &Path, common: &[(&'static str, String)], count: usize) -> Vec<Row> {
    let create_events: Vec<Value> = (0..=count)
        .map(
            |i| json!({"title": format!("Bench approval {i}"), "approvers": ["owner@example.com"]}),
        )
        .collect();
    let create = measure(
        &bin_dir.join("create-approval-links"),
        common,
        create_events,
    )
    .await;
    let links = create
        .as_ref()
        .map(|m| m.outputs.clone())
        .unwrap_or_default();
    let mut rows = vec![("create-approval-links", create)];
    let wait_events = links.iter().map(|l| json!({"approvalId": l["approvalId"], "taskToken": format!("bench-token-{}", l["approvalId"])})).collect();
    rows.push((
        "wait-for-approval",
        measure(&bin_dir.join("wait-for-approval"), common, wait_events).await,
    ));
    let email_events = links.iter().map(|l| json!({"approval": l})).collect();
    rows.push((
        "send-email",
        measure(&bin_dir.join("send-email"), common, email_events).await,
    ));
    let page_events = links
        .iter()
        .map(|l| http_api_get(l["links"][0]["approveUrl"].as_str().unwrap_or_default()))
        .collect();
    rows.push((
        "decision-api (GET page)",
        measure(&bin_dir.join("decision-api"), common, page_events).await,
    ));
    rows
}

/// Slack: the local stack's Slack stand-in, served here with credentials the bench knows, so
/// the click events can be signed as Slack signs them.
async fn slack_rows(bin_dir: &Path, common: &[(&'static str, String)], count: usize) -> Vec<Row> {
    let slack_api = serve_slack_standin().await;
    let mut slack_env = common.to_vec();
    slack_env.extend([
        ("SLACK_API_URL", slack_api),
        (
            "SLACK_BOT_TOKEN_SECRET_ID",
            "bench/slack-bot-token".to_string(),
        ),
        (
            "SLACK_SIGNING_SECRET_SECRET_ID",
            "bench/slack-signing-secret".to_string(),
        ),
    ]);
    let request_events = (0..=count)
        .map(|i| json!({"channel": "#approvals", "text": format!("Bench request {i}"), "taskToken": format!("bench-slack-token-{i}")}))
        .collect();
    let requests = measure(
        &bin_dir.join("slack-request-action"),
        &slack_env,
        request_events,
    )
    .await;
    let posted = requests
        .as_ref()
        .map(|m| m.outputs.clone())
        .unwrap_or_default();
    let mut rows = vec![("slack-request-action", requests)];
    let click_events = posted.iter().map(slack_click_event).collect();
    let clicks = measure(&bin_dir.join("decision-api"), &slack_env, click_events).await;
    if let Ok(m) = &clicks {
        // Only clicks that passed the signature check and were handled count.
        let refused = m.outputs.iter().filter(|o| o["statusCode"] != 200).count();
        if refused > 0 {
            eprintln!(
                "hitl-bench: {refused} Slack clicks were not answered 200: {}",
                m.outputs[0]
            );
        }
    }
    rows.push(("decision-api (Slack click)", clicks));
    // The sweep as it runs most of the time: an index query that finds nothing expired (the
    // requests above expire tomorrow).
    let sweep_events = (0..=count).map(|_| json!({})).collect();
    let sweeper = bin_dir.join("slack-expiry-sweeper");
    rows.push((
        "slack-expiry-sweeper (idle)",
        measure(&sweeper, &slack_env, sweep_events).await,
    ));
    rows
}

fn print_table(rows: Vec<Row>, count: usize) {
    println!(
        "\n{:<26} {:>10} {:>12} {:>10} {:>10} {:>10}",
        "function", "size", "cold start", "p50", "p99", "peak RSS"
    );
    for (name, result) in rows {
        match result {
            Ok(mut m) => {
                m.warm.sort();
                println!(
                    "{:<28} {:>8.1}MB {:>10.1}ms {:>8.2}ms {:>8.2}ms {:>8.1}MB",
                    name,
                    m.size as f64 / 1_048_576.0,
                    m.cold.as_secs_f64() * 1000.0,
                    percentile(&m.warm, 50.0).as_secs_f64() * 1000.0,
                    percentile(&m.warm, 99.0).as_secs_f64() * 1000.0,
                    m.peak_rss_kib as f64 / 1024.0
                );
            }
            Err(e) => println!("{name:<28} failed: {e}"),
        }
    }
    println!("({count} warm events each; cold start = process spawn to first answer, against moto on loopback)");
}

/// The API Gateway HTTP API (payload 2.0) event of a click on a link, as the local stack
/// builds it for the real routes.
fn http_api_get(url: &str) -> Value {
    let uri: Uri = url.parse().unwrap_or_default();
    let approval_id = uri.path().rsplit('/').next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("approvals.example.com"));
    headers.insert("user-agent", HeaderValue::from_static("hitl-bench"));
    let mut path_parameters = serde_json::Map::new();
    path_parameters.insert("approvalId".into(), json!(approval_id));
    http_api::event(
        "GET /decisions/{approvalId}",
        &Method::GET,
        &uri,
        &headers,
        "127.0.0.1",
        b"",
        path_parameters,
    )
}

/// Serves the Slack stand-in on a free port; returns its Web API base URL.
async fn serve_slack_standin() -> String {
    let standin = SlackStandIn::new(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, "http://127.0.0.1:9/");
    let app = axum::Router::new().nest("/slack", standin.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the Slack stand-in");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/slack/api")
}

/// The HttpApi event of Slack's signed `block_actions` request for a click on Approve of a
/// Request Action message (`{approvalId, channel, ts}`).
fn slack_click_event(posted: &Value) -> Value {
    let field = |k: &str| posted[k].as_str().unwrap_or_default().to_string();
    let (approval_id, channel, ts) = (field("approvalId"), field("channel"), field("ts"));
    let blocks = channels::slack::request_blocks(
        &approval_id,
        None,
        "Bench",
        &[channels::slack::Button {
            label: Some("Approve".into()),
            value: Some("approve".into()),
            style: Some("primary".into()),
            confirm: None,
        }],
    );
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0LOCAL"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "channel": {"id": channel},
        "message": {"ts": ts, "text": "Bench", "blocks": blocks},
        "actions": [{"type": "button", "block_id": format!("hitl:{approval_id}"), "action_id": "hitl_button_0", "value": "approve"}],
    });
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = channels::slack::sign(SLACK_SIGNING_SECRET, &timestamp, body.as_bytes());
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("approvals.example.com"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers.insert("x-slack-request-timestamp", timestamp.parse().unwrap());
    headers.insert("x-slack-signature", signature.parse().unwrap());
    http_api::event(
        "POST /slack/interactions",
        &Method::POST,
        &Uri::from_static("/slack/interactions"),
        &headers,
        "127.0.0.1",
        body.as_bytes(),
        serde_json::Map::new(),
    )
}
