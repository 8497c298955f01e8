//! Property tests of the Decision API's own reading of API Gateway (HttpApi, payload 2.0)
//! events: whatever the event holds, reading the body, the client and the Slack signature
//! never panics; a Slack request is refused before it is parsed unless Slack signed exactly
//! these bytes; real Slack payload sizes are read and far larger bodies refused.

use channels::slack::sign;
use lambda_http::{Request, RequestExt};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::{body_text, client_info};
use crate::slack_interactions::{signed_form, MAX_BODY_BYTES};
use lambda_http::request::RequestContext;

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "local-signing-secret";

/// An HttpApi event as API Gateway sends it, for `path` with these headers and body.
fn event(path: &str, query: &str, headers: Value, body: &str, base64: bool, ip: &str) -> Value {
    let id = path.rsplit('/').next().unwrap_or_default();
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers, "isBase64Encoded": base64, "body": body,
        "pathParameters": {"approvalId": id},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
            "domainPrefix": "api", "requestId": "r", "routeKey": "$default", "stage": "$default",
            "time": "27/Nov/2026:12:00:00 +0000", "timeEpoch": 1_800_000_000_000i64,
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": ip, "userAgent": "x"}
        }
    })
}

fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("an HttpApi event")
}

/// What a valid request line holds (RFC 3986 characters, `%` escapes of anything), as API
/// Gateway passes it. (lambda_http itself panics on characters no valid URI has, such as `"`,
/// `<` or `{`, before our code runs.)
fn uri_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,60}"
}

fn header_map() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just("x-slack-request-timestamp".to_string()),
        Just("x-slack-signature".to_string()),
        Just("user-agent".to_string()),
        Just("content-type".to_string()),
        "[a-z-]{1,20}",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just(i64::MIN.to_string()),
        "v0=[0-9a-f]{64}",
        any::<String>(),
    ];
    proptest::collection::btree_map(name, value, 0..6)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, json!(v))).collect()))
}

proptest! {
    #[test]
    fn reading_any_event_never_panics(
        path in prop_oneof![
            uri_text().prop_map(|id| format!("/decisions/{id}")),
            Just("/slack/interactions".to_string()),
        ],
        query in uri_text(),
        headers in header_map(),
        body in prop_oneof![any::<String>(), "payload=[ -~]{0,200}"],
        base64 in any::<bool>(),
        ip in any::<String>(),
    ) {
        // API Gateway base64-encodes bodies it does not take for text (lambda_http panics on
        // a body flagged base64 that is not, which API Gateway never sends).
        let sent = if base64 {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&body)
        } else {
            body
        };
        let req = request(&event(&path, &query, headers, &sent, base64, &ip));
        let _ = body_text(req.body().as_ref());
        let _ = client_info(req.headers(), req.extensions().get::<RequestContext>());
        let _ = req.path_parameters().first("approvalId").map(str::len);
        let _ = signed_form(SECRET, req.headers(), req.body().as_ref(), NOW);
    }

    #[test]
    fn a_slack_request_is_read_only_when_slack_signed_these_exact_bytes(
        body in "payload=[ -~]{0,300}",
        part in 0usize..3,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, body.as_bytes());
        let signed = |ts: &str, sig: &str, body: &str| {
            let headers = json!({"x-slack-request-timestamp": ts, "x-slack-signature": sig});
            request(&event("/slack/interactions", "", headers, body, false, "1.2.3.4"))
        };
        let genuine = signed(&ts, &sig, &body);
        prop_assert_eq!(signed_form(SECRET, genuine.headers(), genuine.body().as_ref(), NOW), Ok(body.as_str()));

        let (mut ts, mut sig, mut body) = (ts.into_bytes(), sig.into_bytes(), body.into_bytes());
        let target = [&mut sig, &mut ts, &mut body].into_iter().nth(part).unwrap();
        let i = at.index(target.len());
        prop_assume!(target[i] != byte && byte.is_ascii_graphic());
        target[i] = byte;
        let (ts, sig, body) = (
            String::from_utf8_lossy(&ts),
            String::from_utf8_lossy(&sig),
            String::from_utf8_lossy(&body),
        );
        let changed = signed(&ts, &sig, &body);
        let refused = signed_form(SECRET, changed.headers(), changed.body().as_ref(), NOW);
        prop_assert!(matches!(refused, Err((401, _))), "{:?}", refused);
    }
}

#[test]
fn a_large_real_click_is_read_and_only_far_larger_bodies_are_refused() {
    // 50 sections of 3000 characters each, JSON-escaped and form-encoded, as a click on a
    // full message carries them.
    let blocks: Vec<Value> = (0..50)
        .map(|i| json!({"type": "section", "block_id": format!("b{i}"), "text": {"type": "mrkdwn", "text": "*é* & <x>|".repeat(300)}}))
        .collect();
    let payload = json!({"type": "block_actions", "message": {"ts": "1.2", "blocks": blocks}});
    let body = form_encoded(&payload.to_string());
    assert!(
        body.len() > 64 * 1024,
        "bigger than the old cap: {}",
        body.len()
    );
    assert!(body.len() < MAX_BODY_BYTES, "{}", body.len());
    let ts = NOW.to_string();
    let headers = |body: &str| json!({"x-slack-request-timestamp": ts, "x-slack-signature": sign(SECRET, &ts, body.as_bytes())});
    let req = request(&event(
        "/slack/interactions",
        "",
        headers(&body),
        &body,
        false,
        "1.2.3.4",
    ));
    assert_eq!(
        signed_form(SECRET, req.headers(), req.body().as_ref(), NOW),
        Ok(body.as_str())
    );

    let huge = "a".repeat(MAX_BODY_BYTES + 1);
    let req = request(&event(
        "/slack/interactions",
        "",
        headers(&huge),
        &huge,
        false,
        "1.2.3.4",
    ));
    assert!(matches!(
        signed_form(SECRET, req.headers(), req.body().as_ref(), NOW),
        Err((413, _))
    ));
    // Unsigned: refused before it is parsed, whatever it holds.
    let req = request(&event(
        "/slack/interactions",
        "",
        json!({}),
        "payload=%7B",
        false,
        "1.2.3.4",
    ));
    assert!(matches!(
        signed_form(SECRET, req.headers(), req.body().as_ref(), NOW),
        Err((401, _))
    ));
}

/// `payload=<json>` encoded as Slack's form posts are.
fn form_encoded(payload: &str) -> String {
    let mut out = String::from("payload=");
    for b in payload.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
