//! Every Task input of the channels refuses a field it does not know, at every depth we define,
//! with its path and the known name meant; the user's own JSON (Block Kit `blocks`, an Adaptive
//! Card, an ADF document) passes through unchecked.

use approvals::input::from_json;
use approvals::input::strict::fields_of;
use approvals::testing::slip;
use approvals::HitlError;
use channels::email::SendEmailInput;
use channels::jira::{AddIssueCommentInput, ChangeIssueStatusInput};
use channels::slack::{
    RequestActionInput, SendMessageInput, UpdateMessageInput, WaitForUserActionInput,
};
use channels::teams::{TeamsRequestActionInput, TeamsSendMessageInput};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

fn refusal<T: DeserializeOwned + std::fmt::Debug>(input: Value) -> String {
    let err = from_json::<T>(input).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    err.to_string()
}

#[test]
fn slack_inputs_refuse_unknown_fields_at_every_depth() {
    let message =
        refusal::<RequestActionInput>(json!({"channel": "C1", "text": "?", "alowedUsers": ["U1"]}));
    assert!(
        message.starts_with("unknown field `alowedUsers`; did you mean `allowedUsers`?"),
        "{message}"
    );
    let button = json!({"label": "Go", "value": "go", "confirm": {"title": "Sure?", "txt": "x"}});
    let message = refusal::<RequestActionInput>(json!({"channel": "C1", "buttons": [button]}));
    assert!(
        message.starts_with("unknown field `buttons[0].confirm.txt`; did you mean `text`?"),
        "{message}"
    );
    let message =
        refusal::<SendMessageInput>(json!({"channel": "C1", "text": "x", "threadTS": "1.2"}));
    assert!(
        message.starts_with("unknown field `threadTS`; did you mean `threadTs`?"),
        "{message}"
    );
    let message =
        refusal::<UpdateMessageInput>(json!({"message": {"channel": "C1", "tss": "1.2"}}));
    assert!(
        message.starts_with("unknown field `message.tss`; did you mean `ts`?"),
        "{message}"
    );
    let message =
        refusal::<WaitForUserActionInput>(json!({"channel": "C1", "ts": "1.2", "tasktoken": "t"}));
    assert!(
        message.starts_with("unknown field `tasktoken`; did you mean `taskToken`?"),
        "{message}"
    );
}

#[test]
fn what_a_workflow_passes_on_unchanged_is_accepted() {
    // Send Message's whole output, approvalId included, as `message`.
    let sent = json!({"channel": "C1", "ts": "1.2", "approvalId": "slack-C1-1.2"});
    assert!(from_json::<UpdateMessageInput>(json!({"message": sent, "text": "done"})).is_ok());
    assert!(
        from_json::<WaitForUserActionInput>(json!({"message": sent, "taskToken": "t"})).is_ok()
    );
    // Raw Block Kit is Slack's business, whatever it holds.
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "accessory": {"anything": 1}}]);
    assert!(from_json::<SendMessageInput>(json!({"channel": "C1", "blocks": blocks})).is_ok());
}

/// The known fields of every Task input of the channels (nested types are covered where they
/// are defined: `approvals::input::strict`).
fn families() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("RequestActionInput", fields_of::<RequestActionInput>()),
        ("SendMessageInput", fields_of::<SendMessageInput>()),
        ("UpdateMessageInput", fields_of::<UpdateMessageInput>()),
        (
            "WaitForUserActionInput",
            fields_of::<WaitForUserActionInput>(),
        ),
        (
            "TeamsRequestActionInput",
            fields_of::<TeamsRequestActionInput>(),
        ),
        (
            "TeamsSendMessageInput",
            fields_of::<TeamsSendMessageInput>(),
        ),
        ("AddIssueCommentInput", fields_of::<AddIssueCommentInput>()),
        (
            "ChangeIssueStatusInput",
            fields_of::<ChangeIssueStatusInput>(),
        ),
        ("SendEmailInput", fields_of::<SendEmailInput>()),
    ]
}

fn parse_as(family: &str, input: Value) -> Result<(), HitlError> {
    match family {
        "RequestActionInput" => from_json::<RequestActionInput>(input).map(drop),
        "SendMessageInput" => from_json::<SendMessageInput>(input).map(drop),
        "UpdateMessageInput" => from_json::<UpdateMessageInput>(input).map(drop),
        "WaitForUserActionInput" => from_json::<WaitForUserActionInput>(input).map(drop),
        "TeamsRequestActionInput" => from_json::<TeamsRequestActionInput>(input).map(drop),
        "TeamsSendMessageInput" => from_json::<TeamsSendMessageInput>(input).map(drop),
        "AddIssueCommentInput" => from_json::<AddIssueCommentInput>(input).map(drop),
        "ChangeIssueStatusInput" => from_json::<ChangeIssueStatusInput>(input).map(drop),
        _ => from_json::<SendEmailInput>(input).map(drop),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn any_one_slip_of_a_known_name_is_refused_and_the_name_suggested(
        family in 0usize..9, field in 0usize..64, at in 0usize..64, swap: bool,
    ) {
        let (family, known) = families()[family];
        prop_assert!(!known.is_empty(), "{family} has no fields: is it strict?");
        let name = known[field % known.len()];
        let typo = slip(name, at, swap);
        prop_assume!(typo != name && !known.contains(&typo.as_str()));
        let message = parse_as(family, json!({ typo.clone(): null })).unwrap_err().to_string();
        prop_assert!(
            message.starts_with(&format!("unknown field `{typo}`; did you mean `{name}`?")),
            "{family}: {message}"
        );
    }
}

/// The same over the whole space (every name, every position, both slips), which is small.
#[test]
fn every_slip_of_every_known_name_is_suggested_back() {
    for (family, known) in families() {
        for name in known {
            for at in 0..name.len() {
                for swap in [false, true] {
                    let typo = slip(name, at, swap);
                    if typo == *name || known.contains(&typo.as_str()) {
                        continue;
                    }
                    let message = parse_as(family, json!({ typo.clone(): null }))
                        .unwrap_err()
                        .to_string();
                    let expected = format!("unknown field `{typo}`; did you mean `{name}`?");
                    assert!(message.starts_with(&expected), "{family}: {message}");
                }
            }
        }
    }
}
