//! Which service and operation a call is, and the answers a fault gives in each service's real
//! shape: the AWS JSON protocol's `__type` for Step Functions, DynamoDB and Secrets Manager, SESv2's
//! `x-amzn-ErrorType`, Slack's `ratelimited` with `Retry-After`, Graph's and Jira's bodies.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response};
use axum::middleware::Next;
use serde_json::{json, Value};

use super::faults::{Faults, Injected, Service};

/// An AWS call at the edge: `(service, operation)`, from `X-Amz-Target` or SESv2's REST path.
pub fn classify_aws(headers: &HeaderMap, method: &Method, path: &str) -> Option<(Service, String)> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(op) = target.strip_prefix("AWSStepFunctions.") {
        return Some((Service::Sfn, op.to_string()));
    }
    if let Some(op) = target.strip_prefix("DynamoDB_20120810.") {
        return Some((Service::Dynamodb, op.to_string()));
    }
    if let Some(op) = target.strip_prefix("secretsmanager.") {
        return Some((Service::SecretsManager, op.to_string()));
    }
    if let Some(op) = target.strip_prefix("AWSEvents.") {
        return Some((Service::Events, op.to_string()));
    }
    let rest = path.strip_prefix("/v2/email/")?;
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let op = match (method.as_str(), segments.as_slice()) {
        ("POST", ["outbound-emails"]) => "SendEmail".to_string(),
        ("POST", ["identities"]) => "CreateEmailIdentity".to_string(),
        ("GET", ["identities"]) => "ListEmailIdentities".to_string(),
        ("GET", ["identities", _]) => "GetEmailIdentity".to_string(),
        ("DELETE", ["identities", _]) => "DeleteEmailIdentity".to_string(),
        ("GET", ["account"]) => "GetAccount".to_string(),
        (m, s) => format!("{m} {}", s.first().copied().unwrap_or("")),
    };
    Some((Service::Ses, op))
}

/// A stand-in call's operation (`None` for the `/_control` test hooks, never faulted): Slack's
/// Web API method (`chat.update`); Teams `webhook`, `token`, `channelMessage`, `chatMessage`;
/// Jira `getIssue`, `addComment`, `getTransitions`, `doTransition`.
pub fn standin_operation(service: Service, method: &Method, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.first() == Some(&"_control") {
        return None;
    }
    let op = match (service, segments.as_slice()) {
        (Service::Slack, ["api", slack_method]) => slack_method.to_string(),
        (Service::Teams, ["webhook", ..]) => "webhook".into(),
        (Service::Teams, ["login", ..]) => "token".into(),
        (Service::Teams, ["graph", _, "teams", ..]) => "channelMessage".into(),
        (Service::Teams, ["graph", _, "chats", ..]) => "chatMessage".into(),
        (Service::Jira, [.., "comment"]) => "addComment".into(),
        (Service::Jira, [.., "transitions"]) if method == Method::GET => "getTransitions".into(),
        (Service::Jira, [.., "transitions"]) => "doTransition".into(),
        (Service::Jira, [.., "issue", _]) => "getIssue".into(),
        (_, s) => s.join("/"),
    };
    Some(op)
}

/// An AWS JSON protocol error (Step Functions, DynamoDB).
fn aws_json(status: u16, error_type: &str, message: &str) -> Response<Body> {
    let body = json!({"__type": error_type, "message": message});
    let mut r = json_body(status, &[], body);
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    r
}

/// An AWS JSON 1.1 error (Secrets Manager): the shape's bare name in `__type`; the service's
/// own errors carry `Message`, the front end's throttling `message` (`message_key`).
fn aws_json_1_1(status: u16, error_type: &str, message_key: &str, message: &str) -> Response<Body> {
    let body = json!({"__type": error_type, message_key: message});
    let mut r = json_body(status, &[], body);
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    r
}

/// An AWS REST-JSON error (SESv2): the code in `x-amzn-ErrorType`.
fn rest_json(status: u16, error_type: &str, message: &str) -> Response<Body> {
    json_body(
        status,
        &[("x-amzn-errortype", error_type)],
        json!({"message": message}),
    )
}

fn json_body(status: u16, headers: &[(&str, &str)], body: Value) -> Response<Body> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string());
    for (k, v) in headers {
        response = response.header(*k, *v);
    }
    response.body(Body::from(body.to_string())).unwrap()
}

fn plain(status: u16, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Body::from(text.to_string()))
        .unwrap()
}

const DYNAMODB_ITEM_OPS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

const COOL_DOWN: [(&str, &str); 1] = [("retry-after", "1")];

/// The answer of an injected fault, in the service's shape.
pub fn fault_response(service: Service, operation: &str, fault: Injected) -> Response<Body> {
    use Injected::{Error, Throttle};
    const AVAILABILITY: &str = "com.amazon.coral.availability";
    const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810";
    match (service, fault) {
        (Service::Sfn, Error) => aws_json(503, &format!("{AVAILABILITY}#ServiceUnavailableException"), "Service Unavailable"),
        (Service::Sfn, Throttle) => aws_json(400, &format!("{AVAILABILITY}#ThrottlingException"), "Rate exceeded"),
        (Service::Dynamodb, Error) => aws_json(500, &format!("{DYNAMODB}#InternalServerError"), "Internal server error"),
        (Service::Dynamodb, Throttle) if DYNAMODB_ITEM_OPS.contains(&operation) => aws_json(
            400,
            &format!("{DYNAMODB}#ProvisionedThroughputExceededException"),
            "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        ),
        (Service::Dynamodb, Throttle) => aws_json(400, &format!("{AVAILABILITY}#ThrottlingException"), "Rate of requests exceeds the allowed throughput."),
        (Service::Ses, Error) => rest_json(500, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure."),
        (Service::Ses, Throttle) => rest_json(429, "TooManyRequestsException", "Too many requests have been made to the operation."),
        (Service::SecretsManager, Error) => aws_json_1_1(500, "InternalServiceError", "Message", "An error occurred on the server side."),
        (Service::SecretsManager, Throttle) => aws_json_1_1(400, "ThrottlingException", "message", "Rate exceeded"),
        (Service::Events, Error) => aws_json_1_1(500, "InternalException", "message", "An internal error occurred."),
        (Service::Events, Throttle) => aws_json_1_1(400, "ThrottlingException", "message", "Rate exceeded"),
        (Service::Slack, Error) => plain(500, "Internal Server Error"),
        (Service::Slack, Throttle) => json_body(429, &COOL_DOWN, json!({"ok": false, "error": "ratelimited"})),
        (Service::Teams, Error) => json_body(503, &[], json!({"error": {"code": "serviceNotAvailable", "message": "The service is temporarily unavailable."}})),
        (Service::Teams, Throttle) => json_body(429, &COOL_DOWN, json!({"error": {"code": "TooManyRequests", "message": "Too many requests."}})),
        (Service::Jira, Error) => json_body(503, &[], json!({"errorMessages": ["Service unavailable."], "errors": {}})),
        (Service::Jira, Throttle) => json_body(429, &COOL_DOWN, json!({"errorMessages": ["Rate limit exceeded."], "errors": {}})),
    }
}

/// Middleware on a stand-in's router: latency, then an injected error or the stand-in itself.
pub async fn standin_faults(
    State((faults, service)): State<(Arc<Faults>, Service)>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let Some(operation) = standin_operation(service, request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    super::meter::METER.standin(service.as_str(), &operation);
    // A stand-in's body is not read here: rules with `bodyContains` are for AWS calls.
    match inject(&faults, service, &operation, &[]).await {
        Some(fault) => fault,
        None => next.run(request).await,
    }
}

/// Draws the call's fault: waits the rule's latency, then the fault's answer or `None` (go
/// on to the service).
pub async fn inject(
    faults: &Faults,
    service: Service,
    operation: &str,
    body: &[u8],
) -> Option<Response<Body>> {
    let decision = faults.decide(service, operation, body);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    decision
        .inject
        .map(|fault| fault_response(service, operation, fault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_classified_by_target_or_path() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-target",
            "AWSStepFunctions.SendTaskSuccess".parse().unwrap(),
        );
        assert_eq!(
            classify_aws(&h, &Method::POST, "/"),
            Some((Service::Sfn, "SendTaskSuccess".into()))
        );
        h.insert(
            "x-amz-target",
            "DynamoDB_20120810.UpdateItem".parse().unwrap(),
        );
        assert_eq!(
            classify_aws(&h, &Method::POST, "/"),
            Some((Service::Dynamodb, "UpdateItem".into()))
        );
        let none = HeaderMap::new();
        assert_eq!(
            classify_aws(&none, &Method::POST, "/v2/email/outbound-emails"),
            Some((Service::Ses, "SendEmail".into()))
        );
        assert_eq!(classify_aws(&none, &Method::POST, "/moto-api/reset"), None);
        let op = |s, m, p| standin_operation(s, &m, p);
        assert_eq!(
            op(Service::Slack, Method::POST, "/api/chat.update").as_deref(),
            Some("chat.update")
        );
        assert_eq!(op(Service::Slack, Method::POST, "/_control/click"), None);
        assert_eq!(
            op(Service::Teams, Method::POST, "/webhook/x").as_deref(),
            Some("webhook")
        );
        assert_eq!(
            op(
                Service::Jira,
                Method::GET,
                "/rest/api/3/issue/K-1/transitions"
            )
            .as_deref(),
            Some("getTransitions")
        );
        assert_eq!(
            op(Service::Jira, Method::GET, "/rest/api/3/issue/K-1").as_deref(),
            Some("getIssue")
        );
    }

    #[test]
    fn faults_answer_in_each_service_shape() {
        let status = |s, op, f| fault_response(s, op, f).status().as_u16();
        assert_eq!(
            status(Service::Sfn, "SendTaskSuccess", Injected::Error),
            503
        );
        assert_eq!(
            status(Service::Sfn, "SendTaskSuccess", Injected::Throttle),
            400
        );
        assert_eq!(
            status(Service::Dynamodb, "UpdateItem", Injected::Error),
            500
        );
        assert_eq!(status(Service::Ses, "SendEmail", Injected::Throttle), 429);
        let slack = fault_response(Service::Slack, "chat.update", Injected::Throttle);
        assert_eq!(slack.status(), 429);
        assert_eq!(slack.headers()["retry-after"], "1");
        let ses = fault_response(Service::Ses, "SendEmail", Injected::Throttle);
        assert_eq!(
            ses.headers()["x-amzn-errortype"],
            "TooManyRequestsException"
        );
    }

    #[tokio::test]
    async fn aws_error_bodies_name_the_error() {
        let body = |s, op, f| async move {
            let r = fault_response(s, op, f);
            let bytes = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        };
        let t = body(Service::Dynamodb, "UpdateItem", Injected::Throttle).await;
        assert!(t["__type"]
            .as_str()
            .unwrap()
            .ends_with("#ProvisionedThroughputExceededException"));
        let t = body(Service::Sfn, "SendTaskSuccess", Injected::Throttle).await;
        assert!(t["__type"]
            .as_str()
            .unwrap()
            .ends_with("#ThrottlingException"));
        let slack = body(Service::Slack, "chat.update", Injected::Throttle).await;
        assert_eq!(slack["error"], "ratelimited");
    }
}

#[cfg(test)]
mod secrets_tests;
