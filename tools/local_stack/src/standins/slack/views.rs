//! Modals: `views.open` as Slack answers it (a click's `trigger_id` opens one modal, within 3 s
//! of the click; a view Slack would refuse is `invalid_arguments`), the modals people have
//! open, and their submission: the signed `view_submission` Slack sends to the interactivity
//! URL, whose `response_action: errors` keeps the modal open with the messages shown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::click::ClickOptions;
use super::{SlackStandIn, TEAM_ID, USERS};

/// How long a `trigger_id` opens a modal after the click.
pub const TRIGGER_LIFETIME: Duration = Duration::from_secs(3);
/// Slack's limits on a modal.
const MAX_MODAL_BLOCKS: usize = 100;
const MAX_TITLE_CHARS: usize = 24;
const MAX_PRIVATE_METADATA: usize = 3000;

/// A trigger a click handed out: who clicked, when, whether a modal used it.
pub(super) struct Trigger {
    pub user: String,
    pub issued: Instant,
    pub used: bool,
}

/// A modal as a person has it: open until submitted (accepted) or closed.
#[derive(Clone, Debug)]
pub(super) struct OpenView {
    pub id: String,
    pub user: String,
    pub view: Value,
    /// `open`, `submitted` or `closed`.
    pub state: &'static str,
    /// The field errors of the last refused submission.
    pub errors: Value,
}

impl OpenView {
    pub fn snapshot(&self) -> Value {
        json!({"id": self.id, "user": self.user, "view": self.view, "state": self.state, "errors": self.errors})
    }
}

/// `views.open`: the trigger must be one a click issued, unused and at most 3 s old.
pub(super) fn views_open(slack: &SlackStandIn, args: &Map<String, Value>) -> Response {
    let Some(trigger_id) = args.get("trigger_id").and_then(Value::as_str) else {
        return refused(
            "invalid_arguments",
            "[ERROR] missing required field: trigger_id",
        );
    };
    let view = match args.get("view") {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(view) => view.clone(),
        None => Value::Null,
    };
    if let Err(why) = check_view(&view) {
        return refused("invalid_arguments", &why.to_string());
    }
    let mut data = slack.data.lock().unwrap();
    let Some(trigger) = data.triggers.get_mut(trigger_id) else {
        return refused("invalid_trigger_id", "");
    };
    if trigger.used {
        return refused("exchanged_trigger_id", "");
    }
    if trigger.issued.elapsed() > TRIGGER_LIFETIME {
        return refused("expired_trigger_id", "");
    }
    trigger.used = true;
    let user = trigger.user.clone();
    let id = format!("V{:08}", data.views.len() + 1);
    let mut shown = view.clone();
    shown["id"] = json!(id);
    shown["team_id"] = json!(TEAM_ID);
    data.views.push(OpenView {
        id,
        user,
        view,
        state: "open",
        errors: Value::Null,
    });
    Json(json!({"ok": true, "view": shown})).into_response()
}

fn refused(code: &str, message: &str) -> Response {
    let mut body = json!({"ok": false, "error": code});
    if !message.is_empty() {
        body["response_metadata"] = json!({"messages": [message]});
    }
    Json(body).into_response()
}

/// What Slack checks of a modal before it opens it.
fn check_view(view: &Value) -> anyhow::Result<()> {
    if view["type"] != "modal" {
        return Err(anyhow!(
            "[ERROR] must be a modal view [json-pointer:/view/type]"
        ));
    }
    let title = view["title"]["text"].as_str().unwrap_or_default();
    if view["title"]["type"] != "plain_text" || title.is_empty() {
        return Err(anyhow!(
            "[ERROR] missing required field: title [json-pointer:/view/title]"
        ));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(anyhow!(
            "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
        ));
    }
    let blocks = view["blocks"]
        .as_array()
        .context("[ERROR] missing required field: blocks")?;
    if blocks.len() > MAX_MODAL_BLOCKS {
        return Err(anyhow!(
            "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
        ));
    }
    if let Some(i) = blocks.iter().position(|b| !b["type"].is_string()) {
        return Err(anyhow!(
            "[ERROR] missing required field: type [json-pointer:/view/blocks/{i}]"
        ));
    }
    let inputs = blocks.iter().filter(|b| b["type"] == "input").count();
    if inputs > 0 && view["submit"]["type"] != "plain_text" {
        return Err(anyhow!(
            "[ERROR] a view with input blocks needs submit [json-pointer:/view/submit]"
        ));
    }
    for (i, b) in blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| b["type"] == "input")
    {
        if !b["label"]["text"].is_string() || !b["element"]["type"].is_string() {
            return Err(anyhow!(
                "[ERROR] an input needs a label and an element [json-pointer:/view/blocks/{i}]"
            ));
        }
    }
    let metadata = view["private_metadata"].as_str().unwrap_or_default();
    if metadata.chars().count() > MAX_PRIVATE_METADATA {
        return Err(anyhow!(
            "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
        ));
    }
    Ok(())
}

/// A person submits (or cancels) a modal: `{"viewId"? | "user"?, "answer"? | "values"?,
/// "close"?: true}`; without `viewId`, the latest open modal (of `user`, if given). `answer`
/// fills every input of the modal; `values` is `{block_id: value}`. Answers
/// `{status, body, state, errors}`: what the interactivity endpoint answered, and whether the
/// modal is still open (refused) or submitted.
pub(super) async fn submit(
    State(slack): State<Arc<SlackStandIn>>,
    Json(body): Json<Value>,
) -> Response {
    let (view_id, user) = (body["viewId"].as_str(), body["user"].as_str());
    let Some(open) = slack.open_view(view_id, user) else {
        return (StatusCode::NOT_FOUND, "no such open modal").into_response();
    };
    let answer = body["answer"].as_str();
    let close = body["close"] == true;
    match slack
        .finish_view(&open, answer, &body["values"], close)
        .await
    {
        Ok(result) => Json(result).into_response(),
        Err((status, message)) => (status, message).into_response(),
    }
}

impl SlackStandIn {
    /// The local page's modal form: submits the open modal `view_id` with `answer`, or
    /// cancels it (`close`: nothing is sent, as Slack sends nothing without `notify_on_close`).
    pub async fn submit_modal(
        &self,
        view_id: &str,
        answer: Option<&str>,
        close: bool,
    ) -> Result<Value, (StatusCode, String)> {
        let Some(open) = self.open_view(Some(view_id), None) else {
            return Err((StatusCode::NOT_FOUND, "no such open modal".into()));
        };
        self.finish_view(&open, answer, &Value::Null, close).await
    }

    async fn finish_view(
        &self,
        open: &OpenView,
        answer: Option<&str>,
        values: &Value,
        close: bool,
    ) -> Result<Value, (StatusCode, String)> {
        if close {
            self.set_view_state(&open.id, "closed", Value::Null);
            return Ok(json!({"status": null, "state": "closed"}));
        }
        self.submit_view(open, answer, values).await
    }

    /// Remembers a click's trigger so `views.open` can take it.
    pub(super) fn issue_trigger(&self, trigger_id: &str, user: &str) {
        let trigger = Trigger {
            user: user.to_string(),
            issued: Instant::now(),
            used: false,
        };
        let mut data = self.data.lock().unwrap();
        data.triggers.insert(trigger_id.to_string(), trigger);
    }

    fn open_view(&self, id: Option<&str>, user: Option<&str>) -> Option<OpenView> {
        let data = self.data.lock().unwrap();
        data.views
            .iter()
            .rev()
            .filter(|v| v.state == "open")
            .find(|v| id.is_none_or(|id| v.id == id) && user.is_none_or(|u| v.user == u))
            .cloned()
    }

    fn set_view_state(&self, id: &str, state: &'static str, errors: Value) {
        let mut data = self.data.lock().unwrap();
        if let Some(v) = data.views.iter_mut().find(|v| v.id == id) {
            v.state = state;
            v.errors = errors;
        }
    }

    /// Sends the signed `view_submission` of `open` with its inputs filled in.
    async fn submit_view(
        &self,
        open: &OpenView,
        answer: Option<&str>,
        values: &Value,
    ) -> Result<Value, (StatusCode, String)> {
        let payload = self.view_submission(open, answer, values);
        let (status, body) = self.send_signed(&payload, &ClickOptions::default()).await?;
        let answered: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let (state, errors) = match answered["response_action"].as_str() {
            Some("errors") => ("open", answered["errors"].clone()),
            _ if status == 200 => ("submitted", Value::Null),
            _ => ("open", Value::Null),
        };
        self.set_view_state(&open.id, state, errors.clone());
        Ok(json!({"status": status, "body": body, "state": state, "errors": errors}))
    }

    fn view_submission(&self, open: &OpenView, answer: Option<&str>, values: &Value) -> Value {
        let mut state = Map::new();
        for block in open.view["blocks"].as_array().into_iter().flatten() {
            if block["type"] != "input" {
                continue;
            }
            let block_id = block["block_id"].as_str().unwrap_or_default();
            let element = &block["element"];
            let typed = values[block_id].as_str().or(answer);
            let value = typed
                .filter(|t| !t.is_empty())
                .map_or(Value::Null, |t| json!(t));
            let action_id = element["action_id"].as_str().unwrap_or_default();
            state.insert(
                block_id.to_string(),
                json!({action_id: {"type": element["type"], "value": value}}),
            );
        }
        let username = USERS
            .iter()
            .find(|(id, _, _)| *id == open.user)
            .map_or("", |(_, name, _)| name);
        let mut view = open.view.clone();
        view["id"] = json!(open.id);
        view["team_id"] = json!(TEAM_ID);
        view["state"] = json!({"values": state});
        json!({
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "local"},
            "user": {"id": open.user, "username": username, "name": username, "team_id": TEAM_ID},
            "api_app_id": "A0HITL",
            "token": "deprecated-verification-token",
            "trigger_id": format!("{}.local", self.next_ts().replace('.', "")),
            "view": view,
            "response_urls": [],
        })
    }
}

#[cfg(test)]
#[path = "views_tests.rs"]
mod tests;
