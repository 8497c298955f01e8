//! An API Gateway HTTP API (payload format 2.0) event as the aws-lambda-rust-runtime project
//! records it (tests/fixtures/vendors/aws, source in that folder's README), read the way the
//! Decision API's runtime reads every event: `lambda_http` deserializes a `LambdaRequest` and
//! turns it into the `Request` our routes get. The routes live in the binary, out of a test's
//! reach, so this checks what they read from it: method, path, the caller's address and agent
//! (kept with a decision from a link).

use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Request, RequestExt};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/vendors/aws/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn request(name: &str) -> Request {
    let event: LambdaRequest = serde_json::from_str(&fixture(name)).unwrap();
    Request::from(event)
}

#[test]
fn the_runtimes_http_api_event_is_a_v2_request_with_the_callers_address() {
    let req = request("apigw-v2-request-no-authorizer.json");
    assert_eq!(req.method(), "GET");
    assert_eq!(req.uri().path(), "/");
    assert_eq!(
        req.uri().host(),
        Some("aaaaaaaaaa.execute-api.us-west-2.amazonaws.com")
    );
    assert_eq!(req.headers()["user-agent"], "curl/7.58.0");
    // What the link routes keep as the decision's source address.
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            assert_eq!(ctx.http.source_ip.as_deref(), Some("1.2.3.4"));
            assert_eq!(ctx.stage.as_deref(), Some("$default"));
        }
        other => panic!("not an HTTP API (v2) context: {other:?}"),
    }
}
