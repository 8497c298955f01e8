//! Issue keys, and comments as Atlassian Document Format (the only format REST API v3 takes).

use serde_json::{json, Value};

use super::*;
/// `PROJ-123`: a project key (a capital letter, then capitals, digits or `_`), a dash, a number.
pub fn is_issue_key(key: &str) -> bool {
    let Some((project, number)) = key.split_once('-') else {
        return false;
    };
    let mut rest = project.chars();
    matches!(rest.next(), Some('A'..='Z'))
        && project.len() >= 2
        && rest.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn validate_issue_key(key: Option<String>) -> Result<String, HitlError> {
    let key = non_blank(key).ok_or_else(|| HitlError::invalid_input("issueKey is required"))?;
    if !is_issue_key(&key) {
        return Err(HitlError::invalid_input(format!(
            "issueKey \"{}\" is not a Jira issue key (like OPS-123: the project key in capitals, a dash, the issue number)",
            key.chars().take(50).collect::<String>()
        )));
    }
    Ok(key)
}

pub(crate) fn plain_text_comment(text: &str, field: &str) -> Result<Value, HitlError> {
    if text.trim().is_empty() {
        return Err(HitlError::invalid_input(format!(
            "{field} must not be empty"
        )));
    }
    let chars = text.chars().count();
    if chars > MAX_COMMENT_CHARS {
        return Err(HitlError::invalid_input(format!(
            "{field} has {chars} characters; Jira takes at most {MAX_COMMENT_CHARS}"
        )));
    }
    Ok(text_to_adf(text))
}

/// Plain text as an ADF document: blank lines separate paragraphs, a single newline is a
/// `hardBreak`. Blank lines never become nodes: Jira refuses empty text nodes.
pub fn text_to_adf(text: &str) -> Value {
    let text = text.replace("\r\n", "\n");
    let mut paragraphs = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            if !lines.is_empty() {
                paragraphs.push(paragraph(&lines));
                lines.clear();
            }
        } else {
            lines.push(line.trim_end());
        }
    }
    if !lines.is_empty() {
        paragraphs.push(paragraph(&lines));
    }
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

pub(crate) fn paragraph(lines: &[&str]) -> Value {
    let mut content = Vec::with_capacity(lines.len() * 2);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            content.push(json!({"type": "hardBreak"}));
        }
        content.push(json!({"type": "text", "text": line}));
    }
    json!({"type": "paragraph", "content": content})
}

/// Checks the envelope of a caller's ADF document; Jira judges the nodes inside.
pub(crate) fn validate_adf(body: Value, field: &str) -> Result<Value, HitlError> {
    let is_doc = body.get("type").and_then(Value::as_str) == Some("doc")
        && body.get("version").and_then(Value::as_u64) == Some(1);
    let content = body.get("content").and_then(Value::as_array);
    match content {
        Some(content) if is_doc && !content.is_empty() => Ok(body),
        Some(_) if is_doc => Err(HitlError::invalid_input(format!(
            "{field} is an empty ADF document"
        ))),
        _ => Err(HitlError::invalid_input(format!(
            "{field} must be an Atlassian Document Format document: {{\"type\": \"doc\", \"version\": 1, \"content\": [...]}}"
        ))),
    }
}
