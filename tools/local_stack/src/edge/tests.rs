use super::lambda_invoke::throttled;
use super::*;

async fn body_of(response: Response<Body>) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), 10_000)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn start_execution_without_a_name_gets_a_fresh_one() {
    let unnamed = Bytes::from(r#"{"stateMachineArn":"arn:sm","input":"{}"}"#);
    let a: Value = serde_json::from_slice(&name_execution(&unnamed)).unwrap();
    let b: Value = serde_json::from_slice(&name_execution(&unnamed)).unwrap();
    let name = a["name"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(name).is_ok(), "{name}");
    assert_ne!(a["name"], b["name"], "each call gets its own");
    assert_eq!(a["input"], "{}");
    let empty = Bytes::from(r#"{"stateMachineArn":"arn:sm","name":""}"#);
    let c: Value = serde_json::from_slice(&name_execution(&empty)).unwrap();
    assert!(!c["name"].as_str().unwrap().is_empty());
    let named = Bytes::from(r#"{"stateMachineArn":"arn:sm","name":"mine"}"#);
    assert_eq!(
        name_execution(&named),
        named,
        "a given name is kept as sent"
    );
    assert_eq!(
        name_execution(&Bytes::from("nonsense")),
        Bytes::from("nonsense")
    );
}

#[tokio::test]
async fn at_the_limit_lambda_answers_429_and_moto_s_engine_sees_the_retryable_error() {
    let callers = throttled(false);
    assert_eq!(callers.status(), 429);
    assert_eq!(
        callers.headers()["x-amzn-errortype"],
        "TooManyRequestsException"
    );
    assert_eq!(
        body_of(callers).await,
        json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
    );
    let engine = throttled(true);
    assert_eq!(engine.status(), 200);
    assert_eq!(engine.headers()["x-amz-function-error"], "Unhandled");
    assert_eq!(
        body_of(engine).await["errorType"],
        "Lambda.TooManyRequestsException"
    );
}

#[test]
fn moto_s_engine_is_told_apart_by_its_access_key() {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", "AWS4-HMAC-SHA256 Credential=ak/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x".parse().unwrap());
    assert!(from_moto_engine(&headers));
    headers.insert("authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x".parse().unwrap());
    assert!(!from_moto_engine(&headers));
    assert!(!from_moto_engine(&HeaderMap::new()));
}

#[test]
fn an_unsigned_get_of_the_root_is_answered_at_the_edge_as_aws_endpoints_do() {
    let root = axum::http::Uri::from_static("/");
    assert!(is_connection_probe(&Method::GET, &root, &HeaderMap::new()));
    let mut signed = HeaderMap::new();
    signed.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=x".parse().unwrap(),
    );
    assert!(
        !is_connection_probe(&Method::GET, &root, &signed),
        "a signed call goes to moto"
    );
    assert!(
        !is_connection_probe(&Method::POST, &root, &HeaderMap::new()),
        "the JSON APIs' POST /"
    );
    let query = axum::http::Uri::from_static("/?Action=ListQueues");
    assert!(
        !is_connection_probe(&Method::GET, &query, &HeaderMap::new()),
        "a query API call"
    );
    let other = axum::http::Uri::from_static("/moto-api/");
    assert!(!is_connection_probe(
        &Method::GET,
        &other,
        &HeaderMap::new()
    ));
    assert_eq!(healthy().status(), StatusCode::OK);
}
