//! The README's examples as the tests run them: each example state machine under `examples/`,
//! its `${...FunctionArn}` placeholders filled with the local stack's functions (what a SAM
//! user's `DefinitionSubstitutions` fills), started, driven and awaited.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    confirm, endpoints, function_arn, http, start_workflow, teams_message_with, wait_for_end,
    workspace_root,
};

mod readme;
pub use readme::*;

/// An example's definition as written (placeholders kept), from its path under the workspace.
pub fn example(relative: &str) -> Value {
    let text = std::fs::read_to_string(workspace_root().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// `text` with each `${<LogicalId>Arn}` replaced by that function's ARN on the local stack, as
/// `DefinitionSubstitutions: {<LogicalId>Arn: !GetAtt <LogicalId>.Arn}` would on AWS.
pub fn substitute_function_arns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("an unclosed ${") + start;
        let name = &rest[start + 2..end];
        let function = name
            .strip_suffix("Arn")
            .filter(|f| f.ends_with("Function"))
            .unwrap_or_else(|| panic!("${{{name}}} is not a ${{<Function>Arn}} placeholder"));
        out.push_str(&function_arn(function));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Creates a state machine of the example at `relative` (its placeholders filled) and starts
/// it on `input`; the execution's ARN.
pub async fn start_example(relative: &str, input: &Value) -> String {
    let text = serde_json::to_string(&example(relative)).unwrap();
    let definition: Value = serde_json::from_str(&substitute_function_arns(&text)).unwrap();
    start_workflow("readme-example", &definition, input).await
}

/// The URL of the card button labelled `label`.
pub fn card_button(card: &Value, label: &str) -> String {
    card["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["title"] == label)
        .unwrap_or_else(|| panic!("no {label} button in {card}"))["url"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `user` submits their open Slack modal with `answer`: what the stand-in reports.
pub async fn slack_submit(user: &str, answer: &str) -> Value {
    let r = http()
        .post(format!(
            "{}/_standins/slack/_control/submit",
            endpoints().api
        ))
        .json(&serde_json::json!({"user": user, "answer": answer}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "submit hook: {}", r.status());
    r.json().await.unwrap()
}

/// How long an example's execution may take to end once answered (or expired).
const END: Duration = Duration::from_secs(60);

/// Waits for the end of `arn`, which must succeed (every end is caught); its output.
pub async fn finish(arn: &str) -> Value {
    let end = wait_for_end(arn, END).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    end.output
}

/// The expiry end of the example `file`: started with a 6 s deadline (`timeoutSeconds`, which
/// each example uses for its request's expiry and its Task's timeout), nobody answers.
pub async fn expires(file: &str, input: Value) -> Value {
    let mut input = input;
    input["timeoutSeconds"] = json!(6);
    let output = finish(&start_example(file, &input).await).await;
    assert_eq!(output["outcome"], "expired", "{output}");
    let error = output["error"].as_str().unwrap_or_default();
    assert!(
        ["States.Timeout", "Hitl.Expired"].contains(&error),
        "{output}"
    );
    output
}

/// Someone clicks `label` on the Teams card that mentions `needle` and confirms as Dana Ops
/// (with the form fields `extra`); the output of `arn`.
pub async fn teams_answered(arn: &str, needle: &str, label: &str, extra: &[(&str, &str)]) -> Value {
    let card = teams_message_with(needle).await["card"].clone();
    let mut form = vec![("name", "Dana Ops")];
    form.extend_from_slice(extra);
    let done = confirm(&card_button(&card, label), &form).await;
    assert_eq!(done.status, 200, "{}", done.body);
    finish(arn).await
}
