//! A click reaches the bot's messaging endpoint as Teams sends it (signed, the clicker's
//! identity, the card's action with the inputs merged), the card the bot answers is what the
//! clicker then sees, the refresh goes only to the people the card lists; the connector's
//! refusals are in `connector_tests.rs`.

use std::sync::Mutex;

use axum::http::HeaderMap;
use axum::Router;
use saas_adapters::teams::bot_auth::{verify_token, ActivityIdentity, BotAuthError, KeySet};

use super::super::bot::{local_directory, BotConfig, BOT_FRAMEWORK_SCOPE};
use super::super::conversations::{DEFAULT_CHANNEL_ID, DEFAULT_GROUP_CHAT_ID};
use super::*;

const APP: &str = "app-1";
const SECRET: &str = "bot-secret";
const TENANT: &str = "tenant-1";

#[path = "connector_tests.rs"]
mod connector;
#[path = "view_order_tests.rs"]
mod view_order;

/// How long the fake bot takes to answer an automatic refresh (a manual click: at once).
const SLOW_REFRESH: std::time::Duration = std::time::Duration::from_millis(300);

/// What the fake bot received: (authorization, activity).
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

struct Stack {
    base: String,
    teams: Arc<TeamsStandIn>,
    received: Received,
    connector_token: String,
}

/// The stand-in and a fake bot that answers every invoke with a card naming the verb and the
/// clicker.
async fn stack() -> Stack {
    let received: Received = Arc::default();
    let log = received.clone();
    let bot = Router::new().route(
        "/teams/messages",
        axum::routing::post(move |headers: HeaderMap, Json(activity): Json<Value>| {
            let log = log.clone();
            async move {
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
                let text = format!("{} by {}", activity["value"]["action"]["verb"], activity["from"]["name"]);
                let slow = activity["value"]["trigger"] == "automatic";
                log.lock().unwrap().push((auth, activity));
                if slow {
                    tokio::time::sleep(SLOW_REFRESH).await;
                }
                let card = json!({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": text}]});
                Json(json!({"statusCode": 200, "type": CARD_RESPONSE_TYPE, "value": card}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let config = BotConfig {
        app_id: APP.into(),
        app_secret: SECRET.into(),
        tenant_id: TENANT.into(),
        users: local_directory(),
        messaging_url: format!("{origin}/teams/messages"),
        public_url: format!("{origin}/_standins/teams"),
    };
    let teams = TeamsStandIn::new("graph-app", "graph-secret").with_bot(config);
    let app = bot.nest("/_standins/teams", teams.clone().router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("{origin}/_standins/teams");
    let form = format!(
        "client_id={APP}&client_secret={SECRET}&grant_type=client_credentials&scope={}",
        form_urlencoded::byte_serialize(BOT_FRAMEWORK_SCOPE.as_bytes()).collect::<String>()
    );
    let token: Value = reqwest::Client::new()
        .post(format!("{base}/bot/login/{TENANT}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Stack {
        base,
        teams,
        received,
        connector_token: token["access_token"].as_str().unwrap().into(),
    }
}

fn approval_card(version: &str, user_ids: Vec<String>) -> Value {
    json!({"type": "AdaptiveCard", "version": version,
        "refresh": {"action": {"type": "Action.Execute", "verb": "refresh", "data": {"approvalId": "a-1"}}, "userIds": user_ids},
        "body": [{"type": "TextBlock", "text": "Stop db-1?"}, {"type": "Input.Text", "id": "followUp", "label": "Why?"}],
        "actions": [{"type": "Action.Execute", "title": "Approve", "verb": "decide", "data": {"approvalId": "a-1", "value": "approve"}}]})
}

fn message(card: Value) -> Value {
    json!({"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]})
}

impl Stack {
    async fn connector(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .request(
                method,
                format!("{}/bot/connector/v3/conversations/{path}", self.base),
            )
            .bearer_auth(&self.connector_token)
            .json(body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or_default(),
        )
    }

    async fn send(&self, conversation: &str, card: Value) -> String {
        let (status, answer) = self
            .connector(
                reqwest::Method::POST,
                &format!("{conversation}/activities"),
                &message(card),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["id"].as_str().unwrap().to_string()
    }

    fn user(&self, mail: &str) -> Value {
        let users = self.teams.snapshot()["bot"]["users"].clone();
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["mail"] == mail)
            .unwrap()
            .clone()
    }

    async fn keys(&self) -> KeySet {
        let url = format!(
            "{}/bot/openid/v1/.well-known/openidconfiguration",
            self.base
        );
        let metadata: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        let jwks = reqwest::get(metadata["jwks_uri"].as_str().unwrap())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        KeySet::from_jwks_json(jwks.as_bytes(), 0).unwrap()
    }
}

fn click(user: &str, conversation: &str, activity: &str) -> ClickRequest {
    serde_json::from_value(
        json!({"user": user, "conversationId": conversation, "activityId": activity}),
    )
    .unwrap()
}

#[tokio::test]
async fn a_click_is_the_signed_invoke_teams_sends_and_its_answer_is_what_the_clicker_sees() {
    let stack = stack().await;
    let id = stack
        .send(DEFAULT_CHANNEL_ID, approval_card("1.5", vec![]))
        .await;
    let mut request = click("alice@example.com", DEFAULT_CHANNEL_ID, &id);
    request.action = Some("Approve".into());
    request.inputs.insert("followUp".into(), json!("safe now"));
    let answer = stack.teams.click(&request).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);

    let (authorization, activity) = stack.received.lock().unwrap()[0].clone();
    let alice = stack.user("alice@example.com");
    assert_eq!(
        (activity["type"].as_str(), activity["name"].as_str()),
        (Some("invoke"), Some("adaptiveCard/action"))
    );
    assert_eq!(activity["from"]["aadObjectId"], alice["objectId"]);
    assert_eq!(activity["from"]["id"], alice["id"]);
    assert!(alice["id"].as_str().unwrap().starts_with("29:"));
    assert_eq!(activity["from"]["name"], "Alice");
    assert_eq!(
        activity["conversation"]["id"],
        format!("{DEFAULT_CHANNEL_ID};messageid={id}")
    );
    assert_eq!(activity["conversation"]["conversationType"], "channel");
    assert_eq!(activity["conversation"]["tenantId"], TENANT);
    assert_eq!(activity["channelData"]["tenant"]["id"], TENANT);
    assert_eq!(activity["replyToId"], id.as_str());
    assert_eq!(
        activity["serviceUrl"],
        format!("{}/bot/connector/", stack.base)
    );
    assert_eq!(activity["value"]["trigger"], "manual");
    // Teams' times: UTC with milliseconds, as in its published activities.
    let published = "2017-02-01T21:10:07.437Z";
    let timestamp = activity["timestamp"].as_str().unwrap();
    assert_eq!(
        (timestamp.len(), &timestamp[19..20]),
        (published.len(), ".")
    );
    assert_eq!(
        activity["value"]["action"],
        json!({"type": "Action.Execute", "verb": "decide",
        "data": {"approvalId": "a-1", "value": "approve", "followUp": "safe now"}})
    );
    // Signed as the Bot Framework signs: the bot's verifier, with the published keys, agrees.
    let token = authorization
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_string();
    let identity = ActivityIdentity::from_json(activity.to_string().as_bytes()).unwrap();
    assert_eq!(
        verify_token(&token, &stack.keys().await, APP, &identity, now()),
        Ok(())
    );

    // Alice now sees the bot's answer; bob still sees the card as sent.
    let oid = alice["objectId"].as_str().unwrap();
    let (alice_sees, _) = stack
        .teams
        .card_seen_by(DEFAULT_CHANNEL_ID, &id, oid)
        .unwrap();
    assert_eq!(alice_sees["body"][0]["text"], "\"decide\" by \"Alice\"");
    let bob = stack.user("bob@example.com");
    let (bob_sees, _) = stack
        .teams
        .card_seen_by(DEFAULT_CHANNEL_ID, &id, bob["objectId"].as_str().unwrap())
        .unwrap();
    assert_eq!(bob_sees["body"][0]["text"], "Stop db-1?");
    assert!(stack.teams.snapshot()["messages"][0]["views"][oid]["card"].is_object());
}

fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp() as u64
}

#[tokio::test]
async fn each_token_variant_reaches_the_bot_as_named() {
    let stack = stack().await;
    let id = stack
        .send(DEFAULT_GROUP_CHAT_ID, approval_card("1.4", vec![]))
        .await;
    let keys = stack.keys().await;
    let cases = [
        ("other-key", Err(BotAuthError::BadSignature)),
        ("other-audience", Err(BotAuthError::WrongAudience)),
        ("expired", Err(BotAuthError::Expired)),
        ("other-tenant", Ok(())),
        ("valid", Ok(())),
    ];
    for (i, (variant, expected)) in cases.iter().enumerate() {
        let request: ClickRequest = serde_json::from_value(json!({"user": "bob@example.com",
            "conversationId": DEFAULT_GROUP_CHAT_ID, "activityId": id, "verb": "decide",
            "data": {"value": "approve"}, "token": variant}))
        .unwrap();
        stack.teams.click(&request).await.unwrap();
        let (authorization, activity) = stack.received.lock().unwrap()[i].clone();
        let token = authorization
            .unwrap()
            .strip_prefix("Bearer ")
            .unwrap()
            .to_string();
        let identity = ActivityIdentity::from_json(activity.to_string().as_bytes()).unwrap();
        assert_eq!(
            &verify_token(&token, &keys, APP, &identity, now()),
            expected,
            "{variant}"
        );
        let tenant_check = identity.check_tenant(TENANT);
        match *variant {
            "other-tenant" => assert_eq!(tenant_check, Err(BotAuthError::OtherTenant)),
            _ => assert_eq!(tenant_check, Ok(()), "{variant}"),
        }
        assert_eq!(activity["conversation"]["id"], DEFAULT_GROUP_CHAT_ID);
    }
    let request: ClickRequest = serde_json::from_value(json!({"user": "bob@example.com",
        "conversationId": DEFAULT_GROUP_CHAT_ID, "activityId": id, "verb": "decide", "token": "none"})).unwrap();
    stack.teams.click(&request).await.unwrap();
    assert_eq!(
        stack.received.lock().unwrap()[5].0,
        None,
        "no Authorization header"
    );
    let unknown = json!({"user": "bob@example.com", "conversationId": "c", "activityId": "a", "verb": "x", "tokn": "valid"});
    assert!(serde_json::from_value::<ClickRequest>(unknown)
        .unwrap_err()
        .to_string()
        .contains("tokn"));
}

#[tokio::test]
async fn refreshes_go_to_the_people_the_card_lists_once_per_version() {
    let stack = stack().await;
    let bob = stack.user("bob@example.com");
    let alice = stack.user("alice@example.com");
    let carol = stack.user("carol@example.com");
    // Bob by his roster id, carol by her orgid MRI; alice's bare object id is no MRI and
    // refreshes nobody.
    let user_ids = vec![
        bob["id"].as_str().unwrap().to_string(),
        format!("8:orgid:{}", carol["objectId"].as_str().unwrap()),
        alice["objectId"].as_str().unwrap().to_string(),
    ];
    let id = stack
        .send(DEFAULT_CHANNEL_ID, approval_card("1.5", user_ids.clone()))
        .await;
    stack.teams.refresh_views().await;
    stack.teams.refresh_views().await;
    let sent = stack.received.lock().unwrap().clone();
    let refreshed: Vec<&Value> = sent
        .iter()
        .map(|(_, a)| &a["from"]["aadObjectId"])
        .collect();
    assert_eq!(
        refreshed,
        [&bob["objectId"], &carol["objectId"]],
        "once each"
    );
    assert_eq!(
        sent[0].1["value"],
        json!({"action": {"type": "Action.Execute", "verb": "refresh",
        "data": {"approvalId": "a-1"}}, "trigger": "automatic"})
    );
    // The bot updates the card: bob's and carol's views are stale, they are refreshed again.
    let (status, _) = stack
        .connector(
            reqwest::Method::PUT,
            &format!("{DEFAULT_CHANNEL_ID}/activities/{id}"),
            &message(approval_card("1.5", user_ids)),
        )
        .await;
    assert_eq!(status, 200);
    stack.teams.refresh_views().await;
    assert_eq!(stack.received.lock().unwrap().len(), 4);
    assert_eq!(stack.teams.snapshot()["messages"][0]["updates"], 1);
    // Without userIds Teams refreshes every member of a small conversation; with [] nobody.
    let mut everyone = approval_card("1.5", vec![]);
    everyone["refresh"]
        .as_object_mut()
        .unwrap()
        .remove("userIds");
    stack.send(DEFAULT_GROUP_CHAT_ID, everyone).await;
    stack
        .send(DEFAULT_GROUP_CHAT_ID, approval_card("1.5", vec![]))
        .await;
    stack.teams.refresh_views().await;
    let members = local_directory().len();
    assert_eq!(stack.received.lock().unwrap().len(), 4 + members);
}

impl Stack {
    async fn post_card(&self, conversation: impl AsRef<str>, card: Value) -> (u16, Value) {
        let path = format!("{}/activities", conversation.as_ref());
        self.connector(reqwest::Method::POST, &path, &message(card))
            .await
    }

    async fn put_card(&self, path: impl AsRef<str>, card: Value) -> (u16, Value) {
        self.connector(reqwest::Method::PUT, path.as_ref(), &message(card))
            .await
    }

    async fn teams_control(&self, path: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or_default(),
        )
    }
}
