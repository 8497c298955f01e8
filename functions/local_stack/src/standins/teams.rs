//! Microsoft Teams stand-in: a Workflows webhook ("Post to a channel when a webhook request is
//! received"), the Microsoft identity platform's client-credentials token endpoint, and the two
//! Microsoft Graph calls that post a message (to a channel, to a chat), with Teams' behaviour:
//!
//! - Webhook `POST /webhook/{id}`: a `{"type": "message", "attachments": [...]}` envelope with
//!   Adaptive Card attachments (or a `text`) is answered **202 Accepted with an empty body**
//!   (Workflows runs the flow later); each card becomes one message. **400** with a text for
//!   anything else: not a `message`, no card and no text, a card that is not an
//!   `AdaptiveCard`, a card over version 1.4, or one using `Action.Submit`/`Action.Execute`
//!   (Workflows cannot receive them). A body over **28 KB** is answered **413** (what Teams
//!   answers for oversized webhook messages: "Microsoft Teams endpoint returned HTTP error
//!   413"). More than **4 requests per second** to one webhook is answered **429** with
//!   `Retry-After: 1`.
//! - Token `POST /login/{tenant}/oauth2/v2.0/token`: form `client_id`, `client_secret`,
//!   `scope=https://graph.microsoft.com/.default`, `grant_type=client_credentials`; 401
//!   `{"error": "invalid_client"}` when the credentials do not match, 400 `unsupported_grant_type`
//!   / `invalid_scope`; else `{"token_type": "Bearer", "expires_in": 3599, "access_token"}`.
//! - Graph `POST /graph/v1.0/teams/{teamId}/channels/{channelId}/messages` and
//!   `POST /graph/v1.0/chats/{chatId}/messages`: a token issued here is required (else 401
//!   `{"error": {"code": "InvalidAuthenticationToken", ...}}`); a card attachment's `content`
//!   must be a JSON **string** and be referenced in the HTML body as
//!   `<attachment id="…"></attachment>` (else 400 `BadRequest`); 413 over 28 KB; answers 201
//!   with the chatMessage (`id`, `createdDateTime`, `body`, ...). Any team, channel or chat id
//!   exists.
//! - Test hooks: `GET /_control/messages` (the snapshot), `POST /_control/rate-limit
//!   {"count": N, "retryAfter": S}` (the next N webhook or Graph message requests are answered
//!   429 with `Retry-After: S`), `POST /_control/reset`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// Teams' message size limit (webhook and Graph).
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
/// Workflows webhooks: requests per second per webhook.
pub const WEBHOOK_REQUESTS_PER_SECOND: usize = 4;
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
const TOKEN_LIFETIME: Duration = Duration::from_secs(3599);
const UNSUPPORTED_ACTIONS: [&str; 2] = ["Action.Submit", "Action.Execute"];

struct Data {
    /// Snapshot entries, oldest first.
    messages: Vec<Value>,
    last_id: u64,
    /// Accepted requests of the last second, per webhook id.
    webhook_hits: HashMap<String, VecDeque<Instant>>,
    /// Requests still to be answered 429, and their Retry-After.
    rate_limited: u32,
    retry_after: u64,
    /// Access tokens issued, with their expiry.
    tokens: HashMap<String, Instant>,
}

impl Data {
    fn new() -> Self {
        Data {
            messages: Vec::new(),
            last_id: 0,
            webhook_hits: HashMap::new(),
            rate_limited: 0,
            retry_after: 1,
            tokens: HashMap::new(),
        }
    }

    /// Graph-like message ids: epoch milliseconds, strictly increasing.
    fn next_id(&mut self) -> String {
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        self.last_id = (now_ms as u64).max(self.last_id + 1);
        self.last_id.to_string()
    }

    /// Consumes one forced 429, if any is pending: its Retry-After.
    fn forced_rate_limit(&mut self) -> Option<u64> {
        if self.rate_limited == 0 {
            return None;
        }
        self.rate_limited -= 1;
        Some(self.retry_after)
    }
}

pub struct TeamsStandIn {
    client_id: String,
    client_secret: String,
    data: Mutex<Data>,
}

impl TeamsStandIn {
    /// Graph accepts exactly this app registration (any tenant id); webhooks need nothing.
    pub fn new(client_id: &str, client_secret: &str) -> Arc<Self> {
        Arc::new(TeamsStandIn {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            data: Mutex::new(Data::new()),
        })
    }

    /// Under `/_standins/teams`: `/webhook/{id}`, `/login/…`, `/graph/v1.0/…`, `/_control/…`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/webhook/{id}", post(webhook))
            .route("/login/{tenant}/oauth2/v2.0/token", post(token))
            .route(
                "/graph/v1.0/teams/{team_id}/channels/{channel_id}/messages",
                post(channel_message),
            )
            .route("/graph/v1.0/chats/{chat_id}/messages", post(chat_message))
            .route("/_control/messages", get(messages))
            .route("/_control/rate-limit", post(rate_limit))
            .route("/_control/reset", post(reset))
            .with_state(self)
    }

    /// Every message received, oldest first: `{"id", "via": "webhook"|"graph", "where":
    /// {"webhookId"} | {"teamId", "channelId"} | {"chatId"}, "receivedAt", "card"?, "text"?}`.
    pub fn snapshot(&self) -> Value {
        json!({"messages": self.data.lock().unwrap().messages})
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn text_response(status: StatusCode, text: &str) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

fn too_many_requests(retry_after: u64, body: Response) -> Response {
    let mut response = body;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert("retry-after", retry_after.to_string().parse().unwrap());
    response
}

/// Why Teams would refuse this card, if it would.
fn card_problem(card: &Value) -> Option<String> {
    if card["type"] != "AdaptiveCard" {
        return Some("the attachment's content is not an AdaptiveCard".into());
    }
    if let Some(version) = card["version"].as_str() {
        let parsed = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        match parsed {
            Some(v) if v <= (1, 4) => {}
            _ => {
                return Some(format!(
                    "Adaptive Card version {version} is not supported (1.4 at most)"
                ))
            }
        }
    }
    find_unsupported_action(card).map(|action| {
        format!("{action} is not supported in cards posted by a webhook; use Action.OpenUrl")
    })
}

fn find_unsupported_action(value: &Value) -> Option<&'static str> {
    match value {
        Value::Object(map) => map
            .get("type")
            .and_then(Value::as_str)
            .and_then(|t| UNSUPPORTED_ACTIONS.iter().find(|a| **a == t).copied())
            .or_else(|| map.values().find_map(find_unsupported_action)),
        Value::Array(items) => items.iter().find_map(find_unsupported_action),
        _ => None,
    }
}

/// One message to post: a card, or a text.
type Content = (Option<Value>, Option<String>);

/// The cards (or the text) of a webhook envelope, or why it is refused.
fn webhook_contents(body: &[u8]) -> Result<Vec<Content>, String> {
    let envelope: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    if envelope["type"] != "message" {
        return Err("the body must be {\"type\": \"message\", \"attachments\": [...]}".into());
    }
    let mut contents = Vec::new();
    for (i, attachment) in envelope["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if attachment["contentType"] != CARD_CONTENT_TYPE {
            return Err(format!(
                "attachments[{i}].contentType must be {CARD_CONTENT_TYPE}"
            ));
        }
        let card = &attachment["content"];
        if let Some(problem) = card_problem(card) {
            return Err(format!("attachments[{i}]: {problem}"));
        }
        contents.push((Some(card.clone()), None));
    }
    if contents.is_empty() {
        match envelope["text"].as_str().filter(|t| !t.trim().is_empty()) {
            Some(text) => contents.push((None, Some(text.to_string()))),
            None => {
                return Err(
                    "the message has no Adaptive Card attachment and no text: nothing to post"
                        .into(),
                )
            }
        }
    }
    Ok(contents)
}

async fn webhook(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut data = teams.data.lock().unwrap();
    if let Some(retry_after) = data.forced_rate_limit() {
        return too_many_requests(
            retry_after,
            text_response(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
        );
    }
    let now = Instant::now();
    let hits = data.webhook_hits.entry(id.clone()).or_default();
    while hits
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        hits.pop_front();
    }
    if hits.len() >= WEBHOOK_REQUESTS_PER_SECOND {
        return too_many_requests(
            1,
            text_response(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests: a webhook takes 4 requests per second",
            ),
        );
    }
    hits.push_back(now);
    if body.len() > MAX_MESSAGE_BYTES {
        return text_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "Request Entity Too Large: the message is {} bytes; Teams takes at most {MAX_MESSAGE_BYTES}",
                body.len()
            ),
        );
    }
    let contents = match webhook_contents(&body) {
        Ok(contents) => contents,
        Err(problem) => return text_response(StatusCode::BAD_REQUEST, &problem),
    };
    for (card, text) in contents {
        let message_id = data.next_id();
        data.messages.push(json!({
            "id": message_id,
            "via": "webhook",
            "where": {"webhookId": id},
            "receivedAt": now_rfc3339(),
            "card": card,
            "text": text,
        }));
    }
    StatusCode::ACCEPTED.into_response()
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": code,
            "error_description": description,
            "error_codes": [7000215],
            "timestamp": now_rfc3339(),
        })),
    )
        .into_response()
}

async fn token(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
        );
    }
    if field("client_id") != teams.client_id || field("client_secret") != teams.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    if field("scope") != GRAPH_SCOPE {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        );
    }
    let access_token = format!("eyJ0eXAiOiJKV1QifQ.{}.local", uuid::Uuid::new_v4().simple());
    let mut data = teams.data.lock().unwrap();
    let now = Instant::now();
    data.tokens.retain(|_, expiry| *expiry > now);
    data.tokens
        .insert(access_token.clone(), now + TOKEN_LIFETIME);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "ext_expires_in": TOKEN_LIFETIME.as_secs(),
        "access_token": access_token,
    }))
    .into_response()
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {
            "code": code,
            "message": message,
            "innerError": {"date": now_rfc3339(), "request-id": uuid::Uuid::new_v4().to_string()},
        }})),
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    graph_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The chatMessage's body and attachments, checked as Graph checks them; the cards parsed.
fn graph_contents(message: &Value) -> Result<(Value, Value, Vec<Value>), String> {
    let body = &message["body"];
    let content = body["content"]
        .as_str()
        .ok_or("body.content is required (a string)")?;
    let content_type = body["contentType"].as_str().unwrap_or("text");
    if !matches!(content_type, "text" | "html") {
        return Err(format!(
            "body.contentType must be text or html, not {content_type}"
        ));
    }
    let mut cards = Vec::new();
    let attachments = match &message["attachments"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        _ => return Err("attachments must be a list".into()),
    };
    for (i, attachment) in attachments.iter().enumerate() {
        let id = attachment["id"]
            .as_str()
            .ok_or(format!("attachments[{i}].id is required"))?;
        if !content.contains(&format!("<attachment id=\"{id}\"></attachment>")) {
            return Err(format!(
                "Attachment {id} is not referenced in the message body: add <attachment id=\"{id}\"></attachment>"
            ));
        }
        if attachment["contentType"] != CARD_CONTENT_TYPE {
            continue;
        }
        let raw = attachment["content"].as_str().ok_or(format!(
            "attachments[{i}].content must be the Adaptive Card as a JSON string"
        ))?;
        let card: Value = serde_json::from_str(raw)
            .map_err(|e| format!("attachments[{i}].content is not valid JSON: {e}"))?;
        if card["type"] != "AdaptiveCard" {
            return Err(format!("attachments[{i}].content is not an AdaptiveCard"));
        }
        cards.push(card);
    }
    if content.trim().is_empty() && cards.is_empty() {
        return Err("the message is empty".into());
    }
    Ok((body.clone(), Value::Array(attachments), cards))
}

/// What both Graph message endpoints do: auth, rate limit, size, shape; then store and answer.
fn post_graph_message(
    teams: &TeamsStandIn,
    headers: &HeaderMap,
    body: &[u8],
    place: Value,
    identity: Value,
    context: String,
) -> Response {
    let mut data = teams.data.lock().unwrap();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let valid = token
        .and_then(|t| data.tokens.get(t))
        .is_some_and(|expiry| *expiry > Instant::now());
    if !valid {
        let message = if token.is_none() {
            "Access token is empty."
        } else {
            "IDX14100: JWT is not well formed or was not issued for this resource."
        };
        return graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
    }
    if let Some(retry_after) = data.forced_rate_limit() {
        return too_many_requests(
            retry_after,
            graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests.",
            ),
        );
    }
    if body.len() > MAX_MESSAGE_BYTES {
        return graph_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "The message is over Teams' 28 KB limit.",
        );
    }
    let message: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => return bad_request("The request body must be a chatMessage JSON object."),
    };
    let (message_body, attachments, cards) = match graph_contents(&message) {
        Ok(contents) => contents,
        Err(problem) => return bad_request(&problem),
    };
    let id = data.next_id();
    let created = now_rfc3339();
    data.messages.push(json!({
        "id": id,
        "via": "graph",
        "where": place,
        "receivedAt": created,
        "card": cards.first(),
        "text": (message_body["contentType"] == "text").then(|| message_body["content"].clone()),
    }));
    let mut answer = json!({
        "@odata.context": context,
        "id": id,
        "replyToId": null,
        "etag": id,
        "messageType": "message",
        "createdDateTime": created,
        "lastModifiedDateTime": created,
        "deletedDateTime": null,
        "subject": message.get("subject").cloned().unwrap_or(Value::Null),
        "importance": "normal",
        "locale": "en-us",
        "from": {"application": {"id": teams.client_id, "displayName": "hitl", "applicationIdentityType": "bot"}, "user": null},
        "body": message_body,
        "attachments": attachments,
        "mentions": [],
        "reactions": [],
    });
    for (k, v) in identity.as_object().into_iter().flatten() {
        answer[k] = v.clone();
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn channel_message(
    State(teams): State<Arc<TeamsStandIn>>,
    Path((team_id, channel_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let context = format!(
        "https://graph.microsoft.com/v1.0/$metadata#teams('{team_id}')/channels('{channel_id}')/messages/$entity"
    );
    post_graph_message(
        &teams,
        &headers,
        &body,
        json!({"teamId": team_id, "channelId": channel_id}),
        json!({"channelIdentity": {"teamId": team_id, "channelId": channel_id}}),
        context,
    )
}

async fn chat_message(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(chat_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let context =
        format!("https://graph.microsoft.com/v1.0/$metadata#chats('{chat_id}')/messages/$entity");
    post_graph_message(
        &teams,
        &headers,
        &body,
        json!({"chatId": chat_id}),
        json!({"chatId": chat_id, "channelIdentity": null}),
        context,
    )
}

async fn messages(State(teams): State<Arc<TeamsStandIn>>) -> Json<Value> {
    Json(teams.snapshot())
}

/// `{"count": N, "retryAfter": S}`: the next N webhook or Graph message requests are answered
/// 429 with `Retry-After: S`.
async fn rate_limit(State(teams): State<Arc<TeamsStandIn>>, Json(body): Json<Value>) -> StatusCode {
    let mut data = teams.data.lock().unwrap();
    data.rate_limited = body["count"].as_u64().unwrap_or(1) as u32;
    data.retry_after = body["retryAfter"].as_u64().unwrap_or(1);
    StatusCode::NO_CONTENT
}

/// Forgets messages, tokens, rate windows and a pending rate limit.
async fn reset(State(teams): State<Arc<TeamsStandIn>>) -> StatusCode {
    *teams.data.lock().unwrap() = Data::new();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT_ID: &str = "client-1";
    const SECRET: &str = "secret-1";

    /// The stand-in mounted as the local stack mounts it; returns its base URL.
    async fn serve() -> (String, Arc<TeamsStandIn>) {
        let teams = TeamsStandIn::new(CLIENT_ID, SECRET);
        let app = Router::new().nest("/_standins/teams", teams.clone().router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/_standins/teams", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, teams)
    }

    fn card(actions: Value) -> Value {
        json!({
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": "Stop db-1?", "weight": "bolder", "size": "medium", "wrap": true}],
            "actions": actions,
        })
    }

    fn envelope(card: Value) -> Value {
        json!({"type": "message", "attachments": [{
            "contentType": CARD_CONTENT_TYPE, "contentUrl": null, "content": card,
        }]})
    }

    fn open_url() -> Value {
        json!([{"type": "Action.OpenUrl", "title": "Approve", "url": "http://127.0.0.1:3000/decisions/a-1?d=approve", "style": "positive"}])
    }

    async fn post_json(url: &str, body: &Value, bearer: Option<&str>) -> (u16, HeaderMap, String) {
        let mut request = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    async fn get_token(base: &str, secret: &str) -> (u16, Value) {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", CLIENT_ID)
            .append_pair("client_secret", secret)
            .append_pair("scope", GRAPH_SCOPE)
            .append_pair("grant_type", "client_credentials")
            .finish();
        let response = reqwest::Client::new()
            .post(format!("{base}/login/local-tenant/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    #[tokio::test]
    async fn the_webhook_accepts_a_card_with_202_and_keeps_it() {
        let (base, teams) = serve().await;
        let (status, _, body) = post_json(
            &format!("{base}/webhook/local-approvals"),
            &envelope(card(open_url())),
            None,
        )
        .await;
        assert_eq!(status, 202);
        assert_eq!(body, "");
        let snapshot = teams.snapshot();
        let message = &snapshot["messages"][0];
        assert_eq!(message["via"], "webhook");
        assert_eq!(message["where"], json!({"webhookId": "local-approvals"}));
        assert_eq!(message["card"]["actions"][0]["style"], "positive");
        assert!(message["receivedAt"].as_str().unwrap().ends_with('Z'));
        // The control route serves the same snapshot.
        let listed: Value = reqwest::get(format!("{base}/_control/messages"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed, snapshot);
    }

    #[tokio::test]
    async fn the_webhook_refuses_what_teams_refuses() {
        let (base, teams) = serve().await;
        let url = format!("{base}/webhook/w1");
        let submit = json!([{"type": "Action.Submit", "title": "OK"}]);
        let cases = [
            (json!({"type": "AdaptiveCard"}), "message"),
            (
                json!({"type": "message", "attachments": []}),
                "no Adaptive Card",
            ),
            (envelope(card(submit)), "Action.Submit"),
            (
                envelope(json!({"type": "AdaptiveCard", "version": "1.5"})),
                "1.5",
            ),
            (
                json!({"type": "message", "attachments": [{"contentType": "text/html", "content": "x"}]}),
                "contentType",
            ),
        ];
        for (body, needle) in cases {
            let (status, _, text) = post_json(&url, &body, None).await;
            assert_eq!(status, 400, "{body}");
            assert!(text.contains(needle), "{body}: {text}");
            // Stay under the per-webhook rate limit.
            tokio::time::sleep(Duration::from_millis(260)).await;
        }
        let big = card(json!([])).to_string().len();
        let mut huge = card(open_url());
        huge["body"][0]["text"] = json!("x".repeat(MAX_MESSAGE_BYTES - big + 100));
        let (status, _, text) = post_json(&url, &envelope(huge), None).await;
        assert_eq!(status, 413);
        assert!(text.contains("Too Large"), "{text}");
        // A text-only message is accepted.
        tokio::time::sleep(Duration::from_millis(260)).await;
        let (status, _, _) =
            post_json(&url, &json!({"type": "message", "text": "hello"}), None).await;
        assert_eq!(status, 202);
        let snapshot = teams.snapshot();
        assert_eq!(snapshot["messages"].as_array().unwrap().len(), 1);
        assert_eq!(snapshot["messages"][0]["text"], "hello");
    }

    #[tokio::test]
    async fn a_webhook_takes_four_requests_per_second() {
        let (base, _) = serve().await;
        let body = envelope(card(open_url()));
        for _ in 0..WEBHOOK_REQUESTS_PER_SECOND {
            let (status, _, _) = post_json(&format!("{base}/webhook/w1"), &body, None).await;
            assert_eq!(status, 202);
        }
        let (status, headers, _) = post_json(&format!("{base}/webhook/w1"), &body, None).await;
        assert_eq!(status, 429);
        assert_eq!(headers["retry-after"], "1");
        // Another webhook has its own budget; after a second this one is open again.
        let (status, _, _) = post_json(&format!("{base}/webhook/w2"), &body, None).await;
        assert_eq!(status, 202);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, _, _) = post_json(&format!("{base}/webhook/w1"), &body, None).await;
        assert_eq!(status, 202);
    }

    #[tokio::test]
    async fn the_rate_limit_hook_answers_429_with_retry_after() {
        let (base, _) = serve().await;
        let (status, _, _) = post_json(
            &format!("{base}/_control/rate-limit"),
            &json!({"count": 2, "retryAfter": 7}),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let body = envelope(card(open_url()));
        for _ in 0..2 {
            let (status, headers, _) = post_json(&format!("{base}/webhook/w9"), &body, None).await;
            assert_eq!(status, 429);
            assert_eq!(headers["retry-after"], "7");
        }
        let (status, _, _) = post_json(&format!("{base}/webhook/w9"), &body, None).await;
        assert_eq!(status, 202);
    }

    #[tokio::test]
    async fn graph_needs_a_token_from_the_client_credentials_flow() {
        let (base, teams) = serve().await;
        let (status, answer) = get_token(&base, "wrong").await;
        assert_eq!(status, 401);
        assert_eq!(answer["error"], "invalid_client");
        let url = format!("{base}/graph/v1.0/chats/19:x@unq.gbl.spaces/messages");
        let text = json!({"body": {"contentType": "text", "content": "hello"}});
        let (status, _, body) = post_json(&url, &text, None).await;
        assert_eq!(status, 401);
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "InvalidAuthenticationToken");
        let (status, _, _) = post_json(&url, &text, Some("made-up")).await;
        assert_eq!(status, 401);

        let (status, answer) = get_token(&base, SECRET).await;
        assert_eq!(status, 200);
        assert_eq!(answer["token_type"], "Bearer");
        assert_eq!(answer["expires_in"], 3599);
        let token = answer["access_token"].as_str().unwrap().to_string();
        let (status, _, body) = post_json(&url, &text, Some(&token)).await;
        assert_eq!(status, 201, "{body}");
        let message: Value = serde_json::from_str(&body).unwrap();
        assert!(message["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(message["createdDateTime"].is_string());
        assert_eq!(message["body"], text["body"]);
        assert_eq!(message["chatId"], "19:x@unq.gbl.spaces");
        let snapshot = teams.snapshot();
        assert_eq!(
            snapshot["messages"][0]["where"],
            json!({"chatId": "19:x@unq.gbl.spaces"})
        );
        assert_eq!(snapshot["messages"][0]["text"], "hello");
        assert_eq!(snapshot["messages"][0]["id"], message["id"]);
    }

    #[tokio::test]
    async fn graph_cards_are_json_strings_referenced_in_the_body() {
        let (base, teams) = serve().await;
        let token = get_token(&base, SECRET).await.1["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let url = format!("{base}/graph/v1.0/teams/team-1/channels/19:abc@thread.tacv2/messages");
        let message = |content: Value, body: &str| {
            json!({
                "body": {"contentType": "html", "content": body},
                "attachments": [{"id": "card1", "contentType": CARD_CONTENT_TYPE, "content": content}],
            })
        };
        let reference = "<attachment id=\"card1\"></attachment>";
        let as_object = message(card(open_url()), reference);
        let (status, _, body) = post_json(&url, &as_object, Some(&token)).await;
        assert_eq!(status, 400);
        assert!(body.contains("JSON string"), "{body}");
        let unreferenced = message(json!(card(open_url()).to_string()), "hi");
        let (status, _, body) = post_json(&url, &unreferenced, Some(&token)).await;
        assert_eq!(status, 400);
        assert!(body.contains("not referenced"), "{body}");

        let good = message(json!(card(open_url()).to_string()), reference);
        let (status, _, body) = post_json(&url, &good, Some(&token)).await;
        assert_eq!(status, 201, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            answer["channelIdentity"],
            json!({"teamId": "team-1", "channelId": "19:abc@thread.tacv2"})
        );
        let snapshot = teams.snapshot();
        let stored = &snapshot["messages"][0];
        assert_eq!(stored["via"], "graph");
        assert_eq!(
            stored["where"],
            json!({"teamId": "team-1", "channelId": "19:abc@thread.tacv2"})
        );
        assert_eq!(stored["card"], card(open_url()));

        // The forced rate limit applies to Graph too.
        post_json(
            &format!("{base}/_control/rate-limit"),
            &json!({"count": 1, "retryAfter": 2}),
            None,
        )
        .await;
        let (status, headers, body) = post_json(&url, &good, Some(&token)).await;
        assert_eq!(status, 429);
        assert_eq!(headers["retry-after"], "2");
        assert!(body.contains("TooManyRequests"));
    }
}
