//! Harness for the end-to-end tests: starts the local stack once per test binary (moto, the
//! real function binaries, the HttpApi) and offers clients and helpers to drive executions.
//!
//! The stack is started by `local_stack::launch`, which stops it when the test binary exits.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use local_stack::launch::LocalStack;
use serde::Deserialize;
use serde_json::Value;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

pub use local_stack::launch::Endpoints;

mod chat;
pub use chat::*;
mod workflows;
pub use workflows::{run_one_task, start_workflow};
pub mod examples;
mod stacks;
pub mod workspace;
pub use stacks::{stack_with, Configured};
pub mod votes;

static STACK: OnceLock<LocalStack> = OnceLock::new();

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where `cargo build` put the function binaries the local stack runs.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("debug")
}

/// The running local stack (started on first use, stopped when the test binary exits).
pub fn endpoints() -> Endpoints {
    STACK
        .get_or_init(|| {
            LocalStack::start(&bin_dir(), &workspace_root())
                .unwrap_or_else(|e| panic!("{e} (make test builds everything first)"))
        })
        .endpoints
        .clone()
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    let e = endpoints();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(e.edge)
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "test", "test", None, None, "e2e",
        ))
        .load()
        .await
}

pub async fn sfn() -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::new(&sdk_config().await)
}

pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}

/// An HTTP client that does not follow redirects and keeps no cookies: like a link click.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("hitl-e2e-tests")
        .build()
        .unwrap()
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub fn state_machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

pub async fn start_execution(state_machine: &str, input: Value) -> String {
    sfn()
        .await
        .start_execution()
        .state_machine_arn(state_machine_arn(state_machine))
        .name(unique("e2e"))
        .input(input.to_string())
        .send()
        .await
        .expect("StartExecution")
        .execution_arn()
        .to_string()
}

#[derive(Debug, Clone)]
pub struct Finished {
    pub status: String,
    pub output: Value,
    pub error: Option<String>,
}

/// Polls until the execution leaves RUNNING (or panics after `timeout`).
pub async fn wait_for_end(execution_arn: &str, timeout: Duration) -> Finished {
    wait_for_end_on(&sfn().await, execution_arn, timeout).await
}

/// [`wait_for_end`] through `client` (another stack's Step Functions).
pub async fn wait_for_end_on(
    client: &aws_sdk_sfn::Client,
    execution_arn: &str,
    timeout: Duration,
) -> Finished {
    let deadline = Instant::now() + timeout;
    loop {
        let out = client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .expect("DescribeExecution");
        let status = out.status().as_str().to_string();
        if status != "RUNNING" {
            return Finished {
                status,
                output: out
                    .output()
                    .map(|o| serde_json::from_str(o).unwrap())
                    .unwrap_or(Value::Null),
                error: out.error().map(str::to_string),
            };
        }
        assert!(
            Instant::now() < deadline,
            "execution {execution_arn} still RUNNING after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn execution_status(execution_arn: &str) -> String {
    sfn()
        .await
        .describe_execution()
        .execution_arn(execution_arn)
        .send()
        .await
        .unwrap()
        .status()
        .as_str()
        .to_string()
}

#[derive(Debug, Clone, Deserialize)]
pub struct SentEmail {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Waits for the emails whose subject contains `needle` (the local stack captures SES sends).
pub async fn emails_matching(needle: &str, count: usize) -> Vec<SentEmail> {
    let url = format!("{}/_local/api/emails", endpoints().api);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all: Vec<SentEmail> = http().get(&url).send().await.unwrap().json().await.unwrap();
        let found: Vec<SentEmail> = all
            .into_iter()
            .filter(|e| e.subject.contains(needle))
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {count} email(s) with {needle:?} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The approve and reject URLs of an email's text body.
pub fn links_of(email: &SentEmail) -> (String, String) {
    let find = |label: &str| {
        email
            .text
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} line in {}", email.text))
            .trim()
            .to_string()
    };
    (find("Approve: "), find("Reject: "))
}

pub struct PageResponse {
    pub status: u16,
    pub body: String,
}

pub async fn get(url: &str) -> PageResponse {
    let r = http().get(url).send().await.unwrap();
    PageResponse {
        status: r.status().as_u16(),
        body: r.text().await.unwrap(),
    }
}

/// Submits the confirmation form of a link (what the page's button does): POST of the link's
/// query fields to the link's path.
pub async fn confirm(url: &str, extra: &[(&str, &str)]) -> PageResponse {
    let (path, query) = url.split_once('?').expect("link has a query");
    let mut body = query.to_string();
    for (k, v) in extra {
        body.push('&');
        body.push_str(&format!("{k}={}", v.replace(' ', "+")));
    }
    let r = http()
        .post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    PageResponse {
        status: r.status().as_u16(),
        body: r.text().await.unwrap(),
    }
}

/// Invokes a function through the Lambda Invoke API, as Step Functions does. Returns the
/// function error type (if any) and the payload.
pub async fn invoke(function: &str, payload: &Value) -> (Option<String>, Value) {
    let url = format!(
        "{}/2015-03-31/functions/{function}/invocations",
        endpoints().edge
    );
    let r = http()
        .post(url)
        .body(payload.to_string())
        .send()
        .await
        .unwrap();
    let error = r
        .headers()
        .get("x-amz-function-error")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = r.json().await.unwrap();
    (error, body)
}

/// Events of an execution's history, by type.
pub async fn history_event_types(execution_arn: &str) -> Vec<String> {
    let out = sfn()
        .await
        .get_execution_history()
        .execution_arn(execution_arn)
        .max_results(1000)
        .send()
        .await
        .unwrap();
    out.events()
        .iter()
        .map(|e| e.r#type().as_str().to_string())
        .collect()
}

/// The JSON of the local page's API at `path` (`/_local/api/...`).
pub async fn local_api(path: &str) -> Value {
    http()
        .get(format!("{}{path}", endpoints().api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The stored record of a request (read through the edge, like any SDK client).
pub async fn approval_record(
    approval_id: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    dynamodb()
        .await
        .get_item()
        .table_name("ApprovalsTable")
        .key(
            "approvalId",
            aws_sdk_dynamodb::types::AttributeValue::S(approval_id.to_string()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_else(|| panic!("no record {approval_id}"))
}

/// A string or number attribute as text ("" when absent).
pub fn attr(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    name: &str,
) -> String {
    use aws_sdk_dynamodb::types::AttributeValue;
    match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        Some(AttributeValue::N(n)) => n.clone(),
        _ => String::new(),
    }
}
