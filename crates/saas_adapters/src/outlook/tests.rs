//! The Graph `sendMail` body, the token cache, and the named error for each refusal, against a
//! fake identity platform and Graph on loopback.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::*;

fn email() -> OutgoingEmail {
    OutgoingEmail {
        from: "Approvals@Corp.com".into(),
        from_name: Some("Cloud Ops".into()),
        to: vec!["a@corp.com".into()],
        cc: vec!["b@corp.com".into()],
        bcc: vec!["c@corp.com".into()],
        reply_to: vec!["help@corp.com".into()],
        subject: "Deploy done".into(),
        text: "All good".into(),
        html: "<p>All good</p>".into(),
    }
}

#[test]
fn the_body_has_every_recipient_the_name_and_the_html() {
    let body = send_mail_body(&email());
    let m = &body["message"];
    assert_eq!(m["subject"], "Deploy done");
    assert_eq!(
        m["body"],
        json!({"contentType": "HTML", "content": "<p>All good</p>"})
    );
    assert_eq!(
        m["from"],
        json!({"emailAddress": {"address": "Approvals@Corp.com", "name": "Cloud Ops"}})
    );
    assert_eq!(
        m["toRecipients"],
        json!([{"emailAddress": {"address": "a@corp.com"}}])
    );
    assert_eq!(
        m["ccRecipients"],
        json!([{"emailAddress": {"address": "b@corp.com"}}])
    );
    assert_eq!(
        m["bccRecipients"],
        json!([{"emailAddress": {"address": "c@corp.com"}}])
    );
    assert_eq!(
        m["replyTo"],
        json!([{"emailAddress": {"address": "help@corp.com"}}])
    );
    assert_eq!(body["saveToSentItems"], true);
    let text_only = OutgoingEmail {
        html: String::new(),
        from_name: None,
        ..email()
    };
    let m = &send_mail_body(&text_only)["message"];
    assert_eq!(m["body"]["contentType"], "Text");
    assert_eq!(
        m["from"],
        json!({"emailAddress": {"address": "Approvals@Corp.com"}})
    );
}

#[derive(Default)]
struct Fake {
    tokens_issued: Mutex<u32>,
    token_status: Mutex<u16>,
    /// The statuses `sendMail` answers, in turn (the last repeats).
    send_statuses: Mutex<Vec<u16>>,
    sent: Mutex<Vec<(String, String, Value)>>,
}

async fn token(State(fake): State<Arc<Fake>>, body: String) -> Response {
    let status = *fake.token_status.lock().unwrap();
    if status != 200 {
        let error = json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."});
        return (StatusCode::from_u16(status).unwrap(), axum::Json(error)).into_response();
    }
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    let mut n = fake.tokens_issued.lock().unwrap();
    *n += 1;
    axum::Json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": format!("t{n}")}))
        .into_response()
}

async fn send_mail(
    State(fake): State<Arc<Fake>>,
    axum::extract::Path(user): axum::extract::Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let auth = headers["authorization"].to_str().unwrap().to_string();
    fake.sent.lock().unwrap().push((user, auth, body));
    let status = {
        let mut statuses = fake.send_statuses.lock().unwrap();
        if statuses.len() > 1 {
            statuses.remove(0)
        } else {
            statuses[0]
        }
    };
    let error = match status {
        404 => {
            json!({"error": {"code": "ErrorInvalidUser", "message": "The requested user 'x' is invalid."}})
        }
        _ => json!({"error": {"code": "Code", "message": "refused"}}),
    };
    match status {
        202 => StatusCode::ACCEPTED.into_response(),
        s => (StatusCode::from_u16(s).unwrap(), axum::Json(error)).into_response(),
    }
}

async fn serve(send_statuses: Vec<u16>) -> (OutlookSender, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    *fake.token_status.lock().unwrap() = 200;
    *fake.send_statuses.lock().unwrap() = send_statuses;
    let app = axum::Router::new()
        .route("/login/{tenant}/oauth2/v2.0/token", post(token))
        .route("/graph/v1.0/users/{user}/sendMail", post(send_mail))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let settings = OutlookSettings {
        tenant_id: "corp.com".into(),
        client_id: "app".into(),
        login_url: format!("{base}/login"),
        graph_url: format!("{base}/graph"),
    };
    let sender = OutlookSender::new(
        &settings,
        &SecretString::from("s3cret"),
        "Approvals@Corp.com",
    )
    .unwrap()
    .with_http(
        ServiceHttp::new::<OutlookError>()
            .with_budget(SEND_BUDGET)
            .with_max_retry_wait(Duration::from_millis(10)),
    );
    (sender, fake)
}

#[tokio::test]
async fn a_sent_message_reuses_its_token_and_an_expired_one_is_renewed_once() {
    let (sender, fake) = serve(vec![202, 202, 401, 202]).await;
    sender.send(&email()).await.unwrap();
    sender.send(&email()).await.unwrap();
    assert_eq!(*fake.tokens_issued.lock().unwrap(), 1);
    sender.send(&email()).await.unwrap();
    assert_eq!(*fake.tokens_issued.lock().unwrap(), 2);
    let sent = fake.sent.lock().unwrap();
    assert_eq!(sent[0].0, "Approvals@Corp.com");
    assert_eq!(
        (sent[0].1.as_str(), sent[3].1.as_str()),
        ("Bearer t1", "Bearer t2")
    );
    assert_eq!(sent[0].2, send_mail_body(&email()));
}

#[tokio::test]
async fn each_refusal_has_its_name() {
    for (status, name) in [
        (403, "Outlook.Unauthorized"),
        (401, "Outlook.Unauthorized"),
        (404, "Outlook.MailboxNotFound"),
        (400, "Hitl.EmailRejected"),
        (413, "Hitl.EmailRejected"),
        (429, "Outlook.RateLimited"),
        (503, "Outlook.Unconfirmed"),
    ] {
        let (sender, fake) = serve(vec![status]).await;
        let err = sender.send(&email()).await.unwrap_err();
        assert_eq!(err.name(), name, "{status}: {err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        if status == 503 {
            assert_eq!(
                fake.sent.lock().unwrap().len(),
                1,
                "a 5xx post is not sent again"
            );
        }
    }
}

#[tokio::test]
async fn a_refused_client_secret_is_unauthorized_and_nothing_is_sent() {
    let (sender, fake) = serve(vec![202]).await;
    *fake.token_status.lock().unwrap() = 401;
    let err = sender.send(&email()).await.unwrap_err();
    assert_eq!(err.name(), "Outlook.Unauthorized");
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert!(fake.sent.lock().unwrap().is_empty());
}
