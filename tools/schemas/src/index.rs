//! `docs/schemas/README.md`: which file describes which function, and how to use them.

use super::{Function, Kind, DIR, REGENERATE};

pub(crate) fn index(functions: &[Function]) -> String {
    let mut rows = String::new();
    for f in functions {
        let input = match f.kind {
            Kind::Scheduled => format!("[any]({}.input.json) (the schedule's)", f.name),
            _ => format!("[{0}.input.json]({0}.input.json)", f.name),
        };
        let output = match (&f.output, f.kind) {
            (None, _) => "none (logged only)".to_string(),
            (Some(_), Kind::WaitForTaskToken) => {
                format!("[the decision]({}.output.json)", f.name)
            }
            (Some(_), _) => format!("[{0}.output.json]({0}.output.json)", f.name),
        };
        let waits = match f.kind {
            Kind::WaitForTaskToken => " (`.waitForTaskToken`)",
            Kind::Scheduled => " (scheduled)",
            Kind::Task => "",
        };
        rows.push_str(&format!(
            "| `{}`{waits} | {} | {input} | {output} |\n",
            f.name, f.summary
        ));
    }
    format!(
        r#"# Input and output schemas

Generated from the Rust types each function reads and returns; do not edit by hand. After a
change to an input or output type, run `{REGENERATE}` and commit `{DIR}/`
(`cargo test -p schemas` fails while a file here differs from the code).

| function | what it does | input | output |
| --- | --- | --- | --- |
{rows}
`decision_api` is the HTTP API behind the links and Slack's buttons; no Task invokes it.

## What they say

- **Inputs** are JSON Schema 2020-12 documents of the JSON a function's Task receives, after
  Step Functions has resolved `Parameters` (`"taskToken.$": "$$.Task.Token"` arrives as
  `taskToken`) or `Arguments`. `additionalProperties: false` where the function refuses a field
  it does not know (every input does, at every depth, except free-form Block Kit blocks,
  Adaptive Cards and ADF documents); `required` lists what the function cannot do without;
  lengths, ranges, enums and patterns are the function's own checks. A few checks that tie
  fields together ("`text` or `card`, not both") are left to the function, which answers
  `Hitl.InvalidInput` naming the field.
- **Outputs** are what the Task's result is. For a `.waitForTaskToken` function that is the
  decision the Decision API sends when someone decides (the same shape for every channel); an
  expired request fails the Task with `Hitl.Expired` instead.

## In an editor

A file of test inputs (`sam local invoke -e`, `aws lambda invoke --payload`, a state's input in
a test) names its schema with `$schema`, or an editor maps files to schemas. In VS Code
(`.vscode/settings.json`):

```json
{{
  "json.schemas": [
    {{ "fileMatch": ["events/create_approval_links*.json"], "url": "./{DIR}/create_approval_links.input.json" }},
    {{ "fileMatch": ["events/send_email*.json"], "url": "./{DIR}/send_email.input.json" }}
  ]
}}
```

A state's `Parameters` that select values with `.$` keys are checked on the resolved input:
run the state once with the Step Functions console's *Test state* (or `aws stepfunctions
test-state`) and validate the input it shows, or validate a literal `Parameters` object whose
values are all given.
"#
    )
}
