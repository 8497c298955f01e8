//! The identity platform's client-credentials token endpoint, and the Graph message
//! endpoints, which refuse the app-only tokens it issues.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{now_rfc3339, TeamsStandIn, GRAPH_SCOPE};
use crate::standins::identity::{self, graph_error};

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

pub(super) async fn token(
    State(teams): State<Arc<TeamsStandIn>>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    let scope_ok = |scope: &str| scope == GRAPH_SCOPE;
    match identity::check_request(&body, &teams.client_id, &teams.client_secret, scope_ok) {
        Ok(()) => identity::issue_token(&mut teams.data.lock().unwrap().tokens, "local"),
        Err((status, code, description)) => oauth_error(status, code, description),
    }
}

/// What Graph answers an app-only (client credentials) token posting a channel or chat
/// message outside a migration.
pub const APP_ONLY_POST_REFUSED: &str = "Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.";

/// Both Graph message endpoints: a missing or unknown token is refused as such; a valid token
/// is app-only (this stand-in issues no other kind), which Graph refuses for live messages.
fn refuse_graph_message(teams: &TeamsStandIn, headers: &HeaderMap) -> Response {
    let data = teams.data.lock().unwrap();
    let token = identity::bearer(headers);
    let valid = identity::still_valid(&data.tokens, token);
    let (code, message) = match (token, valid) {
        (None, _) => ("InvalidAuthenticationToken", "Access token is empty."),
        (Some(_), false) => (
            "InvalidAuthenticationToken",
            "IDX14100: JWT is not well formed or was not issued for this resource.",
        ),
        (Some(_), true) => ("Unauthorized", APP_ONLY_POST_REFUSED),
    };
    graph_error(StatusCode::UNAUTHORIZED, code, message)
}

pub(super) async fn channel_message(
    State(teams): State<Arc<TeamsStandIn>>,
    headers: HeaderMap,
) -> Response {
    refuse_graph_message(&teams, &headers)
}

pub(super) async fn chat_message(
    State(teams): State<Arc<TeamsStandIn>>,
    headers: HeaderMap,
) -> Response {
    refuse_graph_message(&teams, &headers)
}
