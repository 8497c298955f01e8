//! Input checks every use case shares: blank means absent, lengths named by field, the task
//! token a `.waitForTaskToken` Task must pass. Each failure is a `Hitl.InvalidInput` that names
//! the field.

use crate::HitlError;

pub mod strict;
pub use strict::{check_fields, from_json, from_json_at};

/// The most a Step Functions task token can be (they are up to 2048 characters today).
pub const MAX_TASK_TOKEN_CHARS: usize = 8192;

/// Trims; an empty or all-blank value counts as absent.
pub fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub fn required(value: Option<String>, field: &str) -> Result<String, HitlError> {
    non_blank(value).ok_or_else(|| HitlError::invalid_input(format!("{field} is required")))
}

pub fn check_length(field: &str, value: &str, max: usize) -> Result<(), HitlError> {
    if value.chars().count() > max {
        return Err(HitlError::invalid_input(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// Refuses control characters (line breaks, tabs, escape sequences, NUL, C1 controls) in a
/// one-line field such as a title or an email subject: they break mail headers and logs and
/// can hide or forge what a person is asked to approve.
pub fn check_one_line(field: &str, value: &str) -> Result<(), HitlError> {
    match value.chars().position(char::is_control) {
        None => Ok(()),
        Some(at) => {
            let c = value.chars().nth(at).unwrap_or_default();
            Err(HitlError::invalid_input(format!(
                "{field} must be one line of text without control characters; it holds U+{:04X} at character {}",
                u32::from(c),
                at + 1
            )))
        }
    }
}

/// A one-line label made from free text (a message's text standing in for its title): each
/// control character becomes a space, and at most `max` characters are kept.
pub fn one_line(text: &str, max: usize) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    line.trim().to_string()
}

/// The `taskToken` of a `.waitForTaskToken` Task.
pub fn task_token(token: Option<String>) -> Result<String, HitlError> {
    let token = required(
        token,
        "taskToken (pass \"taskToken.$\": \"$$.Task.Token\" and use .waitForTaskToken)",
    )?;
    if token.len() > MAX_TASK_TOKEN_CHARS {
        return Err(HitlError::invalid_input("taskToken is too long"));
    }
    Ok(token)
}

/// "approved" -> "Approved".
pub fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The approval id of a request made under an idempotency key (`requestKey`, e.g. the
/// execution and state): an ASL retry of the same state finds its first attempt's request.
pub fn keyed_approval_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    format!("rk-{}", hex::encode(&digest[..16]))
}

pub const MAX_REQUEST_KEY_CHARS: usize = 1000;

pub fn request_key(key: Option<String>) -> Result<Option<String>, HitlError> {
    let key = non_blank(key);
    if let Some(k) = &key {
        check_length("requestKey", k, MAX_REQUEST_KEY_CHARS)?;
    }
    Ok(key)
}

/// The longest execution ARN Step Functions makes (state machine and execution names are at
/// most 80 characters each; 2048 leaves room for any partition and region).
pub const MAX_EXECUTION_ARN_CHARS: usize = 2048;

/// The optional `executionArn` (`"executionArn.$": "$$.Execution.Id"`): kept only to correlate
/// logs, so it must look like an ARN, on one line.
pub fn execution_arn(arn: Option<String>) -> Result<Option<String>, HitlError> {
    let Some(arn) = non_blank(arn) else {
        return Ok(None);
    };
    check_length("executionArn", &arn, MAX_EXECUTION_ARN_CHARS)?;
    if !arn.starts_with("arn:") || arn.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(HitlError::invalid_input(
            "executionArn must be an execution's ARN (pass \"executionArn.$\": \"$$.Execution.Id\")",
        ));
    }
    Ok(Some(arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_arn_is_optional_and_must_look_like_one() {
        assert_eq!(execution_arn(None), Ok(None));
        assert_eq!(execution_arn(Some(" ".into())), Ok(None));
        let arn = "arn:aws:states:eu-west-1:123456789012:execution:Approve:run-1";
        assert_eq!(execution_arn(Some(arn.into())), Ok(Some(arn.into())));
        for bad in [
            "run-1",
            "arn:aws:states:x\ny",
            &format!("arn:{}", "x".repeat(2048)),
        ] {
            let err = execution_arn(Some(bad.into())).unwrap_err();
            assert!(err.to_string().contains("executionArn"), "{err}");
        }
    }

    #[test]
    fn blank_is_absent_and_errors_name_the_field() {
        assert_eq!(non_blank(Some("  ".into())), None);
        assert_eq!(non_blank(Some(" a ".into())).as_deref(), Some("a"));
        assert!(required(None, "title")
            .unwrap_err()
            .to_string()
            .contains("title is required"));
        assert!(check_length("text", "abc", 2)
            .unwrap_err()
            .to_string()
            .contains("text is longer than 2"));
        assert!(task_token(Some("x".repeat(9000)))
            .unwrap_err()
            .to_string()
            .contains("too long"));
        assert!(task_token(None)
            .unwrap_err()
            .to_string()
            .contains("$$.Task.Token"));
        assert_eq!(capitalized("rejected"), "Rejected");
    }

    #[test]
    fn one_line_fields_refuse_control_characters_by_name() {
        assert!(check_one_line("title", "Stop db-1 (prod) \u{e9}\u{1F680}").is_ok());
        for bad in [
            "a\nb",
            "a\rb",
            "tab\there",
            "\u{1b}[31mred",
            "nul\0",
            "c1\u{85}",
        ] {
            let err = check_one_line("title", bad).unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidInput", "{bad:?}");
            assert!(
                err.to_string().starts_with("title must be one line"),
                "{err}"
            );
        }
        assert!(check_one_line("subject", "ab\ncd")
            .unwrap_err()
            .to_string()
            .contains("U+000A at character 3"));
        assert_eq!(one_line(" Deploy\tv2?\nYes ", 10), "Deploy v2");
    }
}
