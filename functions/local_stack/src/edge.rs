//! The edge: the one AWS endpoint the functions, moto's Step Functions engine and the user's
//! tools talk to. It serves the Lambda Invoke API itself (running our real binaries) and
//! forwards everything else to moto, watching SES sends for the local page.
//!
//! moto evaluates DynamoDB condition expressions without a lock, so two concurrent conditional
//! writes can both succeed there; DynamoDB applies them atomically per item. The edge restores
//! that guarantee by serializing DynamoDB write calls.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::outbox::Outbox;
use crate::runtime_api::FunctionPool;

pub struct Edge {
    pub moto: String,
    pub functions: BTreeMap<String, Arc<FunctionPool>>,
    pub outbox: Arc<Outbox>,
    pub http: reqwest::Client,
    dynamodb_writes: Mutex<()>,
}

impl Edge {
    pub fn new(
        moto: String,
        functions: BTreeMap<String, Arc<FunctionPool>>,
        outbox: Arc<Outbox>,
    ) -> Self {
        Edge {
            moto,
            functions,
            outbox,
            http: reqwest::Client::new(),
            dynamodb_writes: Mutex::new(()),
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

pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .fallback(forward)
        .with_state(edge)
}

async fn invoke(
    State(edge): State<Arc<Edge>>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some(pool) = edge.function(&function).cloned() else {
        return json_response(
            StatusCode::NOT_FOUND,
            &[("x-amzn-errortype", "ResourceNotFoundException")],
            json!({"Type": "User", "message": format!("Function not found: {function}")}),
        );
    };
    let event: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &[("x-amzn-errortype", "InvalidRequestContentException")],
                    json!({"Type": "User", "message": "Could not parse request body into json"}),
                )
            }
        }
    };
    if headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        == Some("Event")
    {
        tokio::spawn(async move {
            let _ = pool.invoke(event).await;
        });
        return Response::builder()
            .status(StatusCode::ACCEPTED)
            .body(Body::empty())
            .unwrap();
    }
    match pool.invoke(event).await {
        Ok(payload) => json_response(
            StatusCode::OK,
            &[("x-amz-executed-version", "$LATEST")],
            payload,
        ),
        // Lambda reports function errors with 200 and this header; Step Functions reads errorType.
        Err(error) => json_response(
            StatusCode::OK,
            &[
                ("x-amz-function-error", "Unhandled"),
                ("x-amz-executed-version", "$LATEST"),
            ],
            error,
        ),
    }
}

fn json_response(status: StatusCode, headers: &[(&str, &str)], body: Value) -> Response<Body> {
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

async fn forward(
    State(edge): State<Arc<Edge>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let _write_guard = match target.strip_prefix("DynamoDB_20120810.") {
        Some(op) if DYNAMODB_WRITES.contains(&op) => Some(edge.dynamodb_writes.lock().await),
        _ => None,
    };
    let url = format!(
        "{}{}",
        edge.moto,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = edge.http.request(method.clone(), &url).body(body.clone());
    for (name, value) in headers.iter() {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return json_response(
                StatusCode::BAD_GATEWAY,
                &[],
                json!({"message": format!("moto is not reachable: {e}")}),
            );
        }
    };
    let status = response.status();
    let mut builder = Response::builder().status(status);
    for (name, value) in response.headers() {
        if name != "transfer-encoding" && name != "content-length" && name != "connection" {
            builder = builder.header(name, value);
        }
    }
    let bytes = response.bytes().await.unwrap_or_default();
    if method == Method::POST && uri.path() == "/v2/email/outbound-emails" && status.is_success() {
        edge.outbox.record_sesv2(&body, &bytes);
    }
    builder.body(Body::from(bytes)).unwrap()
}
