//! Our own state machines (`statemachine/`) and the README's examples (`examples/`) pass each
//! function only fields it knows: with strict inputs, one that did not would fail every
//! execution. Each Task's `Parameters` (or its `Payload`) is read by the function's input type
//! with every `.$` path as null and every literal as written, and no field may be unknown.

use std::path::{Path, PathBuf};

use approvals::input::from_json;
use approvals::use_cases::WaitInput;
use approvals::CreateLinksInput;
use channels::email::SendEmailInput;
use channels::jira::{AddIssueCommentInput, ChangeIssueStatusInput};
use channels::slack::{
    RequestActionInput, SendMessageInput, UpdateMessageInput, WaitForUserActionInput,
};
use channels::teams::{TeamsRequestActionInput, TeamsSendMessageInput};
use serde_json::{Map, Value};

/// The `unknown field` refusal, if any, of `input` read as the input of `function`.
fn unknown_field(function: &str, input: Value) -> Option<String> {
    let result = match function {
        "CreateApprovalLinks" => from_json::<CreateLinksInput>(input).map(drop),
        "SendEmail" => from_json::<SendEmailInput>(input).map(drop),
        "WaitForApproval" => from_json::<WaitInput>(input).map(drop),
        "SlackRequestAction" => from_json::<RequestActionInput>(input).map(drop),
        "SlackSendMessage" => from_json::<SendMessageInput>(input).map(drop),
        "TeamsRequestAction" => from_json::<TeamsRequestActionInput>(input).map(drop),
        "TeamsSendChannelMessage" | "TeamsSendChatMessage" => {
            from_json::<TeamsSendMessageInput>(input).map(drop)
        }
        "SlackUpdateMessage" => from_json::<UpdateMessageInput>(input).map(drop),
        "SlackWaitForUserAction" => from_json::<WaitForUserActionInput>(input).map(drop),
        "JiraAddIssueComment" => from_json::<AddIssueCommentInput>(input).map(drop),
        "JiraChangeIssueStatus" => from_json::<ChangeIssueStatusInput>(input).map(drop),
        other => panic!("a Task calls {other}: add its input type here"),
    };
    let message = result.err()?.to_string();
    message.starts_with("unknown field").then_some(message)
}

/// `"name.$": path` becomes `"name": null`; literals stay, however deep.
fn as_written(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| match k.strip_suffix(".$") {
                    Some(name) => (name.to_string(), Value::Null),
                    None => (k.clone(), as_written(v)),
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(as_written).collect()),
        other => other.clone(),
    }
}

/// The function a Task calls (`${XFunctionArn}` as its Resource or FunctionName) and what it
/// passes.
fn task_call(state: &Value) -> Option<(String, Value)> {
    let parameters = state.get("Parameters")?;
    let (arn, input) = match parameters.get("FunctionName") {
        Some(name) => (name.as_str()?, parameters.get("Payload")?),
        None => (state["Resource"].as_str()?, parameters),
    };
    let function = arn.strip_prefix("${")?.strip_suffix("FunctionArn}")?;
    Some((function.to_string(), input.clone()))
}

/// Every state, nested ones (Map iterators, Parallel branches) included.
fn states(definition: &Value, found: &mut Vec<(String, Value)>) {
    let Some(map) = definition["States"].as_object() else {
        return;
    };
    for (name, state) in map {
        found.push((name.clone(), state.clone()));
        for nested in ["Iterator", "ItemProcessor"] {
            states(&state[nested], found);
        }
        for branch in state["Branches"].as_array().into_iter().flatten() {
            states(branch, found);
        }
    }
}

fn asl_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            asl_files(&path, found);
        } else if path.to_string_lossy().ends_with(".asl.json") {
            found.push(path);
        }
    }
}

#[test]
fn our_state_machines_pass_no_field_a_function_would_refuse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    asl_files(&root.join("statemachine"), &mut files);
    asl_files(&root.join("examples"), &mut files);
    let mut calls = 0;
    for file in &files {
        let definition: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let mut found = Vec::new();
        states(&definition, &mut found);
        for (name, state) in found {
            let Some((function, input)) = task_call(&state) else {
                continue;
            };
            calls += 1;
            let refused = unknown_field(&function, as_written(&input));
            assert_eq!(refused, None, "{}: state {name}", file.display());
        }
    }
    assert!(calls >= 10, "only {calls} Task calls found in {files:?}");
}

#[test]
fn a_field_a_function_does_not_know_is_found() {
    let state: Value = serde_json::json!({"Type": "Task",
        "Resource": "${CreateApprovalLinksFunctionArn}",
        "Parameters": {"title.$": "$.title", "followUp": {"question": "Why?", "requird": true}}});
    let (function, input) = task_call(&state).unwrap();
    let refused = unknown_field(&function, as_written(&input)).unwrap();
    assert!(refused.contains("`followUp.requird`"), "{refused}");
}

/// The execution input each of our state machines is started with is checked by each Task that
/// asks (whichever channel the execution takes) against that state machine's own contract,
/// which knows every field its ASL defaults.
#[test]
fn our_state_machines_check_their_execution_input_against_their_own_contract() {
    use approvals::input::InputContract::{self, *};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let machines: [(&str, InputContract, &[&str]); 3] = [
        (
            "statemachine/email_approval.asl.json",
            EmailApproval,
            &["CreateApprovalLinks"],
        ),
        (
            "statemachine/slack_request_action.asl.json",
            SlackRequestAction,
            &["AskInSlack"],
        ),
        (
            "examples/rds-idle-review/rds_idle_review.asl.json",
            RdsIdleReview,
            &["CreateApprovalLinks", "AskInSlack", "AskInTeams"],
        ),
    ];
    for (file, contract, asking) in machines {
        let definition: Value =
            serde_json::from_slice(&std::fs::read(root.join(file)).unwrap()).unwrap();
        let mut found = Vec::new();
        states(&definition, &mut found);
        let mut checking = Vec::new();
        for (name, state) in &found {
            let Some((_, input)) = task_call(state) else {
                continue;
            };
            let Some(passed) = input.get("executionInput") else {
                continue;
            };
            assert_eq!(passed["input.$"], "$$.Execution.Input", "{file}: {name}");
            let named: InputContract = serde_json::from_value(passed["contract"].clone()).unwrap();
            assert_eq!(named, contract, "{file}: {name} checks another contract");
            checking.push(name.clone());
        }
        for task in asking {
            assert!(
                checking.iter().any(|n| n == task),
                "{file}: {task} checks nothing: {checking:?}"
            );
        }
        let defaults = definition["States"]["ApplyDefaults"]["Parameters"]["defaults"]
            .as_object()
            .expect("ApplyDefaults");
        for field in defaults.keys() {
            let field = field.trim_end_matches(".$");
            assert!(
                contract.fields().contains(&field),
                "{file}: the ASL defaults `{field}`, which {contract:?} would refuse"
            );
        }
    }
}

/// The function refuses the execution input's typo before anything else it checks: a
/// misspelled `title` is named as such, not reported as a missing title.
#[test]
fn the_asking_task_refuses_a_misspelled_execution_input_field_first() {
    let links: CreateLinksInput = from_json(serde_json::json!({
        "title": null,
        "executionInput": {"contract": "EmailApproval", "input": {"titel": "Stop db-1"}},
    }))
    .unwrap();
    let err = links.validate().unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert_eq!(
        err.to_string(),
        "unknown field `titel` in the execution input; did you mean `title`?"
    );
    let slack: RequestActionInput = from_json(serde_json::json!({
        "channel": "C1", "text": "Deploy?", "taskToken": "tok",
        "executionInput": {"contract": "SlackRequestAction",
            "input": {"channel": "C1", "text": "Deploy?", "allowedUser": ["U1"]}},
    }))
    .unwrap();
    let err = slack.validate("a-1".into()).map(drop).unwrap_err();
    assert!(
        err.to_string().contains("did you mean `allowedUsers`?"),
        "{err}"
    );
    // Teams Request Action: its own missing title would be refused otherwise.
    let teams: TeamsRequestActionInput = from_json(serde_json::json!({
        "taskToken": "tok",
        "executionInput": {"contract": "RdsIdleReview",
            "input": {"instanceIds": ["db-1"], "via": "teams", "aprovers": ["a@example.com"]}},
    }))
    .unwrap();
    let err = teams.validate().map(drop).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown field `aprovers` in the execution input; did you mean `approvers`?"
    );
}
