//! The REST API v3 calls the Jira functions make: read an issue, add a comment, list and
//! take transitions.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::adf::{is_adf_doc, now_jira};
use super::data::{Comment, STATUSES, WORKFLOW};
use super::JiraStandIn;

pub(super) const NOT_FOUND: &str = "Issue does not exist or you do not have permission to see it.";

pub(super) fn jira_error(status: StatusCode, messages: &[&str], errors: Value) -> Response {
    (
        status,
        Json(json!({"errorMessages": messages, "errors": errors})),
    )
        .into_response()
}

fn issue_not_found() -> Response {
    jira_error(StatusCode::NOT_FOUND, &[NOT_FOUND], json!({}))
}

fn bad_request(message: &str) -> Response {
    jira_error(StatusCode::BAD_REQUEST, &[message], json!({}))
}

/// `{scheme}://{host}{prefix}` of this request, for the `self` links Jira puts in its answers.
fn site_url(headers: &HeaderMap, uri: &OriginalUri) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let path = uri.path();
    let prefix = path.find("/rest/api/3/").map_or("", |i| &path[..i]);
    format!("http://{host}{prefix}")
}

fn status_json(site: &str, name: &str) -> Value {
    let status = STATUSES
        .iter()
        .find(|s| s.name == name)
        .expect("issues only hold workflow statuses");
    json!({
        "self": format!("{site}/rest/api/3/status/{}", status.id),
        "name": status.name,
        "id": status.id,
        "statusCategory": {"key": status.category.0, "name": status.category.1},
    })
}

/// `GET /rest/api/3/issue/{key}`: `fields=a,b` limits the fields, as in Jira.
pub(super) async fn get_issue(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Response {
    let site = site_url(&headers, &uri);
    let mut data = jira.data.lock().unwrap();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let wanted: Option<Vec<&str>> = query
        .get("fields")
        .map(|f| f.split(',').map(str::trim).collect());
    let include = |field: &str| wanted.as_ref().is_none_or(|w| w.contains(&field));
    let mut fields = serde_json::Map::new();
    if include("summary") {
        fields.insert("summary".into(), json!(issue.summary));
    }
    if include("status") {
        fields.insert("status".into(), status_json(&site, issue.status));
    }
    Json(json!({
        "id": issue.id,
        "self": format!("{site}/rest/api/3/issue/{}", issue.id),
        "key": issue.key,
        "fields": fields,
    }))
    .into_response()
}

pub(super) async fn add_comment(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    uri: OriginalUri,
    body: Bytes,
) -> Response {
    let site = site_url(&headers, &uri);
    let mut data = jira.data.lock().unwrap();
    let comment_id = data.next_comment_id.to_string();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("Unexpected character in the request body: {e}")),
    };
    let comment_error =
        |message: &str| jira_error(StatusCode::BAD_REQUEST, &[], json!({"comment": message}));
    let adf = match request.get("body") {
        None | Some(Value::Null) => return comment_error("Comment body can not be empty!"),
        Some(adf) if !is_adf_doc(adf) => return comment_error("Comment body is not valid!"),
        Some(adf) if adf["content"].as_array().is_some_and(Vec::is_empty) => {
            return comment_error("Comment body can not be empty!")
        }
        Some(adf) => adf.clone(),
    };
    let created = now_jira();
    let issue_id = issue.id.clone();
    issue.comments.push(Comment {
        id: comment_id.clone(),
        body: adf.clone(),
        created: created.clone(),
    });
    data.next_comment_id += 1;
    let author = json!({
        "accountId": "5b10a2844c20165700ede21g",
        "emailAddress": jira.email,
        "displayName": "hitl (local)",
        "active": true,
    });
    (
        StatusCode::CREATED,
        Json(json!({
            "self": format!("{site}/rest/api/3/issue/{issue_id}/comment/{comment_id}"),
            "id": comment_id,
            "author": author,
            "body": adf,
            "updateAuthor": author,
            "created": created,
            "updated": created,
            "jsdPublic": true,
        })),
    )
        .into_response()
}

pub(super) async fn list_transitions(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Response {
    let site = site_url(&headers, &uri);
    let mut data = jira.data.lock().unwrap();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let transitions: Vec<Value> = WORKFLOW
        .iter()
        .filter(|step| step.from.contains(&issue.status))
        .map(|step| {
            json!({
                "id": step.id,
                "name": step.name,
                "to": status_json(&site, step.to),
                "hasScreen": false,
                "isGlobal": false,
                "isInitial": false,
                "isAvailable": true,
                "isConditional": false,
                "isLooped": false,
            })
        })
        .collect();
    Json(json!({"expand": "transitions", "transitions": transitions})).into_response()
}

/// `POST /rest/api/3/issue/{key}/transitions` `{"transition": {"id": "21"}}`: 204, or 400 when
/// the transition cannot be taken from the issue's current status.
pub(super) async fn transition(
    State(jira): State<Arc<JiraStandIn>>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let mut data = jira.data.lock().unwrap();
    let Some(issue) = data.issue_mut(&key) else {
        return issue_not_found();
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("Unexpected character in the request body: {e}")),
    };
    // Jira takes the id as a string or a number.
    let id = match &request["transition"]["id"] {
        Value::String(id) => id.clone(),
        Value::Number(id) => id.to_string(),
        _ => return bad_request("Missing 'transition' identifier"),
    };
    let Some(step) = WORKFLOW
        .iter()
        .find(|s| s.id == id && s.from.contains(&issue.status))
    else {
        return bad_request(&format!(
            "Transition id '{id}' is not valid for this issue."
        ));
    };
    issue.status = step.to;
    StatusCode::NO_CONTENT.into_response()
}
