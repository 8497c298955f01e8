//! The local page: every sent email with its buttons, every execution with its status, the
//! schedules with a "fire now" button; plus the JSON the tests read.

mod chat;
mod page;
mod teams;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{Method, Response, StatusCode, Uri};
use serde_json::{json, Value};

use crate::outbox::Outbox;
use crate::schedules::{Fired, Targets};
use crate::template::ScheduleDef;

pub struct Ui {
    pub outbox: Arc<Outbox>,
    pub state_machines: BTreeMap<String, String>,
    pub schedules: Vec<ScheduleDef>,
    /// Step Functions (also what the executions list reads) and the function pools.
    pub schedule_targets: Targets,
    pub endpoints: Value,
    pub standins: crate::standins::StandIns,
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(Body::from(body))
        .unwrap()
}

/// An email's HTML as the page's "open" link shows it: on this stack's origin, so sandboxed
/// (CSP `sandbox`: an opaque origin, no script), or an email could call the local API.
/// Its links still open when clicked, as in a mail client.
fn email_page(email: &crate::outbox::SentEmail) -> Response<Body> {
    let mut response = reply(
        StatusCode::OK,
        "text/html; charset=utf-8",
        page::viewable_html(email),
    );
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        axum::http::HeaderValue::from_static(EMAIL_POLICY),
    );
    headers.insert(
        "x-content-type-options",
        axum::http::HeaderValue::from_static("nosniff"),
    );
    response
}

/// No script, an opaque origin; links may open a new window (the page's frames allow the same).
const EMAIL_POLICY: &str = "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; script-src 'none'; object-src 'none'; base-uri 'none'";

fn json_reply(status: StatusCode, value: Value) -> Response<Body> {
    reply(status, "application/json", value.to_string())
}

fn redirect(to: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", to)
        .body(Body::empty())
        .unwrap()
}

impl Ui {
    pub async fn handle(&self, method: &Method, uri: &Uri, body: &Bytes) -> Response<Body> {
        let path = uri.path();
        match (method.as_str(), path) {
            ("GET", "/") | ("GET", "/_local") => redirect("/_local/"),
            ("GET", "/_local/") => reply(
                StatusCode::OK,
                "text/html; charset=utf-8",
                self.page().await,
            ),
            ("GET", "/_local/api/emails") => json_reply(
                StatusCode::OK,
                serde_json::to_value(self.outbox.all()).unwrap_or_default(),
            ),
            ("GET", "/_local/api/executions") => {
                json_reply(StatusCode::OK, Value::Array(self.executions().await))
            }
            ("GET", "/_local/api/chat") => json_reply(
                StatusCode::OK,
                json!({
                    "slack": self.standins.slack.snapshot(),
                    "teams": self.standins.teams.snapshot(),
                    "jira": self.standins.jira.snapshot(),
                }),
            ),
            ("POST", "/_local/slack/click") => self.click_slack(body).await,
            ("POST", "/_local/slack/submit") => self.submit_slack(body).await,
            ("POST", "/_local/teams/click") => self.click_teams(body).await,
            // The processes of every function (tests read their environment).
            ("GET", "/_local/api/functions") => json_reply(StatusCode::OK, self.functions()),
            ("POST", "/_local/api/functions/recycle") => self.recycle_functions().await,
            ("GET", "/_local/api/health") => json_reply(
                StatusCode::OK,
                json!({"endpoints": self.endpoints, "stateMachines": self.state_machines}),
            ),
            ("GET", p) if p.starts_with("/_local/emails/") => {
                match self.outbox.get(&p["/_local/emails/".len()..]) {
                    Some(email) => email_page(&email),
                    None => reply(StatusCode::NOT_FOUND, "text/plain", "no such email".into()),
                }
            }
            ("POST", p)
                if p.ends_with("/fire")
                    && (p.starts_with("/_local/api/schedules/")
                        || p.starts_with("/_local/schedules/")) =>
            {
                self.fire_schedule(p).await
            }
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found".into()),
        }
    }

    /// A click on a Slack button of this page: the stand-in sends Slack's signed request.
    async fn click_slack(&self, body: &Bytes) -> Response<Body> {
        let form: BTreeMap<String, String> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let field = |k: &str| form.get(k).cloned().unwrap_or_default();
        let choice =
            crate::standins::slack::ButtonChoice::Index(field("index").parse().unwrap_or(0));
        match self
            .standins
            .slack
            .click(&field("channel"), &field("ts"), &field("user"), &choice)
            .await
        {
            Ok((200, _)) => redirect("/_local/#slack"),
            Ok((status, body)) => reply(
                StatusCode::BAD_GATEWAY,
                "text/plain; charset=utf-8",
                format!("the interactivity endpoint answered {status}: {body}"),
            ),
            Err((status, message)) => reply(status, "text/plain; charset=utf-8", message),
        }
    }

    /// A modal's Submit or Cancel on this page: the stand-in sends Slack's signed
    /// `view_submission` (a refused answer shows under the field, the modal stays open).
    async fn submit_slack(&self, body: &Bytes) -> Response<Body> {
        let form: BTreeMap<String, String> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let field = |k: &str| form.get(k).cloned().unwrap_or_default();
        let close = form.contains_key("cancel");
        let answer = form.get("answer").map(String::as_str);
        let slack = &self.standins.slack;
        match slack.submit_modal(&field("view"), answer, close).await {
            Ok(_) => redirect("/_local/#slack"),
            Err((status, message)) => reply(status, "text/plain; charset=utf-8", message),
        }
    }

    /// `{function: {"pids": [...]}}` for every function.
    fn functions(&self) -> Value {
        self.schedule_targets
            .functions
            .iter()
            .map(|(name, pool)| (name.clone(), json!({"pids": pool.pids()})))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// Every function's next invocation is a cold start, as after a configuration update on
    /// Lambda (a key rotation is picked up at cold start).
    async fn recycle_functions(&self) -> Response<Body> {
        let mut killed = Vec::new();
        for pool in self.schedule_targets.functions.values() {
            for pid in pool.pids() {
                if pool.kill(pid) {
                    killed.push((pool.clone(), pid));
                }
            }
        }
        // Answer once the pools have seen the processes go, so the next call starts one.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while killed.iter().any(|(pool, pid)| pool.pids().contains(pid))
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        json_reply(StatusCode::OK, json!({"killed": killed.len()}))
    }

    /// `POST …/schedules/{name}/fire`: the API answers what it started, the page goes back.
    async fn fire_schedule(&self, path: &str) -> Response<Body> {
        let p = path;
        let name = p
            .trim_end_matches("/fire")
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let Some(schedule) = self.schedules.iter().find(|s| s.name == name) else {
            return json_reply(
                StatusCode::NOT_FOUND,
                json!({"message": format!("no schedule {name}")}),
            );
        };
        match crate::schedules::fire(&self.schedule_targets, schedule).await {
            Ok(_) if !p.starts_with("/_local/api/") => redirect("/_local/"),
            Ok(Fired::Execution(arn)) => json_reply(StatusCode::OK, json!({"executionArn": arn})),
            Ok(Fired::Output(output)) => json_reply(StatusCode::OK, json!({"output": output})),
            Err(e) => json_reply(StatusCode::BAD_GATEWAY, e.to_json()),
        }
    }

    /// The most recent executions of every state machine, newest first.
    async fn executions(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for (logical_id, arn) in &self.state_machines {
            let Ok(list) = self
                .schedule_targets
                .sfn
                .list_executions()
                .state_machine_arn(arn)
                .max_results(25)
                .send()
                .await
            else {
                continue;
            };
            for e in list.executions() {
                let detail = self
                    .schedule_targets
                    .sfn
                    .describe_execution()
                    .execution_arn(e.execution_arn())
                    .send()
                    .await
                    .ok();
                all.push(json!({
                    "stateMachine": logical_id,
                    "executionArn": e.execution_arn(),
                    "name": e.name(),
                    "status": e.status().as_str(),
                    "startDate": e.start_date().secs(),
                    "input": detail.as_ref().and_then(|d| d.input()).and_then(|i| serde_json::from_str::<Value>(i).ok()),
                    "output": detail.as_ref().and_then(|d| d.output()).and_then(|o| serde_json::from_str::<Value>(o).ok()),
                    "error": detail.as_ref().and_then(|d| d.error()),
                }));
            }
        }
        all.sort_by_key(|e| std::cmp::Reverse(e["startDate"].as_i64().unwrap_or(0)));
        all
    }
}

#[cfg(test)]
mod tests;
