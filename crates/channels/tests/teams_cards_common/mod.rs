//! What the Teams bot card tests share: a request's links, its follow-up question, approvers,
//! and the cards' parts a person sees or clicks.
#![allow(dead_code)]

use approvals::buttons::ButtonStyle;
use approvals::ports::Fact;
use approvals::{AnswerKind, ButtonLink, CreateLinksOutput, FollowUp, RecipientLinks, TeamsUser};
use serde_json::Value;

pub const APPROVAL: &str = "a-1";
pub const EXPIRES: &str = "2027-01-15T08:00:00Z";

/// Links as the bot path makes them: no shared pair (approvers named) unless `shared`.
pub fn links(own_buttons: &[(&str, &str, ButtonStyle)], shared: bool) -> CreateLinksOutput {
    let buttons: Vec<ButtonLink> = own_buttons
        .iter()
        .map(|(label, value, style)| ButtonLink {
            label: label.to_string(),
            value: value.to_string(),
            style: *style,
            url: format!("https://api.example.com/d/{value}"),
        })
        .collect();
    let (top, personal) = match shared {
        true => (buttons, Vec::new()),
        false => (
            Vec::new(),
            vec![RecipientLinks {
                approver: "alice@corp.com".into(),
                approve_url: String::new(),
                reject_url: String::new(),
                buttons,
            }],
        ),
    };
    let pair = shared && own_buttons.is_empty();
    CreateLinksOutput {
        approval_id: APPROVAL.into(),
        approve_url: pair.then(|| "https://api.example.com/approve".into()),
        reject_url: pair.then(|| "https://api.example.com/reject".into()),
        expires_at: EXPIRES.into(),
        title: "Stop db-1?".into(),
        description: Some("The nightly job wants to stop **db-1**.".into()),
        links: personal,
        buttons: top,
    }
}

pub fn default_links() -> CreateLinksOutput {
    links(&[], false)
}

pub fn own_buttons() -> CreateLinksOutput {
    links(
        &[
            ("Ship it", "ship", ButtonStyle::Primary),
            ("Hold", "hold", ButtonStyle::Default),
            ("Roll back", "rollback", ButtonStyle::Danger),
        ],
        false,
    )
}

pub fn facts() -> Vec<Fact> {
    vec![
        Fact {
            title: "Host".into(),
            value: "db-1".into(),
        },
        Fact {
            title: "Owner".into(),
            value: "ops".into(),
        },
    ]
}

pub fn question(kind: AnswerKind, after: &[&str], required: bool) -> FollowUp {
    FollowUp {
        question: "Which ticket?".into(),
        kind,
        after: after.iter().map(|a| a.to_string()).collect(),
        required,
    }
}

pub fn user(object_id: &str, name: &str) -> TeamsUser {
    TeamsUser {
        object_id: object_id.into(),
        name: name.into(),
        user_principal_name: None,
        tenant_id: "tenant-1".into(),
    }
}

pub fn approvers() -> Vec<TeamsUser> {
    vec![
        user("7faf8ab2-3d56-4244-b585-20c8a42ed2b8", "Megan Bowen"),
        user("eddfa9d4-346e-4cce-a18f-fa6261ad776b", "Alex Wilber"),
    ]
}

/// Every object in `card` (depth first) whose `type` is `kind`.
pub fn all_of<'a>(card: &'a Value, kind: &str) -> Vec<&'a Value> {
    let mut found = Vec::new();
    walk(card, &mut |v| {
        if v.get("type").and_then(Value::as_str) == Some(kind) {
            found.push(v);
        }
    });
    found
}

/// Every `type` in `card` that is an action (`Action.…`) or an input (`Input.…`).
pub fn clickable(card: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(card, &mut |v| {
        if let Some(kind) = v.get("type").and_then(Value::as_str) {
            if kind.starts_with("Action.") || kind.starts_with("Input.") {
                found.push(kind.to_string());
            }
        }
    });
    found
}

fn walk<'a>(value: &'a Value, visit: &mut dyn FnMut(&'a Value)) {
    match value {
        Value::Object(map) => {
            visit(value);
            map.values().for_each(|v| walk(v, visit));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, visit)),
        _ => {}
    }
}

/// The text of every TextBlock and of every RichTextBlock's runs, in order.
pub fn texts(card: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(card, &mut |v| match v["type"].as_str() {
        Some("TextBlock") => found.extend(v["text"].as_str().map(str::to_string)),
        Some("RichTextBlock") => found.push(
            v["inlines"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|run| run["text"].as_str())
                .collect(),
        ),
        _ => {}
    });
    found
}
