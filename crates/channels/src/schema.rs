//! What the JSON Schemas of the inputs (`docs/schemas/`, made by `tools/schemas`) say about the
//! fields a function reads by hand from a `serde_json::Value` or checks after serde: Teams'
//! `facts`, `buttons`, `approvers`, `user` and `target`, a Slack button's `style`, Block Kit
//! blocks, an Adaptive Card. The types here only describe; the code that reads the fields is
//! in `teams` and `slack`, and `tools/schemas` tests that both accept and refuse the same.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use approvals::schema::{EMAIL_PATTERN, MAX_EMAIL_CHARS, NON_BLANK_PATTERN, ONE_LINE_PATTERN};

/// A Teams `facts` entry (`parse_facts`).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Fact {
    #[schemars(length(min = 1, max = crate::teams::MAX_FACT_TITLE_CHARS), pattern(NON_BLANK_PATTERN))]
    title: String,
    /// A string, number or boolean, shown as text.
    #[schemars(schema_with = "fact_value")]
    value: serde_json::Value,
}

fn fact_value(_: &mut SchemaGenerator) -> Schema {
    let max = crate::teams::MAX_FACT_VALUE_CHARS;
    json_schema!({ "type": ["string", "number", "boolean"], "maxLength": max })
}

/// A Teams Request Action button (`teams::buttons::parse_buttons`): its value travels in a
/// signed link, so it is URL-safe.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct LinkButton {
    #[schemars(length(min = 1, max = approvals::buttons::MAX_BUTTON_LABEL_CHARS), pattern(ONE_LINE_PATTERN))]
    label: String,
    /// The decision the button's link carries: letters, digits, `-`, `_`, `.`, `~`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._~-]{1,64}$"))]
    value: String,
    style: Option<LinkButtonStyle>,
}

/// `primary` (or `positive`), `danger` (or `destructive`), `default`.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum LinkButtonStyle {
    Primary,
    Positive,
    Danger,
    Destructive,
    Default,
}

/// A Slack button's style; absent: Slack's default.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum SlackButtonStyle {
    Primary,
    Danger,
}

/// A schema-only type for a field read from a `serde_json::Value`: used as
/// `#[schemars(with = "Option<Name>")]`, so the field stays optional and may be `null`, as
/// serde reads an `Option<Value>`.
macro_rules! described {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

described! {
    /// One email address, as approvers' addresses are checked (Teams `user`).
    Email => json_schema!({ "type": "string", "pattern": EMAIL_PATTERN, "maxLength": MAX_EMAIL_CHARS })
}

described! {
    /// A field the function names only to refuse it with the reason (Teams `target`, Wait For
    /// User Action's `actionIds`): absent or null only.
    Refused => json_schema!({ "type": "null" })
}

/// A Slack user id (`U0123ABCD`), as `allowedUsers` takes them.
pub const SLACK_USER_ID_PATTERN: &str = r"^[UW][A-Z0-9]{1,23}$";

/// A Slack message timestamp (`1700000000.000100`).
pub const SLACK_TS_PATTERN: &str = r"^[0-9]+\.[0-9]+$";

described! {
    /// Raw Block Kit blocks: 1 to 50 objects, each with a `type`.
    Blocks => json_schema!({
        "type": "array",
        "minItems": 1,
        "maxItems": crate::slack::MAX_BLOCKS,
        "items": { "type": "object", "required": ["type"], "properties": { "type": { "type": "string" } } }
    })
}

described! {
    /// A raw Adaptive Card, version 1.4 at most (passed through as given otherwise).
    AdaptiveCard => json_schema!({
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": { "const": "AdaptiveCard" },
            "version": { "type": ["string", "null"], "pattern": r"^\s*(0+\.[0-9]+|0*1\.0*[0-4])\s*$" }
        }
    })
}

/// A Jira issue key (`OPS-123`): the project key in capitals, a dash, the issue number.
pub const JIRA_ISSUE_KEY_PATTERN: &str = r"^[A-Z][A-Z0-9_]+-[0-9]+$";

described! {
    /// An Atlassian Document Format document, passed through as given once it is one.
    AdfDocument => json_schema!({
        "type": "object",
        "required": ["type", "version", "content"],
        "properties": {
            "type": { "const": "doc" },
            "version": { "const": 1 },
            "content": { "type": "array", "minItems": 1 }
        }
    })
}
