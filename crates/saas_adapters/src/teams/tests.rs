use super::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Json;
use serde_json::Value;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Fake {
    webhook_status: Mutex<u16>,
    webhook_bodies: Mutex<Vec<Value>>,
}

async fn webhook(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Response {
    fake.webhook_bodies.lock().unwrap().push(body);
    let status = *fake.webhook_status.lock().unwrap();
    let text = match status {
        400 => "Bad Request: the card is not valid (see /webhook/secret-sig?sig=abc)",
        _ => "",
    };
    (StatusCode::from_u16(status).unwrap(), text.to_string()).into_response()
}

async fn serve() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    *fake.webhook_status.lock().unwrap() = 202;
    let app = axum::Router::new()
        .route("/webhook/{id}", post(webhook))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

fn client(base: &str) -> TeamsClient {
    TeamsClient::new(&format!("{base}/webhook/w1?sig=abc"))
        .unwrap()
        .with_http(
            ServiceHttp::new::<crate::teams::TeamsError>()
                .with_max_retry_wait(Duration::from_millis(50)),
        )
}

fn card() -> TeamsMessage {
    TeamsMessage::Card(channels::teams::text_card(Some("Title"), "Body"))
}

#[tokio::test]
async fn the_webhook_gets_the_envelope_and_202_is_success() {
    let (base, fake) = serve().await;
    let teams = client(&base);
    let posted = teams.post(&card()).await.unwrap();
    assert_eq!(posted, PostedMessage { via: Via::Webhook });
    let posted = teams.post(&TeamsMessage::Text("hi".into())).await.unwrap();
    assert_eq!(posted.via, Via::Webhook);
    let bodies = fake.webhook_bodies.lock().unwrap();
    assert_eq!(bodies[0]["type"], "message");
    assert_eq!(
        bodies[0]["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(
        bodies[0]["attachments"][0]["content"]["type"],
        "AdaptiveCard"
    );
    assert_eq!(
        bodies[1]["attachments"][0]["content"]["body"][0]["text"],
        "hi"
    );
}

#[tokio::test]
async fn webhook_errors_are_named_and_never_show_the_url() {
    let (base, fake) = serve().await;
    let teams = client(&base);
    for (status, name) in [
        (400, "Teams.InvalidMessage"),
        (413, "Teams.InvalidMessage"),
        (401, "Teams.Unauthorized"),
        (403, "Teams.Unauthorized"),
        (404, "Teams.ChannelNotFound"),
        (503, "Teams.Unconfirmed"),
        (429, "Teams.RateLimited"),
    ] {
        *fake.webhook_status.lock().unwrap() = status;
        let err = teams.post(&card()).await.unwrap_err();
        assert_eq!(err.name(), name, "{status}: {err}");
        let text = err.to_string();
        assert!(!text.contains("sig=abc") && !text.contains(&base), "{text}");
    }
    *fake.webhook_status.lock().unwrap() = 400;
    let err = teams.post(&card()).await.unwrap_err();
    assert!(err.to_string().contains("the card is not valid"), "{err}");
    assert!(!format!("{teams:?}").contains("sig=abc"));
}

#[test]
fn configuration() {
    for missing in ["", "  "] {
        let err = TeamsClient::new(missing).unwrap_err();
        assert_eq!(err.name(), "Hitl.Config");
        assert!(err.to_string().contains("TEAMS_WEBHOOK_URL"), "{err}");
    }
    let err = TeamsClient::new("ftp://x/sig=secret").unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(!err.to_string().contains("secret"), "{err}");
    let teams = TeamsClient::new("https://x.example/w?sig=very-secret").unwrap();
    assert!(!format!("{teams:?}").contains("very-secret"));
}

#[tokio::test]
async fn a_card_post_that_failed_ambiguously_is_not_repeated() {
    let (base, fake) = serve().await;
    let teams = client(&base);
    *fake.webhook_status.lock().unwrap() = 502;
    let err = teams.post(&card()).await.unwrap_err();
    assert_eq!(err.name(), "Teams.Unconfirmed", "{err}");
    assert_eq!(fake.webhook_bodies.lock().unwrap().len(), 1);
}
