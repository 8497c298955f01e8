//! Teams Request Action with `approvalId`: the request Create Approval Links made, posted as
//! the bot's card (see [`approvals::use_cases::teams::post_to_request`]). What the request is
//! (its approvers, quorum, expiry, buttons...) was said there: each such field is refused here
//! by name, and so is `taskToken` (Wait For Approval holds the wait).

use schemars::Schema;
use serde_json::{json, Value};

use super::input::{parse_conversation_id, parse_facts, refuse_target, TeamsRequestActionInput};
use approvals::use_cases::teams::{CompanionDestination, TeamsCompanionRequest};
use approvals::{ApprovalId, HitlError};

/// Why a webhook destination is refused with `approvalId`.
pub const NO_WEBHOOK: &str = "with `approvalId` the request is posted as the Teams bot's card: give conversationId (a channel or group chat the bot is installed in) or user; a Workflows webhook post can be neither updated with the outcome nor tell who clicks it";

/// The fields that belong to the request, refused with `approvalId` (in the input's words).
const THE_REQUEST_S: [&str; 10] = [
    "title",
    "text",
    "approvers",
    "quorum",
    "requestedBy",
    "reminders",
    "expiresInSeconds",
    "followUp",
    "buttons",
    "requestKey",
];

/// Refuses `approvalId` where a new request is made (the caller reads it first).
pub fn refuse_approval_id(approval_id: Option<&str>) -> Result<(), HitlError> {
    match approval_id {
        None => Ok(()),
        Some(_) => Err(HitlError::invalid_input(
            "approvalId posts an existing request (TeamsRequestActionInput::validate_companion); it does not make a new one",
        )),
    }
}

impl TeamsRequestActionInput {
    /// Whether the input posts an existing request (`approvalId` given) rather than making one.
    pub fn posts_existing_request(&self) -> bool {
        self.approval_id.is_some()
    }

    /// The input with `approvalId`, checked: the request, where the bot posts it, the card's
    /// facts. Every field of the request's own is refused by name.
    pub fn validate_companion(self) -> Result<TeamsCompanionRequest, HitlError> {
        approvals::input::check_execution_input(self.execution_input.as_ref())?;
        let given = [
            self.title.is_some(),
            self.text.is_some(),
            present(&self.approvers),
            self.quorum.is_some(),
            self.requested_by.is_some(),
            self.reminders.is_some(),
            self.expires_in_seconds.is_some(),
            self.follow_up.is_some(),
            present(&self.buttons),
            self.request_key.is_some(),
        ];
        let fields: Vec<(&str, bool)> = THE_REQUEST_S.into_iter().zip(given).collect();
        let approval_id = ApprovalId::from(approvals::input::posted_request_id(
            "Teams Request Action",
            self.approval_id,
            self.task_token.is_some(),
            &fields,
        )?);
        // Checked only: it names the execution in this call's logs (read from the input as it
        // arrives); the request keeps the one Create Approval Links was given.
        approvals::input::execution_arn(self.execution_arn)?;
        refuse_target(self.target.as_ref())?;
        let user = super::bot::parse_user(self.user.as_ref())?;
        let to = match (parse_conversation_id(self.conversation_id.as_ref())?, user) {
            (Some(_), Some(_)) => {
                return Err(HitlError::invalid_input(
                    "give either conversationId or user, not both: the bot sends the card to one place (a channel or group chat, or user's 1:1 chat)",
                ))
            }
            (Some(id), None) => CompanionDestination::Conversation(id),
            (None, Some(user)) => CompanionDestination::User(user),
            (None, None) => return Err(HitlError::invalid_input(NO_WEBHOOK)),
        };
        Ok(TeamsCompanionRequest {
            approval_id,
            to,
            facts: parse_facts(self.facts.as_ref())?,
        })
    }
}

fn present(value: &Option<Value>) -> bool {
    !matches!(value, None | Some(Value::Null))
}

/// The schema's two shapes: without `approvalId`, `title` and `taskToken` are required (a new
/// request, waited for here); with it, a bot destination is, and taskToken and the request's
/// own fields are not allowed. Each shape names its required fields beside an (empty)
/// `properties`, so the state machine's view (`tools/schemas`, `parameters`) also takes
/// them as `name.$`.
pub fn schema(schema: &mut Schema) {
    if let Some(required) = schema.get_mut("required").and_then(|r| r.as_array_mut()) {
        required.retain(|f| f != "title" && f != "taskToken");
        if required.is_empty() {
            schema.remove("required");
        }
    }
    let needs = |fields: &[&str]| json!({ "properties": {}, "required": fields });
    let refused: Vec<Value> = std::iter::once("taskToken")
        .chain(THE_REQUEST_S)
        .map(|f| json!({ "required": [f] }))
        .collect();
    let new_request = json!({
        "description": "A new request, waited for here (.waitForTaskToken).",
        "allOf": [needs(&["title", "taskToken"])],
        "not": { "required": ["approvalId"] }
    });
    let existing = json!({
        "description": "Create Approval Links' request (approvalId), posted as the Teams bot's card; Wait For Approval waits.",
        "allOf": [needs(&["approvalId"])],
        "anyOf": [needs(&["conversationId"]), needs(&["user"])],
        "not": { "anyOf": refused }
    });
    schema.insert("anyOf".into(), json!([new_request, existing]));
}
