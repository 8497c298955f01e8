//! The link POST as API Gateway delivers it: the longest form the page invites is read and
//! recorded (no 413), and a person is never told "try again" for a click that was recorded.

use approvals::ports::ApprovalStore;
use approvals::testing::{FakeResumer, InstrumentedStore, WriteFault};
use approvals::{ApprovalRecord, Channel, Decision, FollowUp, LinkSigner};
use axum::extract::FromRequestParts;
use lambda_http::Request;
use serde_json::json;

use super::{post_form, Caller};

const KEYS: &str = "k1:0123456789abcdef0123456789abcdef";

/// One CJK character (U+6C7A), 3 bytes in UTF-8, as a browser percent-encodes it.
const CJK_ENCODED: &str = "%E6%B1%BA";

fn post_request(body: &str) -> Request {
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/decisions/a-1", "rawQueryString": "",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "isBase64Encoded": false, "body": body,
        "pathParameters": {"approval_id": "a-1"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
            "domainPrefix": "api", "requestId": "r", "routeKey": "$default", "stage": "$default",
            "time": "27/Nov/2026:12:00:00 +0000", "timeEpoch": 1_800_000_000_000i64,
            "http": {"method": "POST", "path": "/decisions/a-1", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": "x"}
        }
    });
    lambda_http::request::from_str(&event.to_string()).expect("an HttpApi event")
}

/// A shared-link request open for an hour that asks a text question after the choice, and the
/// query of its approve link.
async fn open_request(store: &InstrumentedStore, signer: &LinkSigner) -> String {
    let now = lambda_kit::now();
    let mut record = ApprovalRecord::new("a-1", "t".into(), Channel::Email, now, now + 3600, 1);
    record.follow_up = Some(FollowUp {
        question: "Why?".into(),
        kind: approvals::AnswerKind::Text,
        after: vec![],
        required: true,
    });
    store.create(&record).await.unwrap();
    let url = signer.link_url("h", "a-1", Decision::Approve, now + 3600, None);
    url.split_once('?').unwrap().1.to_string()
}

async fn post(
    body: &str,
    signer: &LinkSigner,
    store: &InstrumentedStore,
    resumer: &FakeResumer,
) -> (u16, String) {
    // What the route's extractors take from the request API Gateway delivered.
    let (mut parts, body) = post_request(body).into_parts();
    let Ok(Caller(client)) = Caller::from_request_parts(&mut parts, &()).await;
    assert_eq!(client.source_ip.as_deref(), Some("10.0.0.1"));
    let signer = async { signer.clone() };
    let response = post_form("a-1", body.as_ref(), client, signer, store, resumer).await;
    let status = response.status().as_u16();
    let html = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(html.to_vec()).unwrap())
}

#[tokio::test]
async fn the_longest_form_the_page_invites_is_read_and_recorded() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let (store, resumer) = (InstrumentedStore::default(), FakeResumer::default());
    let link = open_request(&store, &signer).await;
    let cjk = |n: usize| CJK_ENCODED.repeat(n);
    let body = format!(
        "{link}&submission=0123456789abcdef&name={}&comment={}&answer={}",
        cjk(approvals::use_cases::MAX_NAME_CHARS),
        cjk(approvals::use_cases::MAX_COMMENT_CHARS),
        cjk(approvals::follow_up::MAX_TEXT_ANSWER_CHARS),
    );
    assert!(body.len() > 36_000, "{}", body.len());
    let (status, html) = post(&body, &signer, &store, &resumer).await;
    assert_eq!(status, 200, "{html}");
    let record = store.get(&"a-1".into()).await.unwrap().unwrap();
    let answered = record.decision.unwrap().follow_up.unwrap();
    assert_eq!(answered.answer_text().chars().count(), 3000);

    // Far beyond any form of ours: refused unread.
    let huge = format!(
        "{link}&comment={}",
        "a".repeat(approvals::use_cases::MAX_FORM_BYTES)
    );
    let (status, _) = post(&huge, &signer, &store, &resumer).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_recorded_click_whose_write_answer_was_lost_is_never_told_to_try_again() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let (store, resumer) = (InstrumentedStore::default(), FakeResumer::default());
    let link = open_request(&store, &signer).await;
    let form = format!("{link}&submission=5ub&name=Dana&answer=because");
    *store.write_fault.lock().unwrap() = WriteFault::LostAnswer;
    let (status, html) = post(&form, &signer, &store, &resumer).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("your decision is recorded"), "{html}");
    // The person presses again (or reloads): the same decision, not "already decided".
    let (status, html) = post(&form, &signer, &store, &resumer).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("your decision is recorded"), "{html}");
}

#[tokio::test]
async fn a_click_that_was_not_recorded_is_told_so() {
    let signer = LinkSigner::from_config(KEYS).unwrap();
    let (store, resumer) = (InstrumentedStore::default(), FakeResumer::default());
    let link = open_request(&store, &signer).await;
    let form = format!("{link}&submission=5ub&name=Dana&answer=because");
    *store.write_fault.lock().unwrap() = WriteFault::NotWritten;
    let (status, html) = post(&form, &signer, &store, &resumer).await;
    assert_eq!(status, 503);
    assert!(html.contains("Your click was not taken"), "{html}");
    assert!(store
        .get(&"a-1".into())
        .await
        .unwrap()
        .unwrap()
        .decision
        .is_none());
}
