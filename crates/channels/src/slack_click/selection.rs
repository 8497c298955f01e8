//! What an interactive Block Kit element's action carries: a button's value, the option(s)
//! of a select, radio buttons or checkboxes, a date, a time, users or conversations. Read
//! into the channel-neutral [`ChosenAction`] the decision keeps.

use serde::Deserialize;
use serde_json::Value;

use approvals::approval::rfc3339;
use approvals::ChosenAction;

/// One entry of a `block_actions` payload's `actions` (every field may be missing).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PayloadAction {
    #[serde(default)]
    pub block_id: Option<String>,
    #[serde(default)]
    pub action_id: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub selected_option: Option<OptionObject>,
    #[serde(default)]
    pub selected_options: Option<Vec<OptionObject>>,
    #[serde(default)]
    pub selected_date: Option<String>,
    #[serde(default)]
    pub selected_time: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub selected_date_time: Option<i64>,
    #[serde(default)]
    pub selected_user: Option<String>,
    #[serde(default)]
    pub selected_users: Option<Vec<String>>,
    #[serde(default)]
    pub selected_conversation: Option<String>,
    #[serde(default)]
    pub selected_conversations: Option<Vec<String>>,
    #[serde(default)]
    pub selected_channel: Option<String>,
    #[serde(default)]
    pub selected_channels: Option<Vec<String>>,
}

/// An option of a select, radio buttons, checkboxes or overflow menu: its `value` counts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OptionObject {
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub text: Option<Value>,
}

/// The element types whose action can answer, and where each carries its selection.
pub const ANSWERING_TYPES: &[&str] = &[
    "button",
    "static_select",
    "external_select",
    "radio_buttons",
    "overflow",
    "multi_static_select",
    "multi_external_select",
    "checkboxes",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
];

/// The action as a decision keeps it; `None` for an element that does not answer (a text
/// input, an unknown type) or a selection emptied (the last checkbox unticked).
pub(crate) fn chosen_action(action: &PayloadAction) -> Option<ChosenAction> {
    let kind = action.kind.clone().unwrap_or_else(|| "button".into());
    let values = |options: &Option<Vec<OptionObject>>| -> Vec<String> {
        let options = options.as_deref().unwrap_or_default();
        options.iter().filter_map(|o| o.value.clone()).collect()
    };
    let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
    let selected: Vec<String> = match kind.as_str() {
        "button" => vec![action.value.clone().unwrap_or_default()],
        "static_select" | "external_select" | "radio_buttons" | "overflow" => action
            .selected_option
            .as_ref()
            .and_then(|o| o.value.clone())
            .into_iter()
            .collect(),
        "multi_static_select" | "multi_external_select" | "checkboxes" => {
            values(&action.selected_options)
        }
        "datepicker" => one(&action.selected_date),
        "timepicker" => one(&action.selected_time),
        "datetimepicker" => action.selected_date_time.map(rfc3339).into_iter().collect(),
        "users_select" => one(&action.selected_user),
        "multi_users_select" => action.selected_users.clone().unwrap_or_default(),
        "conversations_select" => one(&action.selected_conversation),
        "multi_conversations_select" => action.selected_conversations.clone().unwrap_or_default(),
        "channels_select" => one(&action.selected_channel),
        "multi_channels_select" => action.selected_channels.clone().unwrap_or_default(),
        _ => return None,
    };
    if selected.is_empty() {
        return None;
    }
    Some(ChosenAction {
        action_id: action.action_id.clone().unwrap_or_default(),
        kind,
        selected,
    })
}

/// The decision's value: a button's value, or the selected values joined by commas.
pub(crate) fn decision_value(action: &ChosenAction) -> String {
    action.selected.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chosen(action: Value) -> Option<ChosenAction> {
        chosen_action(&serde_json::from_value(action).unwrap())
    }

    #[test]
    fn each_element_type_gives_its_selection() {
        let option = |v: &str| json!({"text": {"type": "plain_text", "text": v}, "value": v});
        for (action, kind, selected) in [
            (
                json!({"type": "button", "value": "go"}),
                "button",
                vec!["go"],
            ),
            (
                json!({"type": "static_select", "selected_option": option("eu")}),
                "static_select",
                vec!["eu"],
            ),
            (
                json!({"type": "radio_buttons", "selected_option": option("b")}),
                "radio_buttons",
                vec!["b"],
            ),
            (
                json!({"type": "checkboxes", "selected_options": [option("x"), option("y")]}),
                "checkboxes",
                vec!["x", "y"],
            ),
            (
                json!({"type": "datepicker", "selected_date": "2027-01-15"}),
                "datepicker",
                vec!["2027-01-15"],
            ),
            (
                json!({"type": "timepicker", "selected_time": "09:30"}),
                "timepicker",
                vec!["09:30"],
            ),
            (
                json!({"type": "datetimepicker", "selected_date_time": 1_800_000_000}),
                "datetimepicker",
                vec!["2027-01-15T08:00:00Z"],
            ),
            (
                json!({"type": "users_select", "selected_user": "U0BOB"}),
                "users_select",
                vec!["U0BOB"],
            ),
            (
                json!({"type": "multi_users_select", "selected_users": ["U1", "U2"]}),
                "multi_users_select",
                vec!["U1", "U2"],
            ),
            (
                json!({"type": "conversations_select", "selected_conversation": "C1"}),
                "conversations_select",
                vec!["C1"],
            ),
            (
                json!({"type": "channels_select", "selected_channel": "C2"}),
                "channels_select",
                vec!["C2"],
            ),
            (
                json!({"type": "external_select", "selected_option": option("ext")}),
                "external_select",
                vec!["ext"],
            ),
        ] {
            let mut action = action;
            action["action_id"] = json!("a1");
            let got = chosen(action).unwrap();
            assert_eq!(
                (got.kind.as_str(), got.selected),
                (
                    kind,
                    selected.iter().map(|s| s.to_string()).collect::<Vec<_>>()
                )
            );
            assert_eq!(got.action_id, "a1");
        }
    }

    #[test]
    fn text_inputs_unknown_types_and_emptied_selections_do_not_answer() {
        assert!(chosen(json!({"type": "plain_text_input", "value": "x"})).is_none());
        assert!(chosen(json!({"type": "checkboxes", "selected_options": []})).is_none());
        assert!(chosen(json!({"type": "static_select"})).is_none());
    }
}
