use super::*;

fn fields(
    list: &[(&'static str, &'static str, Option<&'static str>)],
) -> Vec<ButtonFields<'static>> {
    list.iter()
        .map(|(label, value, style)| ButtonFields {
            label: Some(label),
            value: Some(value),
            style: *style,
        })
        .collect()
}

fn refused(
    list: &[(&'static str, &'static str, Option<&'static str>)],
    rules: &ButtonRules,
) -> String {
    let err = check_buttons(&fields(list), rules).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    err.to_string()
}

#[test]
fn buttons_are_trimmed_and_styles_mapped() {
    let checked = check_buttons(
        &fields(&[
            (" Scale down ", " approve ", Some("primary")),
            ("Keep", "reject", Some("destructive")),
            ("Next week", "defer", None),
            ("Later", "later.2~x_y-z", Some("default")),
        ]),
        &LINK_BUTTONS,
    )
    .unwrap();
    assert_eq!(
        checked,
        vec![
            ChoiceButton::new("Scale down", "approve", ButtonStyle::Primary),
            ChoiceButton::new("Keep", "reject", ButtonStyle::Danger),
            ChoiceButton::new("Next week", "defer", ButtonStyle::Default),
            ChoiceButton::new("Later", "later.2~x_y-z", ButtonStyle::Default),
        ]
    );
    let styles: Vec<&str> = checked.iter().map(|b| b.style.card_style()).collect();
    assert_eq!(styles, ["positive", "destructive", "default", "default"]);
}

#[test]
fn counts_duplicates_and_missing_fields_are_refused_by_field() {
    let seven = [
        ("B", "v0", None),
        ("B", "v1", None),
        ("B", "v2", None),
        ("B", "v3", None),
        ("B", "v4", None),
        ("B", "v5", None),
        ("B", "v6", None),
    ];
    assert!(refused(&seven, &LINK_BUTTONS).contains("1 to 6 buttons, not 7"));
    assert!(check_buttons(&fields(&seven[..6]), &LINK_BUTTONS).is_ok());
    assert!(refused(&[], &LINK_BUTTONS).contains("1 to 6"));
    assert!(
        refused(&[("A", "x", None), ("B", "x", None)], &CHAT_BUTTONS)
            .contains("buttons[1].value \"x\" is used twice")
    );
    assert!(refused(&[("  ", "x", None)], &CHAT_BUTTONS).contains("buttons[0].label is required"));
    assert!(refused(&[("A", " ", None)], &LINK_BUTTONS).contains("buttons[0].value is required"));
    let long_label: &'static str = "l".repeat(76).leak();
    assert!(refused(&[(long_label, "x", None)], &CHAT_BUTTONS)
        .contains("buttons[0].label is longer than 75"));
}

#[test]
fn link_values_are_url_safe_and_short_chat_values_are_not() {
    for bad in ["two words", "a/b", "a&d=approve", "é", "a?b", "x%20"] {
        let message = refused(&[("A", bad, None)], &LINK_BUTTONS);
        assert!(
            message.contains("buttons[0].value") && message.contains("only letters"),
            "{bad}: {message}"
        );
        assert!(
            check_buttons(&fields(&[("A", bad, None)]), &CHAT_BUTTONS).is_ok(),
            "{bad}"
        );
    }
    let long: &'static str = "v".repeat(MAX_LINK_VALUE_CHARS + 1).leak();
    assert!(refused(&[("A", long, None)], &LINK_BUTTONS).contains("longer than 64"));
    assert!(check_buttons(&fields(&[("A", long, None)]), &CHAT_BUTTONS).is_ok());
    assert!(refused(&[("Two\nlines", "x", None)], &LINK_BUTTONS).contains("one line"));
}

#[test]
fn chat_styles_are_slacks_and_link_styles_take_card_names_too() {
    assert!(refused(&[("A", "x", Some("positive"))], &CHAT_BUTTONS)
        .contains("buttons[0].style must be primary or danger (or absent), not \"positive\""));
    assert!(refused(&[("A", "x", Some("green"))], &LINK_BUTTONS).contains("not \"green\""));
}

#[test]
fn link_decisions_and_what_a_request_allows() {
    assert_eq!(link_decision("approve").unwrap(), Decision::Approve);
    assert_eq!(
        link_decision("defer").unwrap(),
        Decision::Custom("defer".into())
    );
    assert_eq!(link_decision("a b").unwrap_err().name(), "Hitl.InvalidLink");
    let custom = vec![
        ChoiceButton::new("Go", "approve", ButtonStyle::Primary),
        ChoiceButton::new("Next week", "defer", ButtonStyle::Default),
    ];
    let defer = Decision::Custom("defer".into());
    assert!(allows(&custom, &defer) && allows(&custom, &Decision::Approve));
    assert!(
        !allows(&custom, &Decision::Reject),
        "not among this request's buttons"
    );
    assert!(
        !allows(&[], &defer),
        "without buttons: approve and reject only"
    );
    assert!(allows(&[], &Decision::Reject));
    assert_eq!(
        chosen_action(&custom, &defer),
        Some(ChosenAction {
            action_id: "hitl_button_1".into(),
            kind: "button".into(),
            selected: vec!["defer".into()],
        })
    );
    assert_eq!(chosen_action(&[], &Decision::Approve), None);
}

#[test]
fn links_sign_a_buttons_value_and_refuse_any_other() {
    use crate::approval_links::LinkParams;
    use crate::LinkSigner;
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let defer = Decision::Custom("defer".into());
    let url = signer.link_url("https://api.test", "abc", defer.clone(), 2_000, Some(0));
    assert!(
        url.starts_with("https://api.test/decisions/abc?d=defer&exp=2000&kid=k1&a=0&sig="),
        "{url}"
    );
    let params = LinkParams::from_urlencoded(url.split_once('?').unwrap().1);
    assert_eq!(
        signer.verify("abc", &params, 1_000).unwrap().decision,
        defer
    );
    for other in ["approve", "reject", "defer2", "Defer"] {
        let forged = LinkParams {
            decision: Some(other.into()),
            ..params.clone()
        };
        let err = signer.verify("abc", &forged, 1_000).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidLink", "{other}");
        assert!(err.to_string().contains("signature"), "{other}: {err}");
    }
    // No button can have a value that is not URL-safe: refused even under a valid signature.
    let odd = signer.link_url("h", "abc", Decision::Custom("a b".into()), 2_000, None);
    let params = LinkParams::from_urlencoded(odd.split_once('?').unwrap().1);
    assert_eq!(
        signer.verify("abc", &params, 1_000).unwrap_err().name(),
        "Hitl.InvalidLink"
    );
}
