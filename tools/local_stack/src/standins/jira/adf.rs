//! Atlassian Document Format as Jira checks it and as the local page shows it, and Jira's
//! timestamps.

use serde_json::Value;

/// The envelope and nodes Jira checks: a `doc` of version 1 whose nodes all have a type and
/// whose text nodes are not empty (Jira refuses an empty text node).
pub(super) fn is_adf_doc(doc: &Value) -> bool {
    fn node_ok(node: &Value) -> bool {
        let Some(kind) = node.get("type").and_then(Value::as_str) else {
            return false;
        };
        if kind == "text"
            && node
                .get("text")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            return false;
        }
        match node.get("content") {
            None => true,
            Some(Value::Array(children)) => children.iter().all(node_ok),
            Some(_) => false,
        }
    }
    doc.get("type").and_then(Value::as_str) == Some("doc")
        && doc.get("version").and_then(Value::as_u64) == Some(1)
        && doc.get("content").is_some_and(Value::is_array)
        && node_ok(doc)
}

/// ADF as plain text for the local page: blocks on their own lines, mentions and emoji by
/// their text.
pub(super) fn adf_to_text(doc: &Value) -> String {
    fn walk(node: &Value, out: &mut String) {
        match node.get("type").and_then(Value::as_str) {
            Some("text") => out.push_str(node["text"].as_str().unwrap_or_default()),
            Some("hardBreak") => out.push('\n'),
            Some("mention" | "emoji" | "status" | "date") => {
                out.push_str(node["attrs"]["text"].as_str().unwrap_or_default())
            }
            kind => {
                let separator = if kind == Some("doc") { "\n\n" } else { "\n" };
                let children = node["content"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                for (i, child) in children.iter().enumerate() {
                    let is_block = child.get("content").is_some();
                    if i > 0 && is_block {
                        out.push_str(separator);
                    }
                    walk(child, out);
                }
            }
        }
    }
    let mut out = String::new();
    walk(doc, &mut out);
    out
}

/// Jira's timestamp format: `2024-05-01T09:30:00.000+0000`.
pub(super) fn now_jira() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}
