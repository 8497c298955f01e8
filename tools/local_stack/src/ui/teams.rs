//! Teams on the local page: a webhook's cards as posted, and each card the bot sent as each
//! member of its conversation sees it (the card as sent, or what the bot answered that
//! person's click or refresh). Its `Action.Execute` buttons and inputs are a form that sends
//! the signed invoke as that person (`POST /_local/teams/click`), with a choice of token to
//! try the bot's refusals. Built with `maud`: every text and value is escaped.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::http::{Response, StatusCode};
use maud::{html, Markup};
use serde_json::{Map, Value};

use super::{redirect, reply, Ui};
use crate::standins::teams::bot_framework::ClickRequest;

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// The tokens a click from the page can carry (`TokenVariant`'s names).
const TOKENS: [&str; 6] = [
    "valid",
    "other-key",
    "other-audience",
    "expired",
    "other-tenant",
    "none",
];

/// Teams messages: webhook cards as posted; the bot's cards per member.
pub(super) fn teams_section(snapshot: &Value) -> Markup {
    let messages = snapshot["messages"]
        .as_array()
        .or(snapshot.as_array())
        .cloned()
        .unwrap_or_default();
    html! {
        h2 id="teams" { "Microsoft Teams" }
        @if messages.is_empty() {
            p class="muted" { "No Teams message yet." }
        }
        @for m in messages.iter().rev() {
            div class="card teams-message" {
                @if m["via"] == "bot" {
                    (bot_message(m, &snapshot["bot"]))
                } @else {
                    @match find_card(m) {
                        Some(card) => { (card_view(&card, None)) },
                        None => { pre { (m.to_string()) } },
                    }
                }
            }
        }
    }
}

/// Where a bot message is: "1:1 chat with …", or the channel's or chat's name.
fn place(m: &Value) -> String {
    let place = &m["where"];
    match place["user"].as_str() {
        Some(user) => format!("1:1 chat with {user}"),
        None => format!(
            "{} {} ({})",
            str_of(&place["conversationType"]),
            str_of(&place["name"]),
            str_of(&place["conversationId"])
        ),
    }
}

/// A bot message: for each member of its conversation, the card they see, clickable as them.
fn bot_message(m: &Value, bot: &Value) -> Markup {
    let Some(card) = m["card"].as_object().map(|_| &m["card"]) else {
        return html! { div class="muted" { (place(m)) " (bot)" } div { (str_of(&m["text"])) } };
    };
    let conversation = items(&bot["conversations"])
        .find(|c| c["id"] == m["where"]["conversationId"])
        .cloned()
        .unwrap_or_default();
    let version = m["updates"].as_u64().unwrap_or(0);
    let unknown_ids: Vec<&str> = items(&card["refresh"]["userIds"])
        .filter_map(Value::as_str)
        .filter(|id| {
            !items(&bot["users"])
                .any(|u| u["id"] == *id || id.strip_prefix("8:orgid:") == u["objectId"].as_str())
        })
        .collect();
    html! {
        div class="muted" {
            (place(m)) " (bot) · activity " (str_of(&m["id"]))
            @if version > 0 { " · updated " (version) " time(s)" }
        }
        @if !unknown_ids.is_empty() {
            div class="teams-warning" style="color:#b42318" {
                "refresh.userIds lists ids that are no user MRI (29:… or 8:orgid:…) of this tenant, so Teams refreshes nobody for them: "
                (unknown_ids.join(", "))
            }
        }
        @for member in items(&conversation["members"]) {
            @let oid = str_of(&member["objectId"]);
            @let view = &m["views"][oid];
            @let current = view["version"].as_u64() == Some(version);
            @let own = view["card"].is_object() && current;
            div class="card teams-view" {
                div class="muted" {
                    "As " strong { (str_of(&member["name"])) } " sees it"
                    @if own { " · the bot's answer to their " (str_of(&view["verb"])) }
                    @else { " · the card as sent" }
                    @if current && !own && view["status"].as_u64().unwrap_or(0) > 0 {
                        " · their last " (str_of(&view["verb"])) " was answered "
                        (view["status"].as_u64().unwrap_or(0)) ": " (compact(&view["body"]))
                    }
                }
                @let shown = if own { &view["card"] } else { card };
                (card_view(shown, Some(&Clicker { conversation: str_of(&conversation["id"]), activity: str_of(&m["id"]), user: oid })))
            }
        }
    }
}

fn compact(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars().take(200).collect()
}

/// Who a card's form clicks as, on which message.
struct Clicker<'a> {
    conversation: &'a str,
    activity: &'a str,
    user: &'a str,
}

/// An Adaptive Card's text blocks, facts, inputs and buttons; its `Action.Execute` buttons
/// and inputs in a form that clicks as `clicker` (links only without one).
fn card_view(card: &Value, clicker: Option<&Clicker>) -> Markup {
    let body = html! {
        @for block in items(&card["body"]) {
            @match str_of(&block["type"]) {
                "TextBlock" => { div { (str_of(&block["text"])) } },
                "RichTextBlock" => {
                    div { @for run in items(&block["inlines"]) { (str_of(&run["text"])) } }
                },
                "FactSet" => {
                    @for f in items(&block["facts"]) {
                        div class="muted" { (str_of(&f["title"])) ": " (str_of(&f["value"])) }
                    }
                },
                t if t.starts_with("Input.") && clicker.is_some() => {
                    label {
                        (block["label"].as_str().unwrap_or(str_of(&block["id"]))) " "
                        input type="text" name={ "input." (str_of(&block["id"])) }
                            placeholder=(str_of(&block["placeholder"]));
                    }
                },
                _ => {},
            }
        }
        @for a in items(&card["actions"]) {
            @if let Some(url) = a["url"].as_str() {
                a class="teams-action" href=(url) { (a["title"].as_str().unwrap_or("Open")) }
                " "
            }
        }
    };
    let buttons: Vec<&Value> = items(&card["actions"])
        .filter(|a| a["type"] == "Action.Execute")
        .collect();
    // A settled card has nothing to click: no form.
    let Some(c) = clicker.filter(|_| !buttons.is_empty() || card["refresh"].is_object()) else {
        return body;
    };
    html! {
        form method="post" action="/_local/teams/click" class="teams-card" {
            input type="hidden" name="conversationId" value=(c.conversation);
            input type="hidden" name="activityId" value=(c.activity);
            input type="hidden" name="user" value=(c.user);
            (body)
            @for b in &buttons {
                button name="action" value=(str_of(&b["title"])) { (str_of(&b["title"])) }
                " "
            }
            @if card["refresh"].is_object() {
                button name="refresh" value="1" class="muted" { "Refresh card" }
                " "
            }
            label class="muted" {
                "token "
                select name="token" {
                    @for t in TOKENS { option value=(t) { (t) } }
                }
            }
        }
    }
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

/// The click request of a card's form: its button (or its refresh), inputs and token.
pub(super) fn click_request(form: &BTreeMap<String, String>) -> Result<ClickRequest, String> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let inputs: Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("input.")?.to_string(),
                Value::from(v.as_str()),
            ))
        })
        .collect();
    let mut request = serde_json::json!({
        "user": field("user"), "conversationId": field("conversationId"),
        "activityId": field("activityId"), "token": form.get("token").map_or("valid", String::as_str),
    });
    if form.contains_key("refresh") {
        request["verb"] = "refresh".into();
    } else {
        request["action"] = field("action").into();
        request["inputs"] = inputs.into();
    }
    serde_json::from_value(request).map_err(|e| e.to_string())
}

impl Ui {
    /// A click on a Teams card of this page: the stand-in sends Teams' signed invoke as the
    /// member whose view it is.
    pub(super) async fn click_teams(&self, body: &Bytes) -> Response<Body> {
        let form: BTreeMap<String, String> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let request = match click_request(&form) {
            Ok(request) => request,
            Err(problem) => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    "text/plain; charset=utf-8",
                    problem,
                )
            }
        };
        match self.standins.teams.click(&request).await {
            Ok(answer) if answer.status == 200 => redirect("/_local/#teams"),
            Ok(answer) => reply(
                StatusCode::BAD_GATEWAY,
                "text/plain; charset=utf-8",
                format!(
                    "the messaging endpoint answered {}: {}",
                    answer.status, answer.body
                ),
            ),
            Err((status, message)) => reply(status, "text/plain; charset=utf-8", message),
        }
    }
}

#[cfg(test)]
#[path = "teams_tests.rs"]
mod tests;
