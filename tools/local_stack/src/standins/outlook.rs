//! Outlook stand-in: the Microsoft identity platform's client-credentials token endpoint and
//! Microsoft Graph's `sendMail`, with Graph's contract:
//!
//! - Token `POST /login/{tenant}/oauth2/v2.0/token`: form `grant_type=client_credentials`,
//!   `client_id`, `client_secret`, `scope` ending in `/.default`. Wrong credentials: 401
//!   `{"error": "invalid_client"}`; another grant type: 400 `unsupported_grant_type`; another
//!   scope: 400 `invalid_scope`. Else `{"token_type": "Bearer", "expires_in": 3599,
//!   "access_token"}`.
//! - `POST /graph/v1.0/users/{user}/sendMail`: a `Bearer` token issued here, else 401
//!   `InvalidAuthenticationToken`; a body over 4 MB: 413; `{user}` not a known mailbox (case
//!   does not matter): 404 `ErrorInvalidUser`; a `from` that is another mailbox: 403
//!   `ErrorSendAsDenied`; no message, no recipient, a body type other than `Text`/`HTML`: 400
//!   (`ErrorInvalidRecipients`, `RequestBodyRead`). Else **202 Accepted** with an empty body,
//!   and the message goes to the outbox, shown on the local page like SES and SMTP mail.
//! - Test hook: `POST /_control/mailboxes {"mailboxes": [...]}` replaces the mailboxes that
//!   exist (the template's `SenderEmail` at start).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::identity::{self, graph_error};
use crate::outbox::{now_rfc3339, Outbox, SentEmail};

/// Graph's limit on a request's size.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

pub struct OutlookStandIn {
    client_id: String,
    client_secret: String,
    /// The mailboxes that exist, lowercase.
    mailboxes: Mutex<Vec<String>>,
    tokens: Mutex<HashMap<String, Instant>>,
    outbox: Arc<Outbox>,
}

impl OutlookStandIn {
    pub fn new(
        client_id: &str,
        client_secret: &str,
        mailboxes: &[&str],
        outbox: Arc<Outbox>,
    ) -> Arc<Self> {
        Arc::new(OutlookStandIn {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            mailboxes: Mutex::new(mailboxes.iter().map(|m| m.to_lowercase()).collect()),
            tokens: Mutex::new(HashMap::new()),
            outbox,
        })
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/login/{tenant}/oauth2/v2.0/token", post(token))
            .route("/graph/v1.0/users/{user}/sendMail", post(send_mail))
            .route("/_control/mailboxes", post(set_mailboxes))
            // Bigger than Graph's limit, so an oversized message gets Graph's 413.
            .layer(DefaultBodyLimit::max(2 * MAX_REQUEST_BYTES))
            .with_state(self)
    }
}

async fn set_mailboxes(
    State(outlook): State<Arc<OutlookStandIn>>,
    Json(body): Json<Value>,
) -> Response {
    let mailboxes = crate::outbox::strings(&body["mailboxes"]);
    *outlook.mailboxes.lock().unwrap() = mailboxes.iter().map(|m| m.to_lowercase()).collect();
    Json(json!({"mailboxes": mailboxes})).into_response()
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = json!({"error": code, "error_description": description, "timestamp": now_rfc3339()});
    (status, Json(body)).into_response()
}

async fn token(
    State(outlook): State<Arc<OutlookStandIn>>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    let scope_ok = |scope: &str| scope.ends_with("/.default");
    match identity::check_request(&body, &outlook.client_id, &outlook.client_secret, scope_ok) {
        Ok(()) => identity::issue_token(&mut outlook.tokens.lock().unwrap(), "outlook"),
        Err((status, code, description)) => oauth_error(status, code, description),
    }
}

/// The refusal of a request whose token is missing or not one issued here.
fn unauthenticated(outlook: &OutlookStandIn, headers: &HeaderMap) -> Option<Response> {
    let token = identity::bearer(headers);
    let valid = identity::still_valid(&outlook.tokens.lock().unwrap(), token);
    let message = match (token, valid) {
        (_, true) => return None,
        (None, _) => "Access token is empty.",
        (Some(_), false) => "IDX14100: JWT is not well formed or was not issued for this resource.",
    };
    Some(graph_error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    ))
}

async fn send_mail(
    State(outlook): State<Arc<OutlookStandIn>>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = unauthenticated(&outlook, &headers) {
        return refused;
    }
    if body.len() > MAX_REQUEST_BYTES {
        return graph_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "The request body is larger than 4 MB.",
        );
    }
    if !outlook
        .mailboxes
        .lock()
        .unwrap()
        .contains(&user.to_lowercase())
    {
        let message = format!("The requested user '{user}' is invalid.");
        return graph_error(StatusCode::NOT_FOUND, "ErrorInvalidUser", &message);
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    match sent_email(&user, &request["message"]) {
        Ok(email) => {
            outlook.outbox.record(email);
            StatusCode::ACCEPTED.into_response()
        }
        Err((status, code, message)) => graph_error(status, code, message),
    }
}

/// `[{"emailAddress": {"address"}}]` as addresses.
fn recipients(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"]["address"].as_str())
        .map(str::to_lowercase)
        .collect()
}

/// Graph's refusal: status, code and message.
type Refusal = (StatusCode, &'static str, &'static str);

/// The message `user` sends, or Graph's refusal.
fn sent_email(user: &str, message: &Value) -> Result<SentEmail, Refusal> {
    let from = &message["from"]["emailAddress"];
    if from["address"]
        .as_str()
        .is_some_and(|a| !a.eq_ignore_ascii_case(user))
    {
        return Err((
            StatusCode::FORBIDDEN,
            "ErrorSendAsDenied",
            "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.",
        ));
    }
    let (to, cc, bcc) = (
        recipients(&message["toRecipients"]),
        recipients(&message["ccRecipients"]),
        recipients(&message["bccRecipients"]),
    );
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err((
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRecipients",
            "At least one recipient is not valid., A message can't be sent because it contains no recipients.",
        ));
    }
    let content = message["body"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (text, html) = match message["body"]["contentType"]
        .as_str()
        .map(str::to_lowercase)
    {
        Some(t) if t == "html" => (String::new(), content),
        Some(t) if t == "text" => (content, String::new()),
        _ => return Err((
            StatusCode::BAD_REQUEST,
            "RequestBodyRead",
            "Cannot convert the literal to the expected type 'Microsoft.OutlookServices.BodyType'.",
        )),
    };
    Ok(SentEmail {
        id: format!("outlook-{}", uuid::Uuid::new_v4().simple()),
        via: "outlook".into(),
        from: from["address"].as_str().unwrap_or(user).to_string(),
        from_name: from["name"].as_str().map(str::to_string),
        to,
        cc,
        bcc,
        reply_to: recipients(&message["replyTo"]),
        subject: message["subject"].as_str().unwrap_or_default().to_string(),
        text,
        html,
        sent_at: now_rfc3339(),
    })
}
