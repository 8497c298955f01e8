//! Input checks every use case shares: blank means absent, lengths named by field, the task
//! token a `.waitForTaskToken` Task must pass. Each failure is a `Hitl.InvalidInput` that names
//! the field.

use crate::{HitlError, TaskToken};

pub mod execution;
pub mod posted;
pub mod strict;
pub use execution::{check_execution_input, json_kind, ExecutionInput, InputContract};
pub use posted::posted_request_id;
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
pub fn task_token(token: Option<String>) -> Result<TaskToken, HitlError> {
    let token = required(
        token,
        "taskToken (pass \"taskToken.$\": \"$$.Task.Token\" and use .waitForTaskToken)",
    )?;
    if token.len() > MAX_TASK_TOKEN_CHARS {
        return Err(HitlError::invalid_input("taskToken is too long"));
    }
    Ok(TaskToken::from(token))
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

/// The longest `executionArn` accepted: the longest real one (an EXPRESS child execution of a
/// Distributed Map in the longest partition and region) is under 400 characters.
pub const MAX_EXECUTION_ARN_CHARS: usize = 512;

/// The longest name Step Functions gives a state machine, an execution or a Map Run label.
pub const MAX_STEP_FUNCTIONS_NAME_CHARS: usize = 80;

/// A character Step Functions allows in a name: not whitespace, not a control character, none
/// of `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /` (the ARN's separators among them). The
/// same set as `schema::EXECUTION_ARN_PATTERN`.
fn is_name_char(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c))
}

fn is_name(part: &str) -> bool {
    let len = part.chars().count();
    (1..=MAX_STEP_FUNCTIONS_NAME_CHARS).contains(&len) && part.chars().all(is_name_char)
}

/// `arn:<partition>:states:<region>:<12-digit account>:execution:<machine>:<name>`, or an
/// EXPRESS execution's `...:express:<machine>:<name>:<id>`; `<machine>` may be a Distributed
/// Map's `<machine>/<label>`.
pub fn is_execution_arn(arn: &str) -> bool {
    if arn.chars().count() > MAX_EXECUTION_ARN_CHARS {
        return false;
    }
    let parts: Vec<&str> = arn.split(':').collect();
    let word = |s: &str, max: usize| {
        (1..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let head = parts.len() >= 8
        && parts[0] == "arn"
        && word(parts[1], 32)
        && parts[2] == "states"
        && word(parts[3], 32)
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit());
    let machine = |m: &str| match m.split_once('/') {
        Some((name, label)) => is_name(name) && is_name(label),
        None => is_name(m),
    };
    head && match (parts[5], parts.len()) {
        ("execution", 8) => machine(parts[6]) && is_name(parts[7]),
        ("express", 9) => machine(parts[6]) && is_name(parts[7]) && is_name(parts[8]),
        _ => false,
    }
}

/// The optional `executionArn` (`"executionArn.$": "$$.Execution.Id"`): kept only to correlate
/// logs, so it must be an execution's ARN. A wrong path (`$$.Task.Token`, `$.input`) is refused
/// here, and `lambda_kit::correlation` logs only values that pass this same check.
pub fn execution_arn(arn: Option<String>) -> Result<Option<String>, HitlError> {
    let Some(arn) = non_blank(arn) else {
        return Ok(None);
    };
    check_length("executionArn", &arn, MAX_EXECUTION_ARN_CHARS)?;
    if !is_execution_arn(&arn) {
        return Err(HitlError::invalid_input(
            "executionArn must be an execution's ARN, arn:<partition>:states:<region>:<account>:execution:<stateMachine>:<name> (pass \"executionArn.$\": \"$$.Execution.Id\")",
        ));
    }
    Ok(Some(arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_arn_is_optional_and_must_be_a_step_functions_execution() {
        assert_eq!(execution_arn(None), Ok(None));
        assert_eq!(execution_arn(Some(" ".into())), Ok(None));
        let name80 = "n".repeat(80);
        let long = format!("arn:aws-us-gov:states:us-gov-west-1:123456789012:express:{name80}/{name80}:{name80}:{name80}");
        for good in [
            "arn:aws:states:eu-west-1:123456789012:execution:Approve:run-1",
            "arn:aws-cn:states:cn-north-1:123456789012:execution:Approve:3f0c2e7a-1b2c-4d5e-8f90-0a1b2c3d4e5f",
            "arn:aws:states:us-east-1:123456789012:express:Approve:run-1:3f0c2e7a-1b2c-4d5e-8f90-0a1b2c3d4e5f",
            "arn:aws:states:us-east-1:123456789012:execution:Approve/map-run:0b5d3e2a",
            "arn:aws:states:us-east-1:123456789012:execution:Fr\u{e9}d\u{e9}ric:run.1_2",
            &long,
        ] {
            assert_eq!(execution_arn(Some(good.into())), Ok(Some(good.into())), "{good}");
        }
        let name81 = "n".repeat(81);
        for bad in [
            "run-1",
            "AAAAKgAAAAIAAAAAAAAAAb2rTaskTokenLikeValue==",
            "arn:aws:states:x\ny",
            "arn:aws:lambda:eu-west-1:123456789012:function:f",
            "arn:aws:states:eu-west-1:123456789012:stateMachine:Approve",
            "arn:aws:states:eu-west-1:12345678901:execution:Approve:run-1",
            "arn:aws:states:eu-west-1:123456789012:execution:Approve:run 1",
            "arn:aws:states:eu-west-1:123456789012:execution:Approve:run-1:extra",
            "arn:aws:states:eu-west-1:123456789012:execution:Approve:",
            "arn:AWS:states:eu-west-1:123456789012:execution:Approve:run-1",
            "arn:aws:states:eu-west-1:123456789012:execution:a/b/c:run-1",
            &format!("arn:aws:states:eu-west-1:123456789012:execution:Approve:{name81}"),
            &format!("arn:{}", "x".repeat(2048)),
        ] {
            let err = execution_arn(Some(bad.into())).unwrap_err();
            assert!(err.to_string().contains("executionArn"), "{bad}: {err}");
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
