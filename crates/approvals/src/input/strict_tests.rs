use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::buttons::{ButtonInput, ButtonLink};
use crate::use_cases::WaitInput;
use crate::{CreateLinksInput, CreateLinksOutput, FollowUpInput, RecipientLinks};

fn refusal<T: DeserializeOwned + std::fmt::Debug>(value: Value) -> String {
    let err = from_json::<T>(value).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    err.to_string()
}

#[test]
fn a_misspelled_field_is_refused_with_the_name_meant() {
    let message = refusal::<CreateLinksInput>(json!({"title": "t", "aprovers": ["a@corp.com"]}));
    assert!(
        message.starts_with("unknown field `aprovers`; did you mean `approvers`?"),
        "{message}"
    );
    let message = refusal::<CreateLinksInput>(json!({"title": "t", "expiresInSecond": 60}));
    assert!(
        message.contains("did you mean `expiresInSeconds`?"),
        "{message}"
    );
    // Case and snake_case are what a person coming from another API types.
    let message = refusal::<WaitInput>(json!({"approval_id": "a"}));
    assert_eq!(
        message,
        "unknown field `approval_id`; did you mean `approvalId`?"
    );
    let message = refusal::<WaitInput>(json!({"TaskToken": "t"}));
    assert_eq!(
        message,
        "unknown field `TaskToken`; did you mean `taskToken`?"
    );
}

#[test]
fn nested_fields_are_refused_with_their_path() {
    let message = refusal::<CreateLinksInput>(
        json!({"title": "t", "followUp": {"question": "Why?", "requird": true}}),
    );
    assert!(
        message.starts_with("unknown field `followUp.requird`; did you mean `required`?"),
        "{message}"
    );
    // The hint about whole states is for the top level only.
    assert!(!message.contains("Parameters"), "{message}");
    let output = json!({"approvalId": "a", "expiresAt": "x", "title": "t",
        "links": [{"approver": "a@corp.com", "approveUrl": "u", "rejectUrl": "v", "buttns": []}]});
    let message = refusal::<CreateLinksOutput>(output);
    assert!(
        message.starts_with("unknown field `links[0].buttns`; did you mean `buttons`?"),
        "{message}"
    );
}

#[test]
fn without_a_close_name_the_known_fields_are_listed() {
    let message = refusal::<WaitInput>(json!({"approvalId": "a", "context": {"Id": "x"}}));
    assert!(
        message.starts_with(
            "unknown field `context`; the known fields are `approvalId`, `taskToken`, `executionArn`. A Task's input holds only"
        ),
        "{message}"
    );
    let message = refusal::<WaitInput>(json!({"approvalId": "a", "execution": {"Id": "x"}}));
    assert!(
        message.starts_with("unknown field `execution`; did you mean `executionArn`?"),
        "{message}"
    );
    let message = from_json_at::<ButtonInput>("buttons[2]", json!({"colour": "red"}))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(
            "unknown field `buttons[2].colour`; the known fields are `label`, `value`, `style`"
        ),
        "{message}"
    );
}

#[test]
fn other_errors_still_name_where_they_are() {
    let message = refusal::<CreateLinksInput>(json!({"followUp": {"required": "yes"}}));
    assert!(
        message.contains("followUp.required: invalid type"),
        "{message}"
    );
    let message = from_json_at::<ButtonInput>("buttons[1]", json!({"label": 3}))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("buttons[1].label: invalid type"),
        "{message}"
    );
}

#[test]
fn hand_read_objects_are_checked_the_same_way() {
    let fact = json!({"title": "Tag", "valeu": "x"});
    let err = check_fields("facts[0]", fact.as_object().unwrap(), &["title", "value"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown field `facts[0].valeu`; did you mean `value`?"
    );
    let ok = json!({"title": "Tag"});
    assert!(check_fields("facts[0]", ok.as_object().unwrap(), &["title", "value"]).is_ok());
}

#[test]
fn serdes_unknown_field_message_is_read_whatever_the_field_holds() {
    // The shapes serde writes; a user's key may hold backticks and commas.
    let err = serde_json::from_value::<FollowUpInput>(json!({"a`b, expected `x`": 1})).unwrap_err();
    let (field, known) = read_unknown_field(&err.to_string()).unwrap();
    assert_eq!(field, "a`b, expected `x`");
    assert_eq!(known, ["question", "answer", "after", "required"]);
    assert_eq!(
        read_unknown_field("unknown field `x`, expected `a` or `b`")
            .unwrap()
            .1,
        ["a", "b"]
    );
    assert_eq!(
        read_unknown_field("unknown field `x`, there are no fields").unwrap(),
        ("x".to_string(), vec![])
    );
    assert_eq!(read_unknown_field("missing field `title`"), None);
}

#[test]
fn unrelated_names_get_no_guess() {
    let known = [
        "title",
        "description",
        "approvers",
        "followUp",
        "expiresInSeconds",
    ];
    assert_eq!(closest("foo", &known), None);
    assert_eq!(closest("to", &known), None);
    assert_eq!(closest("approver", &known), Some("approvers"));
    assert_eq!(
        closest("expires_in_seconds", &known),
        Some("expiresInSeconds")
    );
    assert_eq!(fields_of::<ButtonInput>(), ["label", "value", "style"]);
}

/// The known fields of every input type of this crate (nested ones included).
fn families() -> Vec<&'static [&'static str]> {
    vec![
        fields_of::<CreateLinksInput>(),
        fields_of::<WaitInput>(),
        fields_of::<FollowUpInput>(),
        fields_of::<ButtonInput>(),
        fields_of::<CreateLinksOutput>(),
        fields_of::<RecipientLinks>(),
        fields_of::<ButtonLink>(),
    ]
}

fn parse_as(family: usize, value: Value) -> Result<(), HitlError> {
    match family {
        0 => from_json::<CreateLinksInput>(value).map(drop),
        1 => from_json::<WaitInput>(value).map(drop),
        2 => from_json::<FollowUpInput>(value).map(drop),
        3 => from_json::<ButtonInput>(value).map(drop),
        4 => from_json::<CreateLinksOutput>(value).map(drop),
        5 => from_json::<RecipientLinks>(value).map(drop),
        _ => from_json::<ButtonLink>(value).map(drop),
    }
}

proptest! {
    // The space is small (names x positions x two kinds of slip): cover most of it.
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn any_one_slip_of_a_known_name_is_refused_and_the_name_suggested(
        family in 0usize..7, field in 0usize..64, at in 0usize..64, swap: bool,
    ) {
        let known = families()[family];
        prop_assert!(!known.is_empty(), "family {family} has no fields: is it strict?");
        let name = known[field % known.len()];
        let slip = crate::testing::slip(name, at, swap);
        prop_assume!(slip != name && !known.contains(&slip.as_str()));
        let message = parse_as(family, json!({ slip.clone(): null })).unwrap_err().to_string();
        prop_assert!(
            message.starts_with(&format!("unknown field `{slip}`; did you mean `{name}`?")),
            "{}", message
        );
    }
}
