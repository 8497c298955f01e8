//! The Lambda Invoke API, served by the edge itself: it runs our real binaries in their
//! [`FunctionPool`]s, answers at the concurrency limit as Lambda does, and queues `Event`
//! invocations.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Response, StatusCode};
use serde_json::{json, Value};

use super::{from_moto_engine, json_response, Edge};
use crate::runtime_api::pool::Throttled;
use crate::runtime_api::FunctionPool;

/// Lambda's answer at the concurrency limit. moto maps a failed invoke of a plain function-ARN
/// Task to the error `Exception` (only `arn:aws:states:::lambda:invoke` gets
/// `Lambda.TooManyRequestsException`), so an ASL `Retry` on the name Step Functions uses on AWS
/// would never match locally: for moto's engine the throttle comes back as a function error of
/// that name, which moto reports as `Lambda.TooManyRequestsException` for both Task forms.
pub(super) fn throttled(for_moto_engine: bool) -> Response<Body> {
    if for_moto_engine {
        return json_response(
            StatusCode::OK,
            &[
                ("x-amz-function-error", "Unhandled"),
                ("x-amz-executed-version", "$LATEST"),
            ],
            json!({"errorType": "Lambda.TooManyRequestsException", "errorMessage": "Rate Exceeded."}),
        );
    }
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &[("x-amzn-errortype", "TooManyRequestsException")],
        json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}),
    )
}

pub(super) async fn invoke(
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
    let Some(event) = invocation_event(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &[("x-amzn-errortype", "InvalidRequestContentException")],
            json!({"Type": "User", "message": "Could not parse request body into json"}),
        );
    };
    let invocation_type = headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok());
    if invocation_type == Some("Event") {
        queue_event(pool, event);
        return Response::builder()
            .status(StatusCode::ACCEPTED)
            .body(Body::empty())
            .unwrap();
    }
    match pool.try_invoke(event).await {
        Err(Throttled) => throttled(from_moto_engine(&headers)),
        Ok(Ok(payload)) => json_response(
            StatusCode::OK,
            &[("x-amz-executed-version", "$LATEST")],
            payload,
        ),
        // Lambda reports function errors with 200 and this header; Step Functions reads errorType.
        Ok(Err(error)) => json_response(
            StatusCode::OK,
            &[
                ("x-amz-function-error", "Unhandled"),
                ("x-amz-executed-version", "$LATEST"),
            ],
            error,
        ),
    }
}

/// The invocation's event: its JSON body, `{}` without one; `None` when it is not JSON.
fn invocation_event(body: &Bytes) -> Option<Value> {
    if body.is_empty() {
        return Some(json!({}));
    }
    serde_json::from_slice(body).ok()
}

/// An `Event` invocation: Lambda queues asynchronous events and retries throttles itself.
fn queue_event(pool: Arc<FunctionPool>, event: Value) {
    tokio::spawn(async move {
        for attempt in 0..60u32 {
            if pool.try_invoke(event.clone()).await.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(
                500 + 100 * u64::from(attempt),
            ))
            .await;
        }
    });
}
