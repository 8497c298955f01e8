//! Teams Request Action with `approvalId` (the request Create Approval Links made, posted as
//! the bot's card): what it takes, and each field of the request's own refused by name; the
//! published input schema says the same.

use approvals::use_cases::teams::CompanionDestination;
use approvals::HitlError;
use channels::teams::TeamsRequestActionInput;
use serde_json::{json, Value};

const CHANNEL: &str = "19:ops@thread.tacv2";

fn read(input: Value) -> Result<TeamsRequestActionInput, HitlError> {
    serde_json::from_value(input).map_err(|e| HitlError::invalid_input(e.to_string()))
}

fn companion(
    input: Value,
) -> Result<approvals::use_cases::teams::TeamsCompanionRequest, HitlError> {
    read(input)?.validate_companion()
}

fn refusal(input: Value) -> String {
    match companion(input) {
        Err(HitlError::InvalidInput(message)) => message,
        other => panic!("not refused as invalid input: {other:?}"),
    }
}

fn schema_allows(input: &Value) -> bool {
    let schema: Value = serde_json::from_str(include_str!(
        "../../../docs/schemas/teams_request_action.input.json"
    ))
    .unwrap();
    jsonschema::validator_for(&schema).unwrap().is_valid(input)
}

#[test]
fn approval_id_with_a_channel_or_a_user_posts_the_existing_request() {
    let input = json!({"approvalId": "a-1", "conversationId": CHANNEL, "facts": [{"title": "Size", "value": 20}]});
    let request = companion(input.clone()).unwrap();
    assert_eq!(request.approval_id.as_str(), "a-1");
    assert_eq!(
        request.to,
        CompanionDestination::Conversation(CHANNEL.into())
    );
    assert_eq!(request.facts.len(), 1);
    assert!(schema_allows(&input));

    let input = json!({"approvalId": " a-1 ", "user": "Ann@X.io"});
    let request = companion(input.clone()).unwrap();
    assert_eq!(request.approval_id.as_str(), "a-1");
    assert_eq!(request.to, CompanionDestination::User("ann@x.io".into()));
    assert!(schema_allows(&input));
    assert!(read(input).unwrap().posts_existing_request());
}

#[test]
fn a_webhook_destination_is_refused_it_can_be_neither_updated_nor_verified() {
    let input = json!({"approvalId": "a-1"});
    let message = refusal(input.clone());
    assert!(
        message.contains("conversationId") && message.contains("webhook"),
        "{message}"
    );
    assert!(!schema_allows(&input));
    let both = json!({"approvalId": "a-1", "conversationId": CHANNEL, "user": "ann@x.io"});
    assert!(refusal(both).contains("either conversationId or user"));
}

#[test]
fn the_task_token_is_refused_the_wait_is_wait_for_approval_s() {
    let input = json!({"approvalId": "a-1", "conversationId": CHANNEL, "taskToken": "tok"});
    let message = refusal(input.clone());
    assert!(
        message.contains("Wait For Approval") && message.contains("taskToken"),
        "{message}"
    );
    assert!(!schema_allows(&input));
}

#[test]
fn each_field_of_the_request_s_own_is_refused_by_name() {
    let fields = [
        ("title", json!("Stop db-1?")),
        ("text", json!("Idle.")),
        ("approvers", json!(["ann@x.io"])),
        ("quorum", json!({"approvals": "all"})),
        ("requestedBy", json!("dan@x.io")),
        ("reminders", json!({"everySeconds": 3600})),
        ("expiresInSeconds", json!(3600)),
        ("followUp", json!({"question": "Why?"})),
        ("buttons", json!([{"label": "Go", "value": "go"}])),
        ("requestKey", json!("exec-1/Ask")),
    ];
    for (field, value) in fields {
        let mut input = json!({"approvalId": "a-1", "conversationId": CHANNEL});
        input[field] = value;
        let message = refusal(input.clone());
        assert!(
            message.starts_with(&format!(
                "`{field}` comes from the request Create Approval Links made"
            )),
            "{field}: {message}"
        );
        assert!(!schema_allows(&input), "the schema refuses {field} too");
    }
}

/// `executionArn` names the execution in this call's logs, as on every Task (the request
/// keeps the one Create Approval Links was given); a malformed one is refused.
#[test]
fn an_execution_arn_is_checked_and_taken() {
    let arn = "arn:aws:states:eu-west-1:123456789012:execution:sm:run-1";
    let input = json!({"approvalId": "a-1", "conversationId": CHANNEL, "executionArn": arn});
    assert!(companion(input.clone()).is_ok());
    assert!(schema_allows(&input));
    let bad = json!({"approvalId": "a-1", "conversationId": CHANNEL, "executionArn": "run-1"});
    assert!(refusal(bad).contains("executionArn"));
}

#[test]
fn a_blank_approval_id_and_an_unknown_field_are_refused() {
    assert!(
        refusal(json!({"approvalId": "  ", "conversationId": CHANNEL}))
            .contains("approvalId is blank")
    );
    let typo = json!({"approvalId": "a-1", "conversationId": CHANNEL, "factz": []});
    assert!(read(typo.clone())
        .unwrap_err()
        .to_string()
        .contains("factz"));
    assert!(!schema_allows(&typo));
}

#[test]
fn without_approval_id_nothing_changes_and_a_new_request_needs_its_title_and_token() {
    let input = json!({"title": "Stop db-1?", "taskToken": "tok", "conversationId": CHANNEL});
    assert!(read(input.clone()).unwrap().validate().is_ok());
    assert!(schema_allows(&input));
    let untitled = json!({"taskToken": "tok"});
    assert!(read(untitled.clone()).unwrap().validate().is_err());
    assert!(!schema_allows(&untitled));
    // A new request's path does not take approvalId (the function picks the path by it).
    let mixed = json!({"title": "Stop db-1?", "taskToken": "tok", "approvalId": "a-1"});
    assert!(read(mixed.clone()).unwrap().validate().is_err());
    assert!(!schema_allows(&mixed));
}
