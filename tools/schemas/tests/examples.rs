//! Every Task of the state machines in `examples/asl/` that invokes one of our functions gives
//! it what `<function>.parameters.json` allows: the README's examples validate in an editor,
//! and a schema that refused a working example would fail here. Also: what the schemas of the
//! state machine's view refuse (a misspelled `.$` field, a required field given neither way).

use std::path::Path;

use serde_json::{json, Value};

fn validator(function: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(schemas::DIR)
        .join(format!("{function}.parameters.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("the schema compiles")
}

/// `${SlackRequestActionFunctionArn}` -> `slack_request_action`.
fn function_of(placeholder: &str) -> Option<String> {
    let name = placeholder
        .strip_prefix("${")?
        .strip_suffix("FunctionArn}")?;
    let mut snake = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    Some(snake)
}

/// Every (function, what the state gives it) of the Tasks below `value`, at any depth
/// (Parallel branches, Map processors).
fn tasks(value: &Value, found: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(object) => {
            if object.get("Type") == Some(&json!("Task")) {
                let resource = object["Resource"].as_str().unwrap_or("");
                let given = object.get("Parameters").or_else(|| object.get("Arguments"));
                let target = match (function_of(resource), given) {
                    (Some(function), Some(given)) => Some((function, given.clone())),
                    // `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: the function gets `Payload`.
                    (None, Some(given)) => given["FunctionName"]
                        .as_str()
                        .and_then(function_of)
                        .map(|function| (function, given["Payload"].clone())),
                    (_, None) => None,
                };
                found.extend(target);
            }
            object.values().for_each(|v| tasks(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| tasks(v, found)),
        _ => {}
    }
}

#[test]
fn every_example_task_gives_its_function_what_its_parameters_schema_allows() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/asl");
    let mut checked = std::collections::BTreeSet::new();
    let mut refused = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("examples/asl") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let definition: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut found = Vec::new();
        tasks(&definition, &mut found);
        for (function, given) in found {
            let validator = validator(&function);
            let errors: Vec<String> = validator
                .iter_errors(&given)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            if !errors.is_empty() {
                refused.push(format!("{} ({function}): {errors:?}", path.display()));
            }
            checked.insert(function);
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
    // Each function a workflow calls appears in some example, so each schema meets real use.
    let expected: std::collections::BTreeSet<String> = schemas::functions()
        .into_iter()
        .filter(|f| f.kind != schemas::Kind::Scheduled)
        .map(|f| f.name.to_string())
        .collect();
    assert_eq!(checked, expected, "functions no example Task calls");
}

#[test]
fn the_state_machines_view_refuses_typos_and_missing_fields_either_way() {
    let wait = validator("wait_for_approval");
    let ok = json!({"approvalId.$": "$.approval.approvalId", "taskToken.$": "$$.Task.Token"});
    assert!(wait.is_valid(&ok));
    let jsonata = json!({"approvalId": "{% $states.input.approval.approvalId %}", "taskToken": "{% $states.context.Task.Token %}"});
    assert!(wait.is_valid(&jsonata));
    for bad in [
        json!({"approvalId.$": "$.approval.approvalId"}),
        json!({"approvalId.$": "$.id", "taskToken.$": "$$.Task.Token", "aprovalId": "x"}),
        json!({"approvalId.$": "$.id", "taskTokn.$": "$$.Task.Token"}),
        json!({"approvalId.$": "approval", "taskToken.$": "$$.Task.Token"}),
        json!({"approvalId": 7, "taskToken.$": "$$.Task.Token"}),
    ] {
        assert!(!wait.is_valid(&bad), "{bad}");
    }
    let links = validator("create_approval_links");
    assert!(links.is_valid(
        &json!({"title.$": "States.Format('Stop {}?', $.id)", "followUp": {"question.$": "$.q"}})
    ));
    assert!(!links.is_valid(&json!({"title": "t", "followUp": {"questoin.$": "$.q"}})));
    assert!(!links.is_valid(&json!({"title": "t", "expiresInSeconds": 1})));
}
