//! The edge: the one AWS endpoint the functions, moto's Step Functions engine and the user's
//! tools talk to. It serves the Lambda Invoke API itself (running our real binaries) and
//! forwards everything else to moto, watching SES sends for the local page.
//!
//! moto evaluates DynamoDB condition expressions without a lock, so two concurrent conditional
//! writes can both succeed there; DynamoDB applies them atomically per item. The edge restores
//! that guarantee by serializing DynamoDB write calls.
//!
//! It also gives `StartExecution` without a `name` a fresh one (as AWS does; moto would reuse
//! one ARN), and injects faults ([`faults`]) into the calls it forwards.

pub mod dynamodb_locks;
pub mod faults;
mod lambda_invoke;
pub mod meter;
pub mod owner;
pub mod shapes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::outbox::Outbox;
use crate::runtime_api::FunctionPool;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, Response, StatusCode};
use axum::routing::post;
use axum::Router;
use dynamodb_locks::{Scope, WriteGuard, WriteLocks};
use faults::{Faults, Service};
use serde_json::{json, Value};

/// The two moto servers: Step Functions' engine in one, every other service in the other.
#[derive(Debug, Clone)]
pub struct Moto {
    pub data: String,
    pub sfn: String,
}

pub struct Edge {
    pub moto: Moto,
    pub functions: BTreeMap<String, Arc<FunctionPool>>,
    pub outbox: Arc<Outbox>,
    pub http: reqwest::Client,
    pub faults: Arc<Faults>,
    writes: WriteLocks,
}

impl Edge {
    pub fn new(
        moto: Moto,
        functions: BTreeMap<String, Arc<FunctionPool>>,
        outbox: Arc<Outbox>,
        faults: Arc<Faults>,
    ) -> Self {
        Edge {
            moto,
            functions,
            outbox,
            http: reqwest::Client::new(),
            faults,
            writes: WriteLocks::default(),
        }
    }

    /// Accepts a name, a function ARN or a partial ARN, as the Lambda API does.
    pub fn function(&self, name_or_arn: &str) -> Option<&Arc<FunctionPool>> {
        let name = name_or_arn
            .rsplit(':')
            .find(|part| self.functions.contains_key(*part))
            .unwrap_or(name_or_arn);
        self.functions.get(name)
    }
}

/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: fault injection that
/// kills a caller needs the peer address.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route(
            "/2015-03-31/functions/{function}/invocations",
            post(lambda_invoke::invoke),
        )
        .fallback(forward)
        .with_state(edge)
}

/// moto's Step Functions engine signs its calls with the access key `ak`
/// (`moto/stepfunctions/parser/asl/utils/boto_client.py`).
pub(super) fn from_moto_engine(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("Credential=ak/"))
}

pub(super) fn json_response(
    status: StatusCode,
    headers: &[(&str, &str)],
    body: Value,
) -> Response<Body> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in headers {
        response = response.header(*k, *v);
    }
    response.body(Body::from(body.to_string())).unwrap()
}

const DYNAMODB_WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
];

/// `StartExecution` without a `name`: AWS generates a UUID; moto would reuse one ARN.
pub fn name_execution(body: &Bytes) -> Bytes {
    let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(body) else {
        return body.clone();
    };
    let named = request
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    if named {
        return body.clone();
    }
    request.insert(
        "name".into(),
        Value::String(uuid::Uuid::new_v4().to_string()),
    );
    Bytes::from(Value::Object(request).to_string())
}

/// An unsigned `GET /`: what a client sends to open a connection before its first call
/// (`lambda_kit::http_client::open_connections` at cold start). AWS's endpoints answer it at their
/// front end (DynamoDB: `healthy: dynamodb.<region>.amazonaws.com`), with no service work; so
/// does the edge, instead of queueing it at moto behind every other call (in a flood of cold
/// starts moto took ~0.4-0.7 s, p50, to answer it; no AWS endpoint does). This shortens a
/// local cold start; it is not what fails the flood scenario above ~50 forged requests a
/// second on 2 cores (the Decision API's 100 executions all cold-starting at once is).
fn is_connection_probe(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    method == Method::GET
        && uri.path() == "/"
        && uri.query().is_none()
        && !headers.contains_key("authorization")
        && !headers.contains_key("x-amz-target")
}

fn healthy() -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/plain")
        .body(Body::from("healthy: hitl local edge"))
        .unwrap()
}

async fn forward(State(edge): State<Arc<Edge>>, request: Request) -> Response<Body> {
    if is_connection_probe(request.method(), request.uri(), request.headers()) {
        return healthy();
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let (parts, body) = request.into_parts();
    let Ok(mut body) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &[],
            json!({"message": "body too large"}),
        );
    };
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let call = shapes::classify_aws(&headers, &method, uri.path());
    if let Some((service, operation)) = &call {
        if let Some(fault) = shapes::inject(&edge.faults, *service, operation, &body).await {
            return fault;
        }
        if *service == Service::Sfn && operation == "StartExecution" {
            body = name_execution(&body);
        }
    }
    let _write_guard = match &call {
        Some((Service::Dynamodb, op)) if DYNAMODB_WRITES.contains(&op.as_str()) => {
            Some(lock_write(&edge, op, &headers, &body).await)
        }
        _ => None,
    };
    let metered = meter::before(&edge, &call, &headers, &body, peer).await;
    let moto = match &call {
        Some((Service::Sfn, _)) => &edge.moto.sfn,
        _ => &edge.moto.data,
    };
    let response = match to_moto(&edge, moto, &method, &uri, &headers, body.clone()).await {
        Ok(r) => r,
        Err(e) => {
            return json_response(
                StatusCode::BAD_GATEWAY,
                &[],
                json!({"message": format!("moto is not reachable: {e}")}),
            );
        }
    };
    meter::after(&edge, metered, &headers, &body, (response.0, &response.2)).await;
    let sent_email = method == Method::POST && uri.path() == "/v2/email/outbound-emails";
    if sent_email && response.0.is_success() {
        edge.outbox.record_sesv2(&body, &response.2);
    }
    if let (Some((service, operation)), Some(peer)) = (&call, peer) {
        let call = format!("{}.{operation}", service.as_str());
        kill_caller_if_chosen(&edge, &call, &body, response.0.is_success(), peer);
    }
    moto_response(response)
}

/// moto's answer, without the hop-by-hop headers the server sets again.
fn moto_response((status, response_headers, bytes): MotoAnswer) -> Response<Body> {
    let mut builder = Response::builder().status(status);
    for (name, value) in response_headers.iter() {
        if name != "transfer-encoding" && name != "content-length" && name != "connection" {
            builder = builder.header(name, value);
        }
    }
    builder.body(Body::from(bytes)).unwrap()
}

/// moto's status, headers and body.
type MotoAnswer = (StatusCode, HeaderMap, Bytes);

async fn to_moto(
    edge: &Edge,
    moto: &str,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<MotoAnswer, reqwest::Error> {
    let url = format!(
        "{moto}{}",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = edge.http.request(method.clone(), &url).body(body);
    for (name, value) in headers.iter() {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    Ok((status, headers, bytes))
}

/// Serializes a DynamoDB write with the other writes of its item.
async fn lock_write<'a>(
    edge: &'a Edge,
    op: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> WriteGuard<'a> {
    let item = match dynamodb_locks::scope(op, body) {
        Scope::Item(key) => Some(key),
        Scope::PutInto(table) => {
            let names = match edge.writes.key_names(&table) {
                Some(names) => Some(names),
                None => key_names(edge, &table, headers).await,
            };
            names.and_then(|names| dynamodb_locks::item_key(&table, &names, body))
        }
        Scope::All => None,
    };
    edge.writes.lock(item.as_deref()).await
}

/// The key attribute names of `table`, asked of moto once.
async fn key_names(edge: &Edge, table: &str, headers: &HeaderMap) -> Option<Vec<String>> {
    let mut describe = HeaderMap::new();
    if let Some(auth) = headers.get("authorization") {
        describe.insert("authorization", auth.clone());
    }
    describe.insert(
        "x-amz-target",
        "DynamoDB_20120810.DescribeTable".parse().ok()?,
    );
    describe.insert("content-type", "application/x-amz-json-1.0".parse().ok()?);
    let body = Bytes::from(json!({"TableName": table}).to_string());
    let uri = axum::http::Uri::from_static("/");
    let (status, _, bytes) = to_moto(edge, &edge.moto.data, &Method::POST, &uri, &describe, body)
        .await
        .ok()?;
    if !status.is_success() {
        return None;
    }
    let names = dynamodb_locks::key_names_of(&serde_json::from_slice(&bytes).ok()?)?;
    edge.writes.remember_key_names(table, names.clone());
    Some(names)
}

/// A kill rule matched the call just forwarded: if a process of the rule's function made it
/// and the draw says so, that process dies before it sees the answer.
fn kill_caller_if_chosen(edge: &Edge, call: &str, body: &[u8], succeeded: bool, peer: SocketAddr) {
    for (rule, function) in edge.faults.kill_candidates(call, body, succeeded) {
        let Some(pool) = edge.functions.get(&function) else {
            continue;
        };
        let Some(pid) = owner::caller(&peer, &pool.pids()) else {
            continue;
        };
        if edge.faults.roll_kill(rule) {
            tracing::warn!(
                function,
                pid,
                call,
                "fault injection: killing the process after its call"
            );
            pool.kill(pid);
            return;
        }
    }
}

#[cfg(test)]
mod tests;
