//! Request Action's `buttons`: the same list as Slack's (label, value, style; 1 to 6; values
//! told apart), checked by the rules every channel shares ([`approvals::buttons`]) with those of
//! a signed link: a value is URL-safe (letters, digits, `-`, `_`, `.`, `~`; at most 64) since it
//! is the decision signed in its link. Styles map to Adaptive Card action styles: `primary` (or
//! `positive`) → `positive`, `danger` (or `destructive`) → `destructive`, `default` or absent →
//! `default`.

use serde_json::Value;

use super::card::open_url_action;
use approvals::buttons::{check_buttons, default_buttons, ButtonFields, ButtonInput, LINK_BUTTONS};
use approvals::input::from_json_at;
use approvals::{ButtonLink, ChoiceButton, CreateLinksOutput, HitlError};

/// `buttons`: absent or null (Approve / Reject: an empty list is returned), or 1 to 6
/// `{label, value, style?}` objects.
pub fn parse_buttons(buttons: Option<&Value>) -> Result<Vec<ChoiceButton>, HitlError> {
    let items = match buttons {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(HitlError::invalid_input(
                "buttons must be a list of {\"label\", \"value\", \"style\"?} objects",
            ))
        }
    };
    let inputs = items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            // Named errors: an unknown field with the name meant, a wrong type with its path.
            Value::Object(_) => from_json_at::<ButtonInput>(&format!("buttons[{i}]"), item.clone()),
            _ => Err(HitlError::invalid_input(format!(
                "buttons[{i}] must be an object {{\"label\", \"value\", \"style\"?}}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fields: Vec<ButtonFields> = inputs.iter().map(ButtonFields::from).collect();
    check_buttons(&fields, &LINK_BUTTONS)
}

/// The buttons a card without named approvers shows: the request's own, or Approve / Reject
/// on the shared pair; none when the links are personal (sent by email).
pub fn card_buttons(links: &CreateLinksOutput) -> Vec<ButtonLink> {
    if !links.buttons.is_empty() {
        return links.buttons.clone();
    }
    match (&links.approve_url, &links.reject_url) {
        (Some(approve), Some(reject)) => default_buttons()
            .into_iter()
            .zip([approve, reject])
            .map(|(b, url)| ButtonLink {
                label: b.label,
                value: b.value,
                style: b.style,
                url: url.clone(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One `Action.OpenUrl` per button, in its Adaptive Card style.
pub fn link_actions(buttons: &[ButtonLink]) -> Vec<Value> {
    buttons
        .iter()
        .map(|b| open_url_action(&b.label, &b.url, b.style.card_style()))
        .collect()
}
