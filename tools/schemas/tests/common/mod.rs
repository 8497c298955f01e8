//! What both verdicts are made of: the generated input schema (a JSON Schema validator) and
//! the code (the strict parser, then the use case on test doubles).

use anyhow::anyhow;
use approvals::testing::FakeJira;
use approvals::testing::FakeSlack;
use approvals::testing::{FakeEmailSender, FakeResumer, FakeStore};
use approvals::HitlError;
use serde_json::Value;

pub const NOW: i64 = 1_800_000_000;

pub fn validator(function: &str) -> jsonschema::Validator {
    let f = schemas::functions()
        .into_iter()
        .find(|f| f.name == function)
        .unwrap_or_else(|| panic!("no function {function}"));
    jsonschema::validator_for(&f.input.to_value()).expect("the schema compiles")
}

/// The schema's verdict: `Err` with its first complaint.
pub fn schema_verdict(function: &str, input: &Value) -> anyhow::Result<()> {
    let validator = validator(function);
    let first = validator.iter_errors(input).next();
    match first {
        None => Ok(()),
        Some(error) => Err(anyhow!("{} at {}", error, error.instance_path())),
    }
}

fn read<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, HitlError> {
    approvals::input::from_json(input.clone())
}

/// The code's verdict: the strict parser, then the use case on test doubles. Only
/// `Hitl.InvalidInput` refuses the input (a missing approval or issue is not about its shape).
pub async fn code_verdict(function: &str, input: &Value) -> anyhow::Result<()> {
    let store = FakeStore::default();
    let slack = FakeSlack::default();
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let result: Result<(), HitlError> = async {
        match function {
            "create_approval_links" => read::<approvals::CreateLinksInput>(input)?
                .validate()
                .map(drop),
            "send_email" => {
                let sender = FakeEmailSender::default();
                let input = read::<channels::email::SendEmailInput>(input)?;
                let emails = channels::email::build_emails(input, "approvals@example.com")?;
                approvals::use_cases::email::send_emails(&emails, &sender)
                    .await
                    .map(drop)
            }
            "wait_for_approval" => {
                let resumer = FakeResumer::default();
                approvals::use_cases::wait_for_approval(read(input)?, &store, &resumer, NOW)
                    .await
                    .map(drop)
            }
            "slack_request_action" => {
                let request = read::<channels::slack::RequestActionInput>(input)?;
                let request = request.validate("a-1".into())?;
                approvals::use_cases::slack::request_action(request, &store, &slack, 30, NOW)
                    .await
                    .map(drop)
            }
            "slack_send_message" => {
                let post = read::<channels::slack::SendMessageInput>(input)?.validate()?;
                approvals::use_cases::slack::send_message(post, &store, &slack, 30, NOW)
                    .await
                    .map(drop)
            }
            "slack_update_message" => {
                let update = read::<channels::slack::UpdateMessageInput>(input)?;
                let (target, message) = update.validate()?;
                approvals::use_cases::slack::update_message(target, message, &slack)
                    .await
                    .map(drop)
            }
            "slack_wait_for_user_action" => channels::slack::wait_target(read(input)?).map(drop),
            "jira_add_issue_comment" => {
                let request = read::<channels::jira::AddIssueCommentInput>(input)?.validate()?;
                approvals::use_cases::jira::add_issue_comment(request, &jira)
                    .await
                    .map(drop)
            }
            "jira_change_issue_status" => {
                let request = read::<channels::jira::ChangeIssueStatusInput>(input)?.validate()?;
                approvals::use_cases::jira::change_issue_status(request, &jira)
                    .await
                    .map(drop)
            }
            "teams_request_action" => read::<channels::teams::TeamsRequestActionInput>(input)?
                .validate()
                .map(drop),
            "teams_send_channel_message" | "teams_send_chat_message" => {
                read::<channels::teams::TeamsSendMessageInput>(input)?
                    .validate()
                    .map(drop)
            }
            other => panic!("no use case for {other}"),
        }
    }
    .await;
    // A Teams card the webhook would refuse (`Teams.InvalidMessage`) is refused before it is sent.
    match result {
        Err(err)
            if err.name().ends_with(".InvalidInput") || err.name().ends_with(".InvalidMessage") =>
        {
            Err(anyhow!("{err}"))
        }
        _ => Ok(()),
    }
}

/// Each case: (function, input, accepted?). Both verdicts must be the expected one.
pub async fn check(cases: &[(&str, Value, bool)]) {
    let mut disagreements = Vec::new();
    for (function, input, accepted) in cases {
        let schema = schema_verdict(function, input);
        let code = code_verdict(function, input).await;
        if schema.is_ok() != *accepted || code.is_ok() != *accepted {
            disagreements.push(format!(
                "{function} {input}: expected {}, schema says {schema:?}, code says {code:?}",
                if *accepted { "accepted" } else { "refused" }
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

pub const TOKEN: &str = "AQCEAAAAKgAAAAMAAAAA-token";
