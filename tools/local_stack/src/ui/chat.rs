//! The chat stand-ins as a person sees them: Slack messages (their buttons click as the chosen
//! user), Teams cards and Jira issues.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::Value;

use super::Ui;

impl Ui {
    /// Slack messages as a person sees them; buttons click as the chosen user.
    pub(super) fn slack_section(&self) -> String {
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
        for v in snapshot["views"].as_array().into_iter().flatten() {
            if v["state"] == "open" {
                html.push_str(&slack_modal(v));
            }
        }
        for m in messages.iter().rev() {
            html.push_str(&slack_message(m, &users));
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

/// An open Slack modal (a follow-up question) as a form: Submit sends Slack's signed
/// `view_submission`, Cancel closes it; a refused answer's message shows under its field.
fn slack_modal(v: &Value) -> String {
    let view = &v["view"];
    let mut body = String::new();
    for block in view["blocks"].as_array().into_iter().flatten() {
        let block_id = block["block_id"].as_str().unwrap_or_default();
        match block["type"].as_str().unwrap_or_default() {
            "section" => body.push_str(&format!(
                "<div>{}</div>",
                text(block["text"]["text"].as_str().unwrap_or_default())
            )),
            "input" => {
                let kind = match block["element"]["type"].as_str() {
                    Some("number_input") => "number\" step=\"any",
                    Some("email_text_input") => "email",
                    _ => "text",
                };
                let error = v["errors"][block_id]
                    .as_str()
                    .map(|e| {
                        format!(
                            "<div class=\"slack-error\" style=\"color:#b42318\">{}</div>",
                            text(e)
                        )
                    })
                    .unwrap_or_default();
                body.push_str(&format!(
                    "<label>{}<br><input type=\"{kind}\" name=\"answer\" class=\"slack-answer\"></label>{error}",
                    text(block["label"]["text"].as_str().unwrap_or_default())
                ));
            }
            _ => {}
        }
    }
    format!(
        "<div class=\"card slack-modal\" id=\"modal-{id}\"><div class=\"muted\">Modal for {user}: <strong>{title}</strong></div>\
<form method=\"post\" action=\"/_local/slack/submit\"><input type=\"hidden\" name=\"view\" value=\"{id}\">{body} \
<button type=\"submit\" name=\"submit\">{submit}</button> <button type=\"submit\" name=\"cancel\" formnovalidate>Cancel</button></form></div>",
        id = attr(v["id"].as_str().unwrap_or_default()),
        user = text(v["user"].as_str().unwrap_or_default()),
        title = text(view["title"]["text"].as_str().unwrap_or_default()),
        submit = text(view["submit"]["text"].as_str().unwrap_or("Submit")),
    )
}

/// One Slack message: its blocks (its text without any), buttons in a form that clicks as
/// the user chosen among `users` (`<option>`s).
fn slack_message(m: &Value, users: &str) -> String {
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
            "actions" => body.push_str(&slack_actions(block, channel, ts, users, &mut index)),
            _ => {}
        }
    }
    if body.is_empty() {
        body = format!(
            "<div>{}</div>",
            text(m["text"].as_str().unwrap_or_default())
        );
    }
    format!(
        "<div class=\"card slack-message\"><div class=\"muted\">{} · ts {}{}</div>{body}</div>",
        text(m["channelName"].as_str().unwrap_or_default()),
        text(ts),
        if m["edits"].as_u64().unwrap_or(0) > 0 {
            " · (edited)"
        } else {
            ""
        }
    )
}

/// An actions block as a form; `index` numbers the message's buttons across its blocks, as
/// the click hook counts them.
fn slack_actions(block: &Value, channel: &str, ts: &str, users: &str, index: &mut usize) -> String {
    let mut body = format!(
        "<form method=\"post\" action=\"/_local/slack/click\" class=\"slack-actions\">\
<input type=\"hidden\" name=\"channel\" value=\"{}\"><input type=\"hidden\" name=\"ts\" value=\"{}\">\
<label class=\"muted\">click as <select name=\"user\">{users}</select></label> ",
        attr(channel),
        attr(ts)
    );
    for e in block["elements"].as_array().into_iter().flatten() {
        if e["type"] == "button" {
            body.push_str(&format!(
                "<button name=\"index\" value=\"{index}\" class=\"{}\">{}</button> ",
                attr(e["style"].as_str().unwrap_or("default")),
                text(e["text"]["text"].as_str().unwrap_or_default())
            ));
            *index += 1;
        }
    }
    body.push_str("</form>");
    body
}

/// Teams messages: the Adaptive Card's text, facts and link buttons.
pub(super) fn teams_section(snapshot: &Value) -> String {
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
        if m["via"] == "bot" {
            // A proactive 1:1 message from the bot: whose chat it is in.
            body.push_str(&format!(
                "<div class=\"muted\">1:1 chat with {} (bot)</div>",
                text(m["where"]["user"].as_str().unwrap_or_default())
            ));
        }
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

pub(super) fn jira_section(snapshot: &Value) -> String {
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
