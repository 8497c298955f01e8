//! The local HttpApi's event has the shape of API Gateway's own (payload format 2.0), as the
//! aws-lambda-rust-runtime project records it
//! (tests/fixtures/vendors/aws/apigw-v2-request-no-authorizer.json): every key path of the
//! published event is in ours with the same JSON type and format, except the mTLS client
//! certificate (`requestContext.authentication`, sent only with mutual TLS, which our API does
//! not use) and the headers API Gateway's own front end adds. Otherwise the Decision API could
//! pass every local test on an event AWS never sends.

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use local_stack::http_api::event;
use serde_json::{Map, Value};

fn published() -> Value {
    let path = format!(
        "{}/../../tests/fixtures/vendors/aws/apigw-v2-request-no-authorizer.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// `GET /` from curl, as in the published example.
fn ours() -> Value {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("accept", "*/*"),
        ("content-length", "0"),
        ("host", "127.0.0.1:3000"),
        ("user-agent", "curl/7.58.0"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    let uri: Uri = "/".parse().unwrap();
    event(
        "$default",
        &Method::GET,
        &uri,
        &headers,
        "1.2.3.4",
        b"",
        Map::new(),
    )
}

/// Every leaf's JSON pointer and type.
fn leaves(value: &Value, at: String, out: &mut Vec<(String, &'static str)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                leaves(v, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{at}/{i}"), out);
            }
        }
        Value::String(_) => out.push((at, "string")),
        Value::Number(_) => out.push((at, "number")),
        Value::Bool(_) => out.push((at, "bool")),
        Value::Null => out.push((at, "null")),
    }
}

/// Sent only with mutual TLS, or added by API Gateway's own front end (trace id, the
/// forwarding headers): nothing our API or the Decision API uses.
fn left_out(path: &str) -> bool {
    path.starts_with("/requestContext/authentication")
        || path == "/headers/x-amzn-trace-id"
        || path.starts_with("/headers/x-forwarded-")
}

#[test]
fn every_key_of_the_published_event_is_in_ours_with_its_type() {
    let (published, ours) = (published(), ours());
    let mut paths = vec![];
    leaves(&published, String::new(), &mut paths);
    let mut missing = vec![];
    for (path, kind) in paths.into_iter().filter(|(p, _)| !left_out(p)) {
        let mut mine = vec![];
        match ours.pointer(&path) {
            Some(v) => leaves(v, path.clone(), &mut mine),
            None => {
                missing.push(format!("{path}: absent"));
                continue;
            }
        }
        if mine != [(path.clone(), kind)] {
            missing.push(format!("{path}: {kind} published, {mine:?} ours"));
        }
    }
    assert!(missing.is_empty(), "the local event differs: {missing:#?}");
}

#[test]
fn the_fields_read_as_text_have_the_published_format() {
    let (published, ours) = (published(), ours());
    for path in [
        "/version",
        "/routeKey",
        "/rawPath",
        "/requestContext/stage",
        "/requestContext/http/method",
        "/requestContext/http/path",
        "/requestContext/http/protocol",
        "/requestContext/http/sourceIp",
        "/requestContext/http/userAgent",
        "/isBase64Encoded",
    ] {
        assert_eq!(ours.pointer(path), published.pointer(path), "{path}");
    }
    // `21/Apr/2020:15:08:21 +0000`: day/month/year:time and the offset, as API Gateway writes it.
    let time = ours["requestContext"]["time"].as_str().unwrap();
    let shape = |t: &str| {
        t.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    '9'
                } else if c.is_ascii_alphabetic() {
                    'a'
                } else {
                    c
                }
            })
            .collect::<String>()
    };
    let published_time = published["requestContext"]["time"].as_str().unwrap();
    assert_eq!(
        shape(time),
        shape(published_time),
        "{time} vs {published_time}"
    );
    let epoch_ms = ours["requestContext"]["timeEpoch"].as_i64().unwrap();
    assert!(
        epoch_ms > 1_600_000_000_000,
        "timeEpoch is in milliseconds: {epoch_ms}"
    );
}
