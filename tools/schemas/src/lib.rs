//! The JSON Schemas of every function's input and output, generated from the Rust types the
//! functions read and return (`schemars`), as the files under `docs/schemas/`:
//! `<function>.input.json`, `<function>.output.json` and an index, `README.md`.
//!
//! Inputs are described as serde reads them (the deserialize contract: a field that may be left
//! out is not required, `additionalProperties: false` where the function refuses unknown
//! fields), outputs as serde writes them. A `.waitForTaskToken` Task's result is not what its
//! function returns (Step Functions waits for the token): it is the decision the Decision API
//! sends, so that is its output schema.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Map, Value};

use approvals::use_cases::slack::RequestActionOutput;
use approvals::use_cases::WaitInput;
use approvals::{CreateLinksInput, CreateLinksOutput, DecisionOutput};
use channels::email::{SendEmailInput, SendEmailOutput};
use channels::jira::{
    AddIssueCommentInput, AddIssueCommentOutput, ChangeIssueStatusInput, ChangeIssueStatusOutput,
};
use channels::slack::{
    RequestActionInput, SendMessageInput, SentMessage, SweepReport, UpdateMessageInput,
    WaitForUserActionInput,
};
use channels::teams::{
    TeamsRequestActionInput, TeamsRequestActionOutput, TeamsSendMessageInput,
    TeamsSendMessageOutput,
};

/// Where the files live, from the workspace's root.
pub const DIR: &str = "docs/schemas";
/// The command that writes them again.
pub const REGENERATE: &str = "cargo run -p schemas --bin hitl-schemas";

/// How a function is started, which decides what its output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Task's result is what the function returns.
    Task,
    /// `.waitForTaskToken`: the Task's result is the decision.
    WaitForTaskToken,
    /// Started by a schedule: its input is the schedule's (not read), its result is logged.
    Scheduled,
}

/// One function: its name (the folder under `functions/`), what it does, and its schemas.
pub struct Function {
    pub name: &'static str,
    pub kind: Kind,
    pub summary: &'static str,
    pub input: Schema,
    /// `None`: the function's result goes nowhere a workflow sees.
    pub output: Option<Schema>,
}

fn input<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

fn output<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// A scheduled function's input: whatever the schedule sends; the function does not read it.
fn schedule_input() -> Schema {
    schemars::json_schema!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ScheduleEvent",
        "description": "Whatever the schedule sends (EventBridge Scheduler's input): the function does not read it."
    })
}

fn task(name: &'static str, summary: &'static str, input: Schema, output: Schema) -> Function {
    Function {
        name,
        kind: Kind::Task,
        summary,
        input,
        output: Some(output),
    }
}

fn waiting(name: &'static str, summary: &'static str, input: Schema) -> Function {
    Function {
        name,
        kind: Kind::WaitForTaskToken,
        summary,
        input,
        output: Some(self::output::<DecisionOutput>()),
    }
}

/// A `.waitForTaskToken` function that, given `approvalId`, instead posts a request Create
/// Approval Links made to its channel and returns `posted` (a plain Task, not waiting): its
/// result is the decision, or what it posted.
fn waiting_or_posting(
    name: &'static str,
    summary: &'static str,
    input: Schema,
    posted: Schema,
) -> Function {
    let mut defs = Map::new();
    let mut branch = |schema: Schema| {
        let mut value = schema.to_value();
        let object = value.as_object_mut().expect("a root schema is an object");
        object.remove("$schema");
        if let Some(Value::Object(own)) = object.remove("$defs") {
            defs.extend(own);
        }
        value
    };
    let (decision, posted) = (branch(output::<DecisionOutput>()), branch(posted));
    let either = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "DecisionOrPosted",
        "description": "Called with .waitForTaskToken: the decision. With approvalId (a plain Task posting Create Approval Links' request here): what was posted.",
        "anyOf": [decision, posted],
        "$defs": defs,
    });
    Function {
        output: Some(Schema::try_from(either).expect("an object")),
        ..waiting(name, summary, input)
    }
}

fn scheduled(name: &'static str, summary: &'static str, output: Option<Schema>) -> Function {
    Function {
        name,
        kind: Kind::Scheduled,
        summary,
        input: schedule_input(),
        output,
    }
}

/// Every function under `functions/` that a workflow or a schedule invokes. (`decision_api`
/// is the HTTP API behind the links and Slack's buttons: no Task calls it.)
pub fn functions() -> Vec<Function> {
    vec![
        task("create_approval_links", "Stores a pending approval and returns its signed approve/reject links.", input::<CreateLinksInput>(), output::<CreateLinksOutput>()),
        task("send_email", "Approval emails with the links as buttons, or plain notifications.", input::<SendEmailInput>(), output::<SendEmailOutput>()),
        waiting("wait_for_approval", "Waits for the decision on Create Approval Links' request.", input::<WaitInput>()),
        waiting_or_posting("slack_request_action", "Posts a Slack message with buttons and waits for the click; with approvalId, posts Create Approval Links' request to Slack.", input::<RequestActionInput>(), output::<RequestActionOutput>()),
        task("slack_send_message", "Posts text or Block Kit to a channel, a DM or a thread.", input::<SendMessageInput>(), output::<SentMessage>()),
        task("slack_update_message", "Replaces the text or blocks of a message the bot posted.", input::<UpdateMessageInput>(), output::<SentMessage>()),
        waiting("slack_wait_for_user_action", "Waits for a click on a message Send Message posted.", input::<WaitForUserActionInput>()),
        scheduled("slack_expiry_sweeper", "Closes the buttons of Slack requests that expired unanswered.", Some(output::<SweepReport>())),
        scheduled("decision_relay", "Delivers decisions a fault left undelivered and fails expired Tasks with Hitl.Expired.", None),
        scheduled("approval_reminders", "Reminds the approvers who have not answered a request with reminders, and escalates it after the number of reminders it names.", None),
        task("jira_add_issue_comment", "Adds a comment (plain text or ADF) to a Jira Cloud issue.", input::<AddIssueCommentInput>(), output::<AddIssueCommentOutput>()),
        task("jira_change_issue_status", "Moves a Jira Cloud issue to a status or through a transition.", input::<ChangeIssueStatusInput>(), output::<ChangeIssueStatusOutput>()),
        waiting_or_posting("teams_request_action", "Posts an Adaptive Card (or emails approvers) and waits for the decision; with approvalId, posts Create Approval Links' request as the Teams bot's card.", input::<TeamsRequestActionInput>(), output::<TeamsRequestActionOutput>()),
        task("teams_send_channel_message", "Posts a text or an Adaptive Card to the webhook's channel, or a person's 1:1 chat.", input::<TeamsSendMessageInput>(), output::<TeamsSendMessageOutput>()),
        task("teams_send_chat_message", "Posts a text or an Adaptive Card to the webhook's chat, or a person's 1:1 chat.", input::<TeamsSendMessageInput>(), output::<TeamsSendMessageOutput>()),
    ]
}

/// Every file of `docs/schemas/`, as (file name, content): pretty JSON with sorted keys and a
/// final newline, so a change in the code shows as a small diff.
pub fn documents() -> Vec<(String, String)> {
    let functions = functions();
    let mut files = Vec::new();
    for f in &functions {
        let described = describe(f.input.clone(), "");
        files.push((format!("{}.input.json", f.name), pretty(described)));
        if f.kind != Kind::Scheduled {
            let arguments = parameters::task_arguments(f.input.clone().to_value());
            let note = format!("What a {} Task state gives in the state machine: its `Parameters` (JSONPath; with `lambda:invoke`, their `Payload`) or `Arguments` (JSONata), before Step Functions resolves them. {}.input.json is the input after.", f.name, f.name);
            let described = describe(Schema::try_from(arguments).expect("an object"), &note);
            files.push((format!("{}.parameters.json", f.name), pretty(described)));
        }
        if let Some(output) = &f.output {
            let described = describe(output.clone(), output_note(f.kind, f.name).as_str());
            files.push((format!("{}.output.json", f.name), pretty(described)));
        }
    }
    files.push(("README.md".into(), index(&functions)));
    files
}

fn output_note(kind: Kind, name: &str) -> String {
    match kind {
        Kind::WaitForTaskToken => format!("The result of a {name} Task (`.waitForTaskToken`): the decision, sent by the Decision API. An expired request fails the Task with `Hitl.Expired` instead."),
        Kind::Task => format!("Output of {name}: the Task's result."),
        Kind::Scheduled => format!("What one run of {name} did (logged; no workflow sees it)."),
    }
}

/// The document's description: `note` (what the document is, when the type cannot say it)
/// ahead of the type's own; every description reads as prose in an editor's hover.
fn describe(schema: Schema, note: &str) -> Value {
    let mut value = prose(schema.to_value());
    if let Some(object) = value.as_object_mut() {
        let own = object
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let text = match (note, own) {
            (note, "") => note.to_string(),
            ("", own) => own.to_string(),
            (note, own) => format!("{note}\n\n{own}"),
        };
        object.insert("description".into(), json!(text));
    }
    value
}

/// Doc comments as descriptions: wrapped lines joined (paragraphs kept), rustdoc links
/// (`` [`Name`] ``) as plain code.
fn prose(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, v)| match (key.as_str(), v) {
                    ("description", Value::String(text)) => (key, Value::String(unwrap(&text))),
                    (_, v) => (key, prose(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prose).collect()),
        other => other,
    }
}

fn unwrap(text: &str) -> String {
    let text = text.replace("[`", "`").replace("`]", "`");
    let paragraphs: Vec<String> = text.split("\n\n").map(|p| p.replace('\n', " ")).collect();
    paragraphs.join("\n\n")
}

fn pretty(value: Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(value)).expect("a schema is JSON");
    text.push('\n');
    text
}

/// The same value with every object's keys in order, whatever order `Map` keeps.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

mod index;
pub mod parameters;
use index::index;
