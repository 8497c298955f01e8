//! The Microsoft identity platform's client-credentials token endpoint, as the Teams (Graph)
//! and Outlook stand-ins both serve it: the same form checks, the same refusals, the same
//! tokens (each stand-in keeps its own tokens and words its own OAuth error body); and Graph's
//! error body, which both answer with.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// What a token lives (the identity platform's 3599 s).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3599);

/// Why a token request is refused: status, OAuth `error` code, `error_description`.
pub type Refusal = (StatusCode, &'static str, &'static str);

/// Graph's error body: `{"error": {"code", "message", "innerError": {"date", "request-id"}}}`.
pub fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    let inner = json!({"date": crate::outbox::now_rfc3339(), "request-id": uuid::Uuid::new_v4().to_string()});
    let body = json!({"error": {"code": code, "message": message, "innerError": inner}});
    (status, Json(body)).into_response()
}

/// Checks a client-credentials token request's form against the app's id and secret, and its
/// `scope` with `scope_ok`.
pub fn check_request(
    body: &[u8],
    client_id: &str,
    client_secret: &str,
    scope_ok: impl Fn(&str) -> bool,
) -> Result<(), Refusal> {
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return Err((
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
        ));
    }
    if field("client_id") != client_id || field("client_secret") != client_secret {
        return Err((
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        ));
    }
    if !scope_ok(field("scope")) {
        return Err((
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        ));
    }
    Ok(())
}

/// Issues a new access token into `tokens` (dropping expired ones) and answers with it.
/// `issuer` ends the token, so each stand-in's tokens are its own.
pub fn issue_token(tokens: &mut HashMap<String, Instant>, issuer: &str) -> Response {
    let access_token = format!(
        "eyJ0eXAiOiJKV1QifQ.{}.{issuer}",
        uuid::Uuid::new_v4().simple()
    );
    let now = Instant::now();
    tokens.retain(|_, expiry| *expiry > now);
    tokens.insert(access_token.clone(), now + TOKEN_LIFETIME);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "ext_expires_in": TOKEN_LIFETIME.as_secs(),
        "access_token": access_token,
    }))
    .into_response()
}

/// The bearer token a request presents (`Authorization: Bearer …`), if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Whether `token` is one of `tokens` (issued by [`issue_token`]) and has not expired.
pub fn still_valid(tokens: &HashMap<String, Instant>, token: Option<&str>) -> bool {
    token
        .and_then(|t| tokens.get(t))
        .is_some_and(|expiry| *expiry > Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str) -> Result<(), &'static str> {
        check_request(body.as_bytes(), "app", "s3cret", |s| {
            s.ends_with("/.default")
        })
        .map_err(|(_, code, _)| code)
    }

    #[test]
    fn the_identity_platform_refusals_are_named_as_entra_names_them() {
        let good = "grant_type=client_credentials&client_id=app&client_secret=s3cret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
        assert_eq!(check(good), Ok(()));
        assert_eq!(
            check(&good.replace("client_credentials", "password")),
            Err("unsupported_grant_type")
        );
        assert_eq!(
            check(&good.replace("s3cret", "guess")),
            Err("invalid_client")
        );
        assert_eq!(
            check(&good.replace("client_id=app", "client_id=other")),
            Err("invalid_client")
        );
        assert_eq!(
            check(&good.replace("%2F.default", "%2FMail.Send")),
            Err("invalid_scope")
        );
    }

    #[test]
    fn issued_tokens_are_kept_and_expired_ones_dropped() {
        let mut tokens = HashMap::from([("old".to_string(), Instant::now())]);
        let answer = issue_token(&mut tokens, "outlook");
        assert_eq!(answer.status(), StatusCode::OK);
        assert!(!tokens.contains_key("old"), "an expired token is dropped");
        assert_eq!(tokens.len(), 1);
        assert!(tokens.keys().all(|t| t.ends_with(".outlook")));
    }
}
