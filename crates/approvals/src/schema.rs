//! What the JSON Schemas of the inputs and outputs (`docs/schemas/`, made by `tools/schemas`)
//! say where a type alone cannot: the checks the use cases make after serde (an email address,
//! one line of text), and the fields a hand-written `Serialize` adds. The schemas are a
//! promise to a workflow's author, so `tools/schemas` tests each pattern here against the
//! function that makes the same check in the code.

use schemars::Schema;

/// An approver's address as [`crate::approval::normalize_email`] accepts it: one `@`, a
/// non-empty local part, a domain with a dot not at either end, no whitespace.
pub const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s.][^@\s]*\.[^@\s]*[^@\s.]$";

/// The longest address [`crate::approval::normalize_email`] accepts.
pub const MAX_EMAIL_CHARS: u32 = 254;

/// A field that is required and blank counts as absent ([`crate::input::non_blank`]): at
/// least one character that is not whitespace.
pub const NON_BLANK_PATTERN: &str = r"\S";

/// An approval id we made ([`crate::ids::plausible_approval_id`]): 1 to 64 letters, digits,
/// `-`, `_` and `.` (blanks around it are trimmed).
pub const APPROVAL_ID_PATTERN: &str = r"^\s*[A-Za-z0-9._-]{1,64}\s*$";

/// A one-line, non-blank field ([`crate::input::check_one_line`]): no control character
/// (U+0000-U+001F, U+007F-U+009F), and at least one character that is not whitespace.
pub const ONE_LINE_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";

/// An execution's ARN as [`crate::input::is_execution_arn`] accepts it: `execution:` or
/// `express:`, names of 1 to 80 characters without whitespace, controls or the characters Step
/// Functions forbids in names.
pub const EXECUTION_ARN_PATTERN: &str = r##"^arn:[a-z0-9-]{1,32}:states:[a-z0-9-]{1,32}:[0-9]{12}:(execution:[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}(/[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80})?:[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}|express:[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}(/[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80})?:[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}:[^\s\u0000-\u001F\u007F-\u009F<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80})$"##;

/// `DecidedBy` is serialized by hand with a derived `verified`: its schema says so.
pub fn decided_by_verified(schema: &mut Schema) {
    let verified = schemars::json_schema!({
        "type": "boolean",
        "description": "Whether the channel vouches for who decided: a Slack click or a personal link sent to one approver. False for shared links (`id` `link`), which decide for whoever holds them under the name they typed."
    });
    if let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
        properties.insert("verified".into(), verified.into());
    }
    if let Some(required) = schema.get_mut("required").and_then(|r| r.as_array_mut()) {
        required.push("verified".into());
    }
}

/// A follow-up's answer in the decision output: text or an email address as a string, a
/// number as a JSON number, `null` when an optional question was left empty.
pub fn follow_up_answer(_: &mut schemars::SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": ["string", "number", "null"] })
}
