use super::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
struct Fake {
    webhook_status: Mutex<u16>,
    webhook_bodies: Mutex<Vec<Value>>,
    token_requests: Mutex<Vec<HashMap<String, String>>>,
    tokens_issued: Mutex<u32>,
    /// Tokens the messages endpoint accepts.
    valid_tokens: Mutex<Vec<String>>,
    graph_requests: Mutex<Vec<(String, Value)>>,
    graph_status: Mutex<Option<(u16, Value)>>,
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

async fn token(
    State(fake): State<Arc<Fake>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    fake.token_requests.lock().unwrap().push(form.clone());
    if tenant != "tenant-1" || form.get("client_secret").map(String::as_str) != Some("s3cret") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"})),
        )
            .into_response();
    }
    let mut n = fake.tokens_issued.lock().unwrap();
    *n += 1;
    let token = format!("token-{n}");
    fake.valid_tokens.lock().unwrap().push(token.clone());
    Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

async fn graph_message(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let valid = fake
        .valid_tokens
        .lock()
        .unwrap()
        .iter()
        .any(|t| auth == format!("Bearer {t}"));
    if !valid {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})),
        )
            .into_response();
    }
    fake.graph_requests
        .lock()
        .unwrap()
        .push((uri.path().to_string(), body));
    if let Some((status, body)) = fake.graph_status.lock().unwrap().clone() {
        return (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
    }
    (
        StatusCode::CREATED,
        Json(json!({"id": "1700000000001", "createdDateTime": "2027-01-15T08:00:00Z"})),
    )
        .into_response()
}

async fn serve() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    *fake.webhook_status.lock().unwrap() = 202;
    let app = axum::Router::new()
        .route("/webhook/{id}", post(webhook))
        .route("/login/{tenant}/oauth2/v2.0/token", post(token))
        .route(
            "/graph/v1.0/teams/{team}/channels/{channel}/messages",
            post(graph_message),
        )
        .route("/graph/v1.0/chats/{chat}/messages", post(graph_message))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

fn client(base: &str, webhook: bool, graph: bool, secret: &str) -> TeamsClient {
    let webhook_url = format!("{base}/webhook/w1?sig=abc");
    TeamsClient::new(
        webhook.then_some(webhook_url.as_str()),
        graph.then(|| GraphConfig {
            tenant_id: "tenant-1".into(),
            client_id: "client-1".into(),
            client_secret: secret.into(),
            base_url: format!("{base}/graph/v1.0"),
            login_url: format!("{base}/login"),
        }),
    )
    .unwrap()
    .with_http(ServiceHttp::new(Service::Teams).with_max_retry_wait(Duration::from_millis(50)))
}

fn card() -> TeamsMessage {
    TeamsMessage::Card(hitl_domain::teams::text_card(Some("Title"), "Body"))
}

#[tokio::test]
async fn the_webhook_gets_the_envelope_and_202_is_success() {
    let (base, fake) = serve().await;
    let teams = client(&base, true, false, "s3cret");
    let posted = teams.post(&TeamsTarget::Webhook, &card()).await.unwrap();
    assert_eq!(
        posted,
        PostedMessage {
            via: Via::Webhook,
            message_id: None
        }
    );
    // A channel target without Graph credentials goes through the webhook too.
    let channel = TeamsTarget::Channel {
        team_id: "t".into(),
        channel_id: "c".into(),
    };
    let posted = teams
        .post(&channel, &TeamsMessage::Text("hi".into()))
        .await
        .unwrap();
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
    let teams = client(&base, true, false, "s3cret");
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
        let err = teams
            .post(&TeamsTarget::Webhook, &card())
            .await
            .unwrap_err();
        assert_eq!(err.name(), name, "{status}: {err}");
        let text = err.to_string();
        assert!(!text.contains("sig=abc") && !text.contains(&base), "{text}");
    }
    *fake.webhook_status.lock().unwrap() = 400;
    let err = teams
        .post(&TeamsTarget::Webhook, &card())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the card is not valid"), "{err}");
    assert!(!format!("{teams:?}").contains("sig=abc"));
}

#[tokio::test]
async fn graph_posts_cards_as_strings_with_a_cached_token() {
    let (base, fake) = serve().await;
    let teams = client(&base, true, true, "s3cret");
    let channel = TeamsTarget::Channel {
        team_id: "team-1".into(),
        channel_id: "19:abc@thread.tacv2".into(),
    };
    let posted = teams.post(&channel, &card()).await.unwrap();
    assert_eq!(
        posted,
        PostedMessage {
            via: Via::Graph,
            message_id: Some("1700000000001".into())
        }
    );
    teams
        .post(
            &TeamsTarget::Chat {
                chat_id: "19:x@unq.gbl.spaces".into(),
            },
            &TeamsMessage::Text("hello".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        *fake.tokens_issued.lock().unwrap(),
        1,
        "the token is cached"
    );
    let form = fake.token_requests.lock().unwrap()[0].clone();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "https://graph.microsoft.com/.default");
    assert_eq!(form["client_id"], "client-1");
    let requests = fake.graph_requests.lock().unwrap().clone();
    assert_eq!(
        requests[0].0,
        "/graph/v1.0/teams/team-1/channels/19:abc@thread.tacv2/messages"
    );
    let body = &requests[0].1;
    assert_eq!(body["body"]["contentType"], "html");
    assert_eq!(
        body["body"]["content"],
        "<attachment id=\"card1\"></attachment>"
    );
    let content = body["attachments"][0]["content"].as_str().unwrap();
    let posted_card: Value = serde_json::from_str(content).unwrap();
    assert_eq!(posted_card["type"], "AdaptiveCard");
    assert_eq!(
        requests[1].0,
        "/graph/v1.0/chats/19:x@unq.gbl.spaces/messages"
    );
    assert_eq!(
        requests[1].1,
        json!({"body": {"contentType": "text", "content": "hello"}})
    );
    // The webhook is still the route without a target.
    teams.post(&TeamsTarget::Webhook, &card()).await.unwrap();
    assert_eq!(fake.webhook_bodies.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() {
    let (base, fake) = serve().await;
    let teams = client(&base, false, true, "s3cret");
    let chat = TeamsTarget::Chat {
        chat_id: "c1".into(),
    };
    teams.post(&chat, &card()).await.unwrap();
    fake.valid_tokens.lock().unwrap().clear();
    teams.post(&chat, &card()).await.unwrap();
    assert_eq!(*fake.tokens_issued.lock().unwrap(), 2);
}

#[tokio::test]
async fn graph_errors_are_named_without_secrets() {
    let (base, fake) = serve().await;
    let chat = TeamsTarget::Chat {
        chat_id: "c1".into(),
    };
    let err = client(&base, false, true, "wrong-secret")
        .post(&chat, &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.Unauthorized");
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert!(!err.to_string().contains("wrong-secret"));

    let teams = client(&base, false, true, "s3cret");
    for (status, name) in [
        (400, "Teams.InvalidMessage"),
        (403, "Teams.Unauthorized"),
        (404, "Teams.ChannelNotFound"),
    ] {
        *fake.graph_status.lock().unwrap() = Some((
            status,
            json!({"error": {"code": "SomeCode", "message": "what went wrong"}}),
        ));
        let err = teams.post(&chat, &card()).await.unwrap_err();
        assert_eq!(err.name(), name);
        assert!(
            err.to_string().contains("SomeCode: what went wrong"),
            "{err}"
        );
        assert!(!err.to_string().contains("token-"), "{err}");
    }
    // No webhook configured and no target: the input must name one.
    let err = teams
        .post(&TeamsTarget::Webhook, &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(err.to_string().contains("target"));
}

#[test]
fn configuration_from_the_environment() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let err = TeamsClient::from_vars(vars(&[])).unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(err.to_string().contains("TEAMS_WEBHOOK_URL"));
    assert!(err.to_string().contains("GRAPH_CLIENT_SECRET"));

    let err = TeamsClient::from_vars(vars(&[
        ("GRAPH_TENANT_ID", "t"),
        ("GRAPH_CLIENT_ID", "c"),
        ("GRAPH_CLIENT_SECRET", " "),
    ]))
    .unwrap_err();
    assert!(
        err.to_string().contains("GRAPH_CLIENT_SECRET not set"),
        "{err}"
    );

    let err =
        TeamsClient::from_vars(vars(&[("TEAMS_WEBHOOK_URL", "ftp://x/sig=secret")])).unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(!err.to_string().contains("secret"), "{err}");

    let teams = TeamsClient::from_vars(vars(&[("TEAMS_WEBHOOK_URL", "https://x.example/w?sig=1")]))
        .unwrap();
    assert!(teams.has_webhook() && !teams.has_graph());

    let teams = TeamsClient::from_vars(vars(&[
        ("TEAMS_WEBHOOK_URL", ""),
        ("GRAPH_TENANT_ID", "t"),
        ("GRAPH_CLIENT_ID", "c"),
        ("GRAPH_CLIENT_SECRET", "very-secret"),
    ]))
    .unwrap();
    assert!(!teams.has_webhook() && teams.has_graph());
    let graph = teams.graph.as_ref().unwrap();
    assert_eq!(
        graph.token_url.as_str(),
        "https://login.microsoftonline.com/t/oauth2/v2.0/token"
    );
    assert_eq!(
        with_segments(&graph.base_url, ["chats", "19:a@b", "messages"]).as_str(),
        "https://graph.microsoft.com/v1.0/chats/19:a@b/messages"
    );
    assert!(!format!("{teams:?}").contains("very-secret"));
}

#[tokio::test]
async fn a_card_post_that_failed_ambiguously_is_not_repeated() {
    let (base, fake) = serve().await;
    let teams = client(&base, true, true, "s3cret");
    *fake.webhook_status.lock().unwrap() = 502;
    let err = teams
        .post(&TeamsTarget::Webhook, &card())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.Unconfirmed", "{err}");
    assert_eq!(fake.webhook_bodies.lock().unwrap().len(), 1);

    *fake.graph_status.lock().unwrap() = Some((503, json!({"error": {"code": "x"}})));
    let chat = TeamsTarget::Chat {
        chat_id: "c1".into(),
    };
    let err = teams.post(&chat, &card()).await.unwrap_err();
    assert_eq!(err.name(), "Teams.Unconfirmed", "{err}");
    assert_eq!(fake.graph_requests.lock().unwrap().len(), 1);
}
