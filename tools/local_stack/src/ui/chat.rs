//! The chat stand-ins as a person sees them: Slack messages (their buttons click as the chosen
//! user), Teams cards ([`super::teams`]) and Jira issues. Built with `maud`: every text and
//! value is escaped.

use maud::{html, Markup};
use serde_json::Value;

use super::Ui;

/// A string of a stand-in's JSON, or nothing.
fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The elements of a JSON array, none when it is not one.
fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

impl Ui {
    /// Slack messages as a person sees them; buttons click as the chosen user.
    pub(super) fn slack_section(&self) -> Markup {
        let snapshot = self.standins.slack.snapshot();
        let messages = snapshot["messages"].as_array().cloned().unwrap_or_default();
        let users = html! {
            @for u in items(&snapshot["users"]) {
                option value=(str_of(&u["id"])) { (str_of(&u["name"])) }
            }
        };
        html! {
            h2 id="slack" { "Slack" }
            @if messages.is_empty() {
                p class="muted" { "No Slack message yet." }
            }
            @for v in items(&snapshot["views"]).filter(|v| v["state"] == "open") {
                (slack_modal(v))
            }
            @for m in messages.iter().rev() {
                (slack_message(m, &users))
            }
            @for e in items(&snapshot["ephemerals"]) {
                div class="card muted" {
                    "Only visible to " (str_of(&e["user"])) " in " (str_of(&e["channel"])) ": "
                    (str_of(&e["text"]))
                }
            }
        }
    }
}

/// One input block of a modal: its label, its field (typed as the Slack element), and the
/// message of a refused answer under it.
fn modal_input(block: &Value, errors: &Value) -> Markup {
    let (kind, step) = match block["element"]["type"].as_str() {
        Some("number_input") => ("number", Some("any")),
        Some("email_text_input") => ("email", None),
        _ => ("text", None),
    };
    let error = errors[str_of(&block["block_id"])].as_str();
    html! {
        label {
            (str_of(&block["label"]["text"]))
            br;
            input type=(kind) step=[step] name="answer" class="slack-answer";
        }
        @if let Some(error) = error {
            div class="slack-error" style="color:#b42318" { (error) }
        }
    }
}

/// An open Slack modal (a follow-up question) as a form: Submit sends Slack's signed
/// `view_submission`, Cancel closes it; a refused answer's message shows under its field.
fn slack_modal(v: &Value) -> Markup {
    let view = &v["view"];
    let id = str_of(&v["id"]);
    html! {
        div class="card slack-modal" id={ "modal-" (id) } {
            div class="muted" {
                "Modal for " (str_of(&v["user"])) ": " strong { (str_of(&view["title"]["text"])) }
            }
            form method="post" action="/_local/slack/submit" {
                input type="hidden" name="view" value=(id);
                @for block in items(&view["blocks"]) {
                    @match str_of(&block["type"]) {
                        "section" => { div { (str_of(&block["text"]["text"])) } },
                        "input" => { (modal_input(block, &v["errors"])) },
                        _ => {},
                    }
                }
                " "
                button type="submit" name="submit" { (view["submit"]["text"].as_str().unwrap_or("Submit")) }
                " "
                button type="submit" name="cancel" formnovalidate { "Cancel" }
            }
        }
    }
}

/// One Slack message: its blocks (its text without any), buttons in a form that clicks as
/// the user chosen among `users` (`<option>`s).
pub(super) fn slack_message(m: &Value, users: &Markup) -> Markup {
    let (channel, ts) = (str_of(&m["channel"]), str_of(&m["ts"]));
    let blocks = m["blocks"].as_array().cloned().unwrap_or_default();
    // The click hook counts buttons across the message's blocks: the first action block's
    // buttons start at 0, the next one's where those end.
    let mut first_index = 0;
    let mut body = Vec::new();
    for block in &blocks {
        let (markup, buttons) = slack_block(block, channel, ts, users, first_index);
        first_index += buttons;
        body.push(markup);
    }
    let edited = m["edits"].as_u64().unwrap_or(0) > 0;
    html! {
        div class="card slack-message" {
            div class="muted" {
                (str_of(&m["channelName"])) " · ts " (ts)
                @if edited { " · (edited)" }
            }
            @if body.iter().all(|b| b.0.is_empty()) {
                div { (str_of(&m["text"])) }
            } @else {
                @for b in &body { (b) }
            }
        }
    }
}

/// One block of a Slack message, and how many buttons it holds.
fn slack_block(
    block: &Value,
    channel: &str,
    ts: &str,
    users: &Markup,
    first_index: usize,
) -> (Markup, usize) {
    match str_of(&block["type"]) {
        "header" => (
            html! { div { strong { (str_of(&block["text"]["text"])) } } },
            0,
        ),
        "section" => (html! { div { (str_of(&block["text"]["text"])) } }, 0),
        "context" => (
            html! {
                @for e in items(&block["elements"]) {
                    div class="muted" { (str_of(&e["text"])) }
                }
            },
            0,
        ),
        "actions" => slack_actions(block, channel, ts, users, first_index),
        _ => (html! {}, 0),
    }
}

/// An actions block as a form; its buttons are numbered from `first_index`, as the click
/// hook counts them.
fn slack_actions(
    block: &Value,
    channel: &str,
    ts: &str,
    users: &Markup,
    first_index: usize,
) -> (Markup, usize) {
    let buttons: Vec<&Value> = items(&block["elements"])
        .filter(|e| e["type"] == "button")
        .collect();
    let form = html! {
        form method="post" action="/_local/slack/click" class="slack-actions" {
            input type="hidden" name="channel" value=(channel);
            input type="hidden" name="ts" value=(ts);
            label class="muted" { "click as " select name="user" { (users) } }
            " "
            @for (i, e) in buttons.iter().enumerate() {
                button name="index" value=(first_index + i)
                    class=(e["style"].as_str().unwrap_or("default")) {
                    (str_of(&e["text"]["text"]))
                }
                " "
            }
        }
    };
    (form, buttons.len())
}

/// Teams messages, in their own file.
pub(super) use super::teams::teams_section;

pub(super) fn jira_section(snapshot: &Value) -> Markup {
    let issues = snapshot["issues"]
        .as_array()
        .or(snapshot.as_array())
        .cloned()
        .unwrap_or_default();
    html! {
        h2 id="jira" { "Jira" }
        @for issue in &issues {
            div class="card" {
                strong { (str_of(&issue["key"])) } " "
                span class="muted" { (str_of(&issue["status"])) }
                pre { (serde_json::to_string_pretty(&issue["comments"]).unwrap_or_default()) }
            }
        }
    }
}
