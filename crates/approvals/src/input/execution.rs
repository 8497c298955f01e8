//! Our state machines' own execution input, checked as strictly as a Task input. Step
//! Functions' JSONPath cannot list an object's keys, so the ASL cannot refuse a field it does
//! not know: a misspelled `approvers` would be merged with the defaults and dropped, and the
//! request would go out with shared links. So the first Task of each of our state machines
//! passes the execution input as it was started (`$$.Execution.Input`) with the name of its
//! state machine's input contract, and its function refuses an unknown field before doing
//! anything else (`Hitl.InvalidInput`, naming the field and the closest known name).

use serde::Deserialize;
use serde_json::Value;

use super::strict::closest;
use crate::HitlError;

/// `"executionInput": {"contract": "EmailApproval", "input.$": "$$.Execution.Input"}`
/// (optional): the execution's input, checked against `contract` before anything is done.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecutionInput {
    /// Which of our state machines' input this is.
    pub contract: InputContract,
    /// The execution's input as started: `"input.$": "$$.Execution.Input"`.
    #[schemars(with = "serde_json::Map<String, Value>")]
    pub input: Value,
}

/// The input contracts of our state machines: the fields each one's execution input may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub enum InputContract {
    /// `statemachine/email_approval.asl.json` (`EmailApprovalStateMachine`).
    EmailApproval,
    /// `statemachine/slack_request_action.asl.json` (`SlackApprovalStateMachine`).
    SlackRequestAction,
    /// `examples/rds-idle-review/rds_idle_review.asl.json` (`RdsIdleReviewStateMachine`).
    RdsIdleReview,
}

impl InputContract {
    /// Every field the state machine reads from its execution input.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            InputContract::EmailApproval => &[
                "title",
                "description",
                "approvers",
                "to",
                "followUp",
                "timeoutSeconds",
                "quorum",
                "requestedBy",
                "reminders",
            ],
            InputContract::SlackRequestAction => &[
                "channel",
                "user",
                "header",
                "text",
                "buttons",
                "allowedUsers",
                "followUp",
                "timeoutSeconds",
                "quorum",
                "requestedBy",
                "reminders",
            ],
            InputContract::RdsIdleReview => &[
                "approvers",
                "to",
                "instanceIds",
                "timeoutSeconds",
                "via",
                "channel",
                "allowedUsers",
                "quorum",
                "requestedBy",
                "reminders",
            ],
        }
    }

    /// How an operator knows the state machine.
    pub fn name(self) -> &'static str {
        match self {
            InputContract::EmailApproval => "the email approval state machine",
            InputContract::SlackRequestAction => "the Slack approval state machine",
            InputContract::RdsIdleReview => "the RDS idle review state machine",
        }
    }
}

impl ExecutionInput {
    /// Refuses an execution input that is not an object or has a field its state machine does
    /// not read: "unknown field `aprovers` in the execution input; did you mean `approvers`?".
    /// The values are checked by the Tasks that use them.
    pub fn check(&self) -> Result<(), HitlError> {
        let known = self.contract.fields();
        let Some(object) = self.input.as_object() else {
            return Err(HitlError::invalid_input(format!(
                "the execution input of {} must be a JSON object, not {}",
                self.contract.name(),
                json_kind(&self.input)
            )));
        };
        let Some(field) = object.keys().find(|k| !known.contains(&k.as_str())) else {
            return Ok(());
        };
        let hint = match closest(field, known) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!(
                "{} reads only {}",
                self.contract.name(),
                known
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(HitlError::invalid_input(format!(
            "unknown field `{field}` in the execution input; {hint}"
        )))
    }
}

/// Checks `execution_input` when the Task passed one.
pub fn check_execution_input(execution_input: Option<&ExecutionInput>) -> Result<(), HitlError> {
    execution_input.map_or(Ok(()), ExecutionInput::check)
}

/// What a JSON value is, for messages ("… must be an object, not a string").
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(contract: InputContract, input: Value) -> Result<(), HitlError> {
        ExecutionInput { contract, input }.check()
    }

    #[test]
    fn a_misspelled_execution_input_field_is_refused_with_the_name_meant() {
        use InputContract::*;
        let err = check(
            EmailApproval,
            json!({"title": "t", "aprovers": ["a@corp.com"]}),
        );
        let err = err.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert_eq!(
            err.to_string(),
            "unknown field `aprovers` in the execution input; did you mean `approvers`?"
        );
        let err = check(EmailApproval, json!({"title": "t", "timeoutSecond": 60})).unwrap_err();
        assert!(
            err.to_string().contains("did you mean `timeoutSeconds`?"),
            "{err}"
        );
        let err = check(SlackRequestAction, json!({"text": "t", "allowedUser": []})).unwrap_err();
        assert!(
            err.to_string().contains("did you mean `allowedUsers`?"),
            "{err}"
        );
        let err = check(RdsIdleReview, json!({"instanceId": ["db-1"]})).unwrap_err();
        assert!(
            err.to_string().contains("did you mean `instanceIds`?"),
            "{err}"
        );
        let err = check(EmailApproval, json!({"title": "t", "execution": {}})).unwrap_err();
        assert!(err.to_string().contains("reads only `title`"), "{err}");
        let err = check(EmailApproval, json!("t")).unwrap_err();
        assert!(
            err.to_string()
                .contains("must be a JSON object, not a string"),
            "{err}"
        );
    }

    #[test]
    fn every_known_field_and_an_empty_input_pass() {
        for contract in [
            InputContract::EmailApproval,
            InputContract::SlackRequestAction,
            InputContract::RdsIdleReview,
        ] {
            let all: serde_json::Map<String, Value> = contract
                .fields()
                .iter()
                .map(|f| (f.to_string(), Value::Null))
                .collect();
            assert_eq!(check(contract, Value::Object(all)), Ok(()), "{contract:?}");
            assert_eq!(check(contract, json!({})), Ok(()), "{contract:?}");
        }
    }

    #[test]
    fn the_field_itself_is_strict() {
        let err = super::super::from_json::<ExecutionInput>(
            json!({"contract": "EmailApproval", "input": {}, "inputs": {}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("did you mean `input`?"), "{err}");
        let err =
            super::super::from_json::<ExecutionInput>(json!({"contract": "Email", "input": {}}))
                .unwrap_err();
        assert!(err.to_string().contains("EmailApproval"), "{err}");
    }
}
