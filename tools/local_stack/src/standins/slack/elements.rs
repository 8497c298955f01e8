//! A person acting on any interactive element, not only a button: the element found by its
//! `action_id` (in an `actions` block, as a section's accessory, or in an `input` block) and
//! the action Slack reports for it, with the selection in the field Slack uses for its type.

use anyhow::{anyhow, Context};
use serde_json::{json, Value};

/// Every interactive element of the blocks shown, with the block id it sits under.
pub(super) fn elements(shown: &[Value]) -> Vec<(Value, Value)> {
    let mut found = Vec::new();
    for b in shown {
        let block_id = b["block_id"].clone();
        for e in b["elements"].as_array().into_iter().flatten() {
            if b["type"] == "actions" {
                found.push((block_id.clone(), e.clone()));
            }
        }
        for e in [&b["accessory"], &b["element"]] {
            if e["action_id"].is_string() && e["type"] != "image" {
                found.push((block_id.clone(), e.clone()));
            }
        }
    }
    found
}

/// The option objects of `element` whose values are `selected`, or the first value that is
/// not one of its options (a person can only pick what is offered).
fn options(element: &Value, selected: &[String]) -> anyhow::Result<Vec<Value>> {
    let offered: Vec<&Value> = element["options"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            element["option_groups"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g["options"].as_array().into_iter().flatten()),
        )
        .collect();
    selected
        .iter()
        .map(|v| {
            offered
                .iter()
                .find(|o| o["value"] == v.as_str())
                .map(|o| (*o).clone())
                .ok_or_else(|| anyhow!("{v:?} is not an option of {}", element["action_id"]))
        })
        .collect()
}

/// The selection fields of the action on `element`, as Slack sends them for its type.
pub(super) fn selection(element: &Value, selected: &[String]) -> anyhow::Result<Value> {
    let kind = element["type"].as_str().unwrap_or_default();
    let first = || selected.first().cloned().context("nothing selected");
    Ok(match kind {
        "static_select" | "radio_buttons" | "overflow" => {
            json!({"selected_option": options(element, &selected[..1.min(selected.len())])?.first()})
        }
        // External options come from the app's options URL: whatever the test names.
        "external_select" => {
            json!({"selected_option": {"text": {"type": "plain_text", "text": first()?}, "value": first()?}})
        }
        "multi_static_select" | "checkboxes" => {
            json!({"selected_options": options(element, selected)?})
        }
        "datepicker" => json!({"selected_date": first()?}),
        "timepicker" => json!({"selected_time": first()?}),
        "datetimepicker" => {
            let seconds: i64 = first()?
                .parse()
                .map_err(|_| anyhow!("unix seconds expected"))?;
            json!({"selected_date_time": seconds})
        }
        "users_select" => json!({"selected_user": first()?}),
        "multi_users_select" => json!({"selected_users": selected}),
        "conversations_select" => json!({"selected_conversation": first()?}),
        "multi_conversations_select" => json!({"selected_conversations": selected}),
        "channels_select" => json!({"selected_channel": first()?}),
        "multi_channels_select" => json!({"selected_channels": selected}),
        other => return Err(anyhow!("cannot select on a {other:?} element")),
    })
}
