//! The buttons of a request, whatever the channel asks with: a label, a value and a style, one
//! to six of them, values told apart. Slack posts them as Block Kit buttons; Teams (and the
//! emails sent to its approvers) as signed links, one per button, whose signed decision is the
//! button's value. The rules live here once; each channel names its own limits
//! ([`CHAT_BUTTONS`], [`LINK_BUTTONS`]).

use serde::{Deserialize, Serialize};

use crate::input::{check_length, check_one_line, non_blank};
use crate::{ChosenAction, Decision, HitlError};

pub const MAX_BUTTONS: usize = 6;
pub const MAX_BUTTON_LABEL_CHARS: usize = 75;
/// A chat button's value (Slack's own limit).
pub const MAX_CHAT_VALUE_CHARS: usize = 255;
/// A value that travels in a signed link (`d=`): short and URL-safe (see [`is_link_value`]).
pub const MAX_LINK_VALUE_CHARS: usize = 64;

/// How a button looks. Input names: `primary` (Adaptive Cards: `positive`), `danger`
/// (`destructive`), `default` or absent.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ButtonStyle {
    #[default]
    Default,
    Primary,
    Danger,
}

impl ButtonStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            ButtonStyle::Default => "default",
            ButtonStyle::Primary => "primary",
            ButtonStyle::Danger => "danger",
        }
    }

    /// The Adaptive Card action style: `positive`, `destructive` or `default`.
    pub fn card_style(self) -> &'static str {
        match self {
            ButtonStyle::Default => "default",
            ButtonStyle::Primary => "positive",
            ButtonStyle::Danger => "destructive",
        }
    }
}

/// A checked button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceButton {
    pub label: String,
    pub value: String,
    #[serde(default)]
    pub style: ButtonStyle,
}

impl ChoiceButton {
    pub fn new(label: &str, value: &str, style: ButtonStyle) -> Self {
        ChoiceButton {
            label: label.into(),
            value: value.into(),
            style,
        }
    }
}

/// A button as a workflow gives it (`{label, value, style?}`), before its checks; unknown
/// fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonInput {
    pub label: Option<String>,
    pub value: Option<String>,
    pub style: Option<String>,
}

/// One button's fields as given, borrowed from whichever channel's input type holds them.
#[derive(Debug, Clone, Copy, Default)]
pub struct ButtonFields<'a> {
    pub label: Option<&'a str>,
    pub value: Option<&'a str>,
    pub style: Option<&'a str>,
}

impl<'a> From<&'a ButtonInput> for ButtonFields<'a> {
    fn from(b: &'a ButtonInput) -> Self {
        ButtonFields {
            label: b.label.as_deref(),
            value: b.value.as_deref(),
            style: b.style.as_deref(),
        }
    }
}

/// What a channel allows beyond the shared rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonRules {
    pub max_value_chars: usize,
    /// Values travel in signed links: URL-safe only, labels one line, and the Adaptive Card
    /// style names (`positive`, `destructive`, `default`) are accepted too.
    pub links: bool,
}

/// Slack buttons: any value up to 255 characters; styles `primary` or `danger`.
pub const CHAT_BUTTONS: ButtonRules = ButtonRules {
    max_value_chars: MAX_CHAT_VALUE_CHARS,
    links: false,
};

/// Buttons that are signed links (Teams cards, approver emails).
pub const LINK_BUTTONS: ButtonRules = ButtonRules {
    max_value_chars: MAX_LINK_VALUE_CHARS,
    links: true,
};

/// The usual two: Approve (primary) and Reject (danger).
pub fn default_buttons() -> Vec<ChoiceButton> {
    vec![
        ChoiceButton::new("Approve", "approve", ButtonStyle::Primary),
        ChoiceButton::new("Reject", "reject", ButtonStyle::Danger),
    ]
}

/// Letters, digits, `-`, `_`, `.` and `~` (URL-unreserved), at most [`MAX_LINK_VALUE_CHARS`].
pub fn is_link_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_LINK_VALUE_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

/// Checks 1 to [`MAX_BUTTONS`] buttons under `rules`: label and value required (trimmed),
/// lengths, values unique (they tell the answers apart), known styles. Every error names the
/// field (`buttons[2].value ...`) and is `Hitl.InvalidInput`.
pub fn check_buttons<'a>(
    buttons: &[ButtonFields<'a>],
    rules: &ButtonRules,
) -> Result<Vec<ChoiceButton>, HitlError> {
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return Err(HitlError::invalid_input(format!(
            "buttons must hold 1 to {MAX_BUTTONS} buttons{}",
            match buttons.len() {
                0 => String::new(),
                n => format!(", not {n}"),
            }
        )));
    }
    let mut checked: Vec<ChoiceButton> = Vec::with_capacity(buttons.len());
    for (i, b) in buttons.iter().enumerate() {
        let button = check_button(i, b, rules)?;
        if checked.iter().any(|c| c.value == button.value) {
            return Err(HitlError::invalid_input(format!(
                "buttons[{i}].value {:?} is used twice: values tell the answers apart",
                button.value
            )));
        }
        checked.push(button);
    }
    Ok(checked)
}

fn check_button(
    i: usize,
    b: &ButtonFields,
    rules: &ButtonRules,
) -> Result<ChoiceButton, HitlError> {
    let field = |name: &str| format!("buttons[{i}].{name}");
    let label = non_blank(b.label.map(str::to_string))
        .ok_or_else(|| HitlError::invalid_input(format!("{} is required", field("label"))))?;
    check_length(&field("label"), &label, MAX_BUTTON_LABEL_CHARS)?;
    let value = non_blank(b.value.map(str::to_string))
        .ok_or_else(|| HitlError::invalid_input(format!("{} is required", field("value"))))?;
    check_length(&field("value"), &value, rules.max_value_chars)?;
    if rules.links {
        check_one_line(&field("label"), &label)?;
        if !is_link_value(&value) {
            return Err(HitlError::invalid_input(format!(
                "{} {value:?} may hold only letters, digits, -, _, . and ~ (it travels in a signed link)",
                field("value")
            )));
        }
    }
    let style = match (b.style.map(str::trim), rules.links) {
        (None, _) => ButtonStyle::Default,
        (Some("primary"), _) => ButtonStyle::Primary,
        (Some("danger"), _) => ButtonStyle::Danger,
        (Some("positive"), true) => ButtonStyle::Primary,
        (Some("destructive"), true) => ButtonStyle::Danger,
        (Some("default"), true) => ButtonStyle::Default,
        (Some(other), false) => {
            return Err(HitlError::invalid_input(format!(
                "{} must be primary or danger (or absent), not {other:?}",
                field("style")
            )))
        }
        (Some(other), true) => {
            return Err(HitlError::invalid_input(format!(
                "{} must be primary (or positive), danger (or destructive), or default (or absent), not {other:?}",
                field("style")
            )))
        }
    };
    Ok(ChoiceButton {
        label,
        value,
        style,
    })
}

/// The decision a link carries (`d=`): approve, reject, or a button's own value. Anything else
/// is refused as an invalid link (whether this request has that button is checked against its
/// record: [`allows`]).
pub fn link_decision(value: &str) -> Result<Decision, HitlError> {
    match Decision::parse(value) {
        Ok(decision) => Ok(decision),
        Err(_) if is_link_value(value) => Ok(Decision::Custom(value.to_string())),
        Err(err) => Err(err),
    }
}

/// Whether a request with these buttons (none: the usual approve and reject) offers `decision`.
pub fn allows(buttons: &[ChoiceButton], decision: &Decision) -> bool {
    choice(buttons, decision).is_some()
}

/// The button of a request (or of the usual two, when it has none of its own) that stands for
/// `decision`, with its index.
pub fn choice(buttons: &[ChoiceButton], decision: &Decision) -> Option<(usize, ChoiceButton)> {
    let find = |list: &[ChoiceButton]| {
        list.iter()
            .enumerate()
            .find(|(_, b)| b.value == decision.as_str())
            .map(|(i, b)| (i, b.clone()))
    };
    if buttons.is_empty() {
        find(&default_buttons())
    } else {
        find(buttons)
    }
}

/// The element a decision came from, for a request with its own buttons (as a Slack click
/// names it: `hitl_button_{index}`, type `button`, the value selected); `None` for the usual
/// approve and reject.
pub fn chosen_action(buttons: &[ChoiceButton], decision: &Decision) -> Option<ChosenAction> {
    if buttons.is_empty() {
        return None;
    }
    choice(buttons, decision).map(|(i, b)| ChosenAction {
        action_id: format!("hitl_button_{i}"),
        kind: "button".into(),
        selected: vec![b.value],
    })
}

/// One button of a request as a signed link (Send Email reads it back: strict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ButtonLink {
    pub label: String,
    pub value: String,
    #[serde(default)]
    pub style: ButtonStyle,
    pub url: String,
}

#[cfg(test)]
#[path = "buttons/tests.rs"]
mod tests;
