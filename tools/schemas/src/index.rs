//! `docs/schemas/README.md`: which file describes which function, and how to use them.

use super::{Function, Kind, DIR, REGENERATE};

pub(crate) fn index(functions: &[Function]) -> String {
    let rows: String = functions.iter().map(row).collect();
    format!("{}{}", table(&rows), guide())
}

/// One function's row of the table: its name, what it does and its files.
fn row(f: &Function) -> String {
    let input = match f.kind {
        Kind::Scheduled => format!("[any]({}.input.json) (the schedule's)", f.name),
        _ => format!("[{0}.input.json]({0}.input.json)", f.name),
    };
    let output = match (&f.output, f.kind) {
        (None, _) => "none (logged only)".to_string(),
        // With `approvalId` it posts Create Approval Links' request instead (`anyOf`).
        (Some(o), Kind::WaitForTaskToken) if o.get("anyOf").is_some() => {
            format!("[the decision, or the post]({}.output.json)", f.name)
        }
        (Some(_), Kind::WaitForTaskToken) => {
            format!("[the decision]({}.output.json)", f.name)
        }
        (Some(_), _) => format!("[{0}.output.json]({0}.output.json)", f.name),
    };
    let state = match f.kind {
        Kind::Scheduled => "-".to_string(),
        _ => format!("[{0}.parameters.json]({0}.parameters.json)", f.name),
    };
    let waits = match f.kind {
        Kind::WaitForTaskToken => " (`.waitForTaskToken`)",
        Kind::Scheduled => " (scheduled)",
        Kind::Task => "",
    };
    format!(
        "| `{}`{waits} | {} | {state} | {input} | {output} |\n",
        f.name, f.summary
    )
}

/// The page's title, how it is made, and the table of functions.
fn table(rows: &str) -> String {
    format!(
        r#"# Input and output schemas

Generated from the Rust types each function reads and returns; do not edit by hand. After a
change to an input or output type, run `{REGENERATE}` and commit `{DIR}/`
(`cargo test -p schemas` fails while a file here differs from the code).

| function | what it does | in the state machine | input | output |
| --- | --- | --- | --- | --- |
{rows}
`decision_api` is the HTTP API behind the links and Slack's buttons; no Task invokes it.

"#
    )
}

/// What each kind of file says, and how to use them in an editor and on the command line.
fn guide() -> String {
    format!(
        r#"## What they say

- **`<function>.input.json`**: the JSON the function receives, after Step Functions has
  resolved the state's `Parameters` or `Arguments` (`"taskToken.$": "$$.Task.Token"` arrives as
  `taskToken`). JSON Schema 2020-12. `additionalProperties: false` wherever the function
  refuses a field it does not know (every input, at every depth, except free-form Block Kit
  blocks, Adaptive Cards and ADF documents); `required` is what the function cannot do
  without; lengths, ranges, enums and patterns are the function's own checks. Rules that tie
  two fields together ("`text` or `card`, not both") are left to the function, which answers
  `Hitl.InvalidInput` naming the field.
- **`<function>.parameters.json`**: the same input as a state machine writes it: the Task's
  `Parameters` (or, with `arn:aws:states:::lambda:invoke`, their `Payload`) where any field
  `name` may be given as `name.$` (a path or an intrinsic function), or JSONata `Arguments`
  where any value may be a `{{% expression %}}`. A required field must be given one way or the
  other, and a misspelled `titel.$` is refused like a misspelled `titel`. Every Task of the
  state machines in `examples/asl/` is checked against these (`cargo test -p schemas`).
- **`<function>.output.json`**: the Task's result. For a `.waitForTaskToken` function that is
  the decision the Decision API sends when someone decides (the same shape for every channel);
  an expired request fails the Task with `Hitl.Expired` instead.

## In an editor

Map files to schemas in VS Code (`.vscode/settings.json`), for example test events for
`sam local invoke -e` and a state's `Parameters` kept in a file of their own:

```json
{{
  "json.schemas": [
    {{ "fileMatch": ["events/create_approval_links*.json"], "url": "./{DIR}/create_approval_links.input.json" }},
    {{ "fileMatch": ["params/ask-owner*.json"], "url": "./{DIR}/wait_for_approval.parameters.json" }}
  ]
}}
```

or check a state of a whole definition from the command line (`pip install check-jsonschema`):

```sh
jq '.States.WaitForApproval.Parameters.Payload' workflow.asl.json > /tmp/payload.json
check-jsonschema --schemafile {DIR}/wait_for_approval.parameters.json /tmp/payload.json
```
"#
    )
}
