//! The local page: every sent email with its buttons, every execution with its status, the
//! schedules with a "fire now" button; plus the JSON the tests read.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{Method, Response, StatusCode, Uri};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
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
            // A click on a Slack button of this page: the stand-in sends Slack's signed request.
            ("POST", "/_local/slack/click") => {
                let form: BTreeMap<String, String> = form_urlencoded::parse(body)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let field = |k: &str| form.get(k).cloned().unwrap_or_default();
                let choice = crate::standins::slack::ButtonChoice::Index(
                    field("index").parse().unwrap_or(0),
                );
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
            // The processes of every function (tests read their environment).
            ("GET", "/_local/api/functions") => json_reply(
                StatusCode::OK,
                self.schedule_targets
                    .functions
                    .iter()
                    .map(|(name, pool)| (name.clone(), json!({"pids": pool.pids()})))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
            ),
            // Every function's next invocation is a cold start, as after a configuration
            // update on Lambda (a key rotation is picked up at cold start).
            ("POST", "/_local/api/functions/recycle") => {
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
            ("GET", "/_local/api/health") => json_reply(
                StatusCode::OK,
                json!({"endpoints": self.endpoints, "stateMachines": self.state_machines}),
            ),
            ("GET", p) if p.starts_with("/_local/emails/") => {
                match self.outbox.get(&p["/_local/emails/".len()..]) {
                    Some(email) => reply(StatusCode::OK, "text/html; charset=utf-8", email.html),
                    None => reply(StatusCode::NOT_FOUND, "text/plain", "no such email".into()),
                }
            }
            ("POST", p)
                if p.ends_with("/fire")
                    && (p.starts_with("/_local/api/schedules/")
                        || p.starts_with("/_local/schedules/")) =>
            {
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
                    Ok(Fired::Execution(arn)) => {
                        json_reply(StatusCode::OK, json!({"executionArn": arn}))
                    }
                    Ok(Fired::Output(output)) => {
                        json_reply(StatusCode::OK, json!({"output": output}))
                    }
                    Err(e) => json_reply(StatusCode::BAD_GATEWAY, e.to_json()),
                }
            }
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found".into()),
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

    async fn page(&self) -> String {
        let mut html = String::from(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"3\">\
<title>hitl local</title><style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2933}h2{margin-top:2rem}\
.card{border:1px solid #d9e2ec;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}.muted{color:#52606d;font-size:.9rem}\
iframe{width:100%;height:260px;border:1px solid #eee;border-radius:6px;background:#fff}pre{white-space:pre-wrap;font-size:.8rem;background:#f5f7fa;padding:.5rem;border-radius:6px}\
.RUNNING{color:#2563eb}.SUCCEEDED{color:#1a7f37}.FAILED,.TIMED_OUT,.ABORTED{color:#b42318}table{border-collapse:collapse}td,th{padding:.3rem .6rem;text-align:left;vertical-align:top}</style></head><body>\
<h1>hitl: local stack</h1><p class=\"muted\">Emails sent through SES and executions of the template's state machines. Click Approve or Reject inside an email; this page refreshes every 3 s.</p>",
        );
        html.push_str("<h2>Emails</h2>");
        let emails = self.outbox.all();
        if emails.is_empty() {
            html.push_str("<p class=\"muted\">No email sent yet.</p>");
        }
        for e in emails {
            // The email opens its links in the top window, like a mail client opening a browser tab.
            let body = format!("<base target=\"_top\">{}", e.html);
            html.push_str(&format!(
                "<div class=\"card\"><div><strong>{}</strong></div><div class=\"muted\">from {} to {} at {} · <a href=\"/_local/emails/{}\">open</a></div>\
<iframe sandbox=\"allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation\" srcdoc=\"{}\"></iframe></div>",
                text(&e.subject),
                text(&e.from),
                text(&e.to.join(", ")),
                text(&e.sent_at),
                attr(&e.id),
                attr(&body)
            ));
        }
        html.push_str(&self.slack_section());
        html.push_str(&teams_section(&self.standins.teams.snapshot()));
        html.push_str(&jira_section(&self.standins.jira.snapshot()));
        html.push_str("<h2>Executions</h2><table><tr><th>state machine</th><th>status</th><th>input</th><th>output</th></tr>");
        for e in self.executions().await {
            let pretty = |v: &Value| {
                if v.is_null() {
                    String::new()
                } else {
                    serde_json::to_string_pretty(v).unwrap_or_default()
                }
            };
            let status = e["status"].as_str().unwrap_or_default();
            html.push_str(&format!(
                "<tr><td>{}<div class=\"muted\">{}</div></td><td class=\"{}\">{}</td><td><pre>{}</pre></td><td><pre>{}{}</pre></td></tr>",
                text(e["stateMachine"].as_str().unwrap_or_default()),
                text(e["name"].as_str().unwrap_or_default()),
                attr(status),
                text(status),
                text(&pretty(&e["input"])),
                text(&pretty(&e["output"])),
                text(e["error"].as_str().unwrap_or_default())
            ));
        }
        html.push_str("</table><h2>Schedules</h2>");
        for s in &self.schedules {
            html.push_str(&format!(
                "<div class=\"card\"><strong>{}</strong> <span class=\"muted\">{} · {} · {}</span><form method=\"post\" action=\"/_local/schedules/{}/fire\"><button>Fire now</button></form></div>",
                text(&s.name),
                text(&s.target.to_string()),
                text(&s.expression),
                if s.enabled { "enabled" } else { "disabled (fires only on demand)" },
                attr(&s.name)
            ));
        }
        html.push_str(&format!(
            "<h2>Endpoints</h2><pre>{}</pre></body></html>",
            text(&serde_json::to_string_pretty(&self.endpoints).unwrap_or_default())
        ));
        html
    }

    /// Slack messages as a person sees them; buttons click as the chosen user.
    fn slack_section(&self) -> String {
        let snapshot = self.standins.slack.snapshot();
        let mut html = String::from("<h2 id=\"slack\">Slack</h2>");
        let messages = snapshot["messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            html.push_str("<p class=\"muted\">No Slack message yet.</p>");
        }
        let users: String = snapshot["users"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| {
                format!(
                    "<option value=\"{}\">{}</option>",
                    attr(u["id"].as_str().unwrap_or_default()),
                    text(u["name"].as_str().unwrap_or_default())
                )
            })
            .collect();
        for m in messages.iter().rev() {
            let (channel, ts) = (
                m["channel"].as_str().unwrap_or_default(),
                m["ts"].as_str().unwrap_or_default(),
            );
            let mut body = String::new();
            let mut index = 0;
            for block in m["blocks"].as_array().into_iter().flatten() {
                match block["type"].as_str().unwrap_or_default() {
                    "header" => body.push_str(&format!(
                        "<div><strong>{}</strong></div>",
                        text(block["text"]["text"].as_str().unwrap_or_default())
                    )),
                    "section" => body.push_str(&format!(
                        "<div>{}</div>",
                        text(block["text"]["text"].as_str().unwrap_or_default())
                    )),
                    "context" => {
                        for e in block["elements"].as_array().into_iter().flatten() {
                            body.push_str(&format!(
                                "<div class=\"muted\">{}</div>",
                                text(e["text"].as_str().unwrap_or_default())
                            ));
                        }
                    }
                    "actions" => {
                        body.push_str(&format!(
                            "<form method=\"post\" action=\"/_local/slack/click\" class=\"slack-actions\">\
<input type=\"hidden\" name=\"channel\" value=\"{}\"><input type=\"hidden\" name=\"ts\" value=\"{}\">\
<label class=\"muted\">click as <select name=\"user\">{users}</select></label> ",
                            attr(channel),
                            attr(ts)
                        ));
                        for e in block["elements"].as_array().into_iter().flatten() {
                            if e["type"] == "button" {
                                body.push_str(&format!(
                                    "<button name=\"index\" value=\"{index}\" class=\"{}\">{}</button> ",
                                    attr(e["style"].as_str().unwrap_or("default")),
                                    text(e["text"]["text"].as_str().unwrap_or_default())
                                ));
                                index += 1;
                            }
                        }
                        body.push_str("</form>");
                    }
                    _ => {}
                }
            }
            if body.is_empty() {
                body = format!(
                    "<div>{}</div>",
                    text(m["text"].as_str().unwrap_or_default())
                );
            }
            html.push_str(&format!(
                "<div class=\"card slack-message\"><div class=\"muted\">{} · ts {}{}</div>{body}</div>",
                text(m["channelName"].as_str().unwrap_or_default()),
                text(ts),
                if m["edits"].as_u64().unwrap_or(0) > 0 { " · (edited)" } else { "" }
            ));
        }
        for e in snapshot["ephemerals"].as_array().into_iter().flatten() {
            html.push_str(&format!(
                "<div class=\"card muted\">Only visible to {} in {}: {}</div>",
                text(e["user"].as_str().unwrap_or_default()),
                text(e["channel"].as_str().unwrap_or_default()),
                text(e["text"].as_str().unwrap_or_default())
            ));
        }
        html
    }
}

/// Teams messages: the Adaptive Card's text, facts and link buttons.
fn teams_section(snapshot: &Value) -> String {
    let mut html = String::from("<h2 id=\"teams\">Microsoft Teams</h2>");
    let messages = snapshot["messages"]
        .as_array()
        .or(snapshot.as_array())
        .cloned()
        .unwrap_or_default();
    if messages.is_empty() {
        html.push_str("<p class=\"muted\">No Teams message yet.</p>");
    }
    for m in messages.iter().rev() {
        let card = find_card(m);
        let mut body = String::new();
        match &card {
            Some(card) => {
                for block in card["body"].as_array().into_iter().flatten() {
                    match block["type"].as_str().unwrap_or_default() {
                        "TextBlock" => body.push_str(&format!(
                            "<div>{}</div>",
                            text(block["text"].as_str().unwrap_or_default())
                        )),
                        "FactSet" => {
                            for f in block["facts"].as_array().into_iter().flatten() {
                                body.push_str(&format!(
                                    "<div class=\"muted\">{}: {}</div>",
                                    text(f["title"].as_str().unwrap_or_default()),
                                    text(f["value"].as_str().unwrap_or_default())
                                ));
                            }
                        }
                        _ => {}
                    }
                }
                for a in card["actions"].as_array().into_iter().flatten() {
                    if let Some(url) = a["url"].as_str() {
                        body.push_str(&format!(
                            "<a class=\"teams-action\" href=\"{}\">{}</a> ",
                            attr(url),
                            text(a["title"].as_str().unwrap_or("Open"))
                        ));
                    }
                }
            }
            None => body.push_str(&format!("<pre>{}</pre>", text(&m.to_string()))),
        }
        html.push_str(&format!("<div class=\"card teams-message\">{body}</div>"));
    }
    html
}

/// The Adaptive Card of a stored Teams message, wherever the stand-in keeps it.
fn find_card(message: &Value) -> Option<Value> {
    if message["type"] == "AdaptiveCard" {
        return Some(message.clone());
    }
    match message {
        Value::Object(map) => map.values().find_map(find_card),
        Value::Array(items) => items.iter().find_map(find_card),
        Value::String(s) if s.contains("AdaptiveCard") => serde_json::from_str::<Value>(s)
            .ok()
            .and_then(|v| find_card(&v)),
        _ => None,
    }
}

fn jira_section(snapshot: &Value) -> String {
    let mut html = String::from("<h2 id=\"jira\">Jira</h2>");
    let issues = snapshot["issues"]
        .as_array()
        .or(snapshot.as_array())
        .cloned()
        .unwrap_or_default();
    for issue in issues {
        html.push_str(&format!(
            "<div class=\"card\"><strong>{}</strong> <span class=\"muted\">{}</span><pre>{}</pre></div>",
            text(issue["key"].as_str().unwrap_or_default()),
            text(issue["status"].as_str().unwrap_or_default()),
            text(&serde_json::to_string_pretty(&issue["comments"]).unwrap_or_default())
        ));
    }
    html
}
