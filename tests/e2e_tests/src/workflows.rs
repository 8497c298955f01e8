//! Workflows the tests write themselves: a state machine created for one test and started.

use serde_json::{json, Value};

use crate::{function_arn, sfn, unique, ACCOUNT};

/// Creates a state machine of `definition` (named after `prefix`) and starts it on `input`;
/// the execution's ARN.
pub async fn start_workflow(prefix: &str, definition: &Value, input: &Value) -> String {
    let sfn = sfn().await;
    let machine = sfn
        .create_state_machine()
        .name(unique(prefix))
        .definition(definition.to_string())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/e2e"))
        .send()
        .await
        .unwrap();
    sfn.start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .name(unique("e2e"))
        .input(input.to_string())
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_string()
}

/// A state machine of one `.waitForTaskToken` Task calling the function `function` (its
/// logical id) with `payload` plus the task token, started on `input`; the execution's ARN.
pub async fn run_one_task(function: &str, payload: Value, input: Value) -> String {
    let mut payload = payload;
    payload["taskToken.$"] = json!("$$.Task.Token");
    let definition = json!({
        "StartAt": "Ask",
        "States": {"Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": function_arn(function), "Payload": payload},
            "TimeoutSeconds": 120,
            "End": true
        }}
    });
    start_workflow("e2e-one-task", &definition, &input).await
}
