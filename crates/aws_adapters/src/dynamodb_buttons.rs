//! How a request's own buttons (Teams `buttons`) are laid out as a DynamoDB attribute:
//! `buttons`, a list of `{label, value, style}` maps, absent for the usual approve and reject.

use approvals::{ButtonStyle, ChoiceButton, HitlError};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb_item::{corrupt, get_s, s, Item};

/// `buttons` (nothing when the request has none of its own).
pub fn buttons_attributes(buttons: &[ChoiceButton]) -> Item {
    if buttons.is_empty() {
        return Item::new();
    }
    let list = buttons
        .iter()
        .map(|b| {
            AttributeValue::M(Item::from([
                ("label".to_string(), s(&b.label)),
                ("value".to_string(), s(&b.value)),
                ("style".to_string(), s(b.style.as_str())),
            ]))
        })
        .collect();
    Item::from([("buttons".to_string(), AttributeValue::L(list))])
}

pub fn buttons_from(item: &Item) -> Result<Vec<ChoiceButton>, HitlError> {
    let Some(list) = item.get("buttons") else {
        return Ok(Vec::new());
    };
    let list = list.as_l().map_err(|_| corrupt("buttons"))?;
    list.iter()
        .map(|b| {
            let m = b.as_m().map_err(|_| corrupt("buttons"))?;
            let style = match get_s(m, "style").as_deref() {
                Some("primary") => ButtonStyle::Primary,
                Some("danger") => ButtonStyle::Danger,
                Some("default") | None => ButtonStyle::Default,
                Some(_) => return Err(corrupt("buttons.style")),
            };
            Ok(ChoiceButton {
                label: get_s(m, "label").ok_or_else(|| corrupt("buttons.label"))?,
                value: get_s(m, "value").ok_or_else(|| corrupt("buttons.value"))?,
                style,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_and_absent_means_none() {
        let buttons = vec![
            ChoiceButton::new("Go", "approve", ButtonStyle::Primary),
            ChoiceButton::new("No", "reject", ButtonStyle::Danger),
            ChoiceButton::new("Next week", "defer", ButtonStyle::Default),
        ];
        assert_eq!(
            buttons_from(&buttons_attributes(&buttons)).unwrap(),
            buttons
        );
        assert!(buttons_attributes(&[]).is_empty());
        assert_eq!(buttons_from(&Item::new()).unwrap(), vec![]);
        let bad = Item::from([("buttons".to_string(), s("x"))]);
        assert_eq!(
            buttons_from(&bad).unwrap_err().name(),
            "Hitl.DependencyFailed"
        );
    }
}
