//! Jira Cloud: comment on an issue, and move an issue to another status.
//!
//! What is ours lives here: the input contracts, plain text to Atlassian Document Format (ADF,
//! the only comment format REST API v3 accepts), and choosing the transition that reaches a
//! status: Jira moves issues by transition id, while people name statuses or transitions.
//! Talking to Jira is the [`IssueTracker`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::input::non_blank;

use crate::{HitlError, Service, ServiceErrorKind};

/// Jira's limit for a comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 32_767;

// ---------------------------------------------------------------------------------------------
// The port

/// A transition available from an issue's current status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: String,
    pub name: String,
    /// The name of the status the transition leads to.
    pub to_status: String,
}

#[async_trait]
pub trait IssueTracker: Send + Sync {
    /// Adds a comment whose `body` is an ADF document; returns the new comment's id.
    async fn add_comment(&self, issue_key: &str, body: &Value) -> Result<String, HitlError>;
    /// The transitions the account may take from the issue's current status.
    async fn transitions(&self, issue_key: &str) -> Result<Vec<Transition>, HitlError>;
    async fn transition(&self, issue_key: &str, transition_id: &str) -> Result<(), HitlError>;
    /// The name of the issue's current status. Needed because the transitions Jira lists never
    /// tell where the issue is now, and a request for the status it already has must not fail.
    async fn status(&self, issue_key: &str) -> Result<String, HitlError>;
}

// ---------------------------------------------------------------------------------------------
// Contracts

/// Input of Jira Add Issue Comment. Unknown fields are ignored, so `"Parameters.$": "$"` works.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddIssueCommentInput {
    pub issue_key: Option<String>,
    /// Plain text; blank lines separate paragraphs, single newlines are line breaks.
    pub comment: Option<String>,
    /// A ready ADF document, for formatting plain text cannot express (mentions, tables...).
    pub body: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddIssueCommentOutput {
    pub issue_key: String,
    pub comment_id: String,
}

/// Input of Jira Change Issue Status: exactly one of `status` (where the issue should end up)
/// and `transition` (the name of the workflow step to take).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeIssueStatusInput {
    pub issue_key: Option<String>,
    pub status: Option<String>,
    pub transition: Option<String>,
    /// Plain text added as a comment once the issue is in its new status (also when it already
    /// was), so a retry after a failed comment does not need a second transition.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeIssueStatusOutput {
    pub issue_key: String,
    /// The transition taken; null when the issue already was in the requested status.
    pub transition_id: Option<String>,
    pub transition_name: Option<String>,
    /// The issue's status now.
    pub status: String,
    /// False when the issue already was in the requested status and was left alone.
    pub changed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Use cases

pub async fn add_issue_comment(
    input: AddIssueCommentInput,
    tracker: &dyn IssueTracker,
) -> Result<AddIssueCommentOutput, HitlError> {
    let issue_key = validate_issue_key(input.issue_key)?;
    let body = match (input.comment, input.body) {
        (Some(_), Some(_)) => {
            return Err(HitlError::invalid_input(
                "give either comment (plain text) or body (an ADF document), not both",
            ))
        }
        (Some(text), None) => plain_text_comment(&text, "comment")?,
        (None, Some(body)) => validate_adf(body, "body")?,
        (None, None) => {
            return Err(HitlError::invalid_input(
                "comment (plain text) or body (an ADF document) is required",
            ))
        }
    };
    let comment_id = tracker.add_comment(&issue_key, &body).await?;
    Ok(AddIssueCommentOutput {
        issue_key,
        comment_id,
    })
}

pub async fn change_issue_status(
    input: ChangeIssueStatusInput,
    tracker: &dyn IssueTracker,
) -> Result<ChangeIssueStatusOutput, HitlError> {
    let issue_key = validate_issue_key(input.issue_key)?;
    let target = match (non_blank(input.status), non_blank(input.transition)) {
        (Some(_), Some(_)) => return Err(HitlError::invalid_input(
            "give either status (the target status) or transition (a transition name), not both",
        )),
        (Some(status), None) => Target::Status(status),
        (None, Some(name)) => Target::Transition(name),
        (None, None) => {
            return Err(HitlError::invalid_input(
                "status (the target status name) or transition (a transition name) is required",
            ))
        }
    };
    // A blank comment (an ASL format of an empty field) means no comment rather than an error.
    let comment = match non_blank(input.comment) {
        Some(text) => Some(plain_text_comment(&text, "comment")?),
        None => None,
    };

    // Asking for the status the issue already has is a success: the workflow wants the issue
    // there, and re-running a transition could fire the workflow's post functions twice.
    let current = match &target {
        Target::Status(_) => Some(tracker.status(&issue_key).await?),
        Target::Transition(_) => None,
    };
    let mut output = match (&target, current) {
        (Target::Status(wanted), Some(current)) if same_name(&current, wanted) => {
            ChangeIssueStatusOutput {
                issue_key: issue_key.clone(),
                transition_id: None,
                transition_name: None,
                status: current,
                changed: false,
                comment_id: None,
            }
        }
        (_, current) => {
            let transitions = tracker.transitions(&issue_key).await?;
            let chosen = target.resolve(&transitions).ok_or_else(|| {
                no_transition(&issue_key, &target, current.as_deref(), &transitions)
            })?;
            tracker.transition(&issue_key, &chosen.id).await?;
            ChangeIssueStatusOutput {
                issue_key: issue_key.clone(),
                transition_id: Some(chosen.id.clone()),
                transition_name: Some(chosen.name.clone()),
                status: chosen.to_status.clone(),
                changed: true,
                comment_id: None,
            }
        }
    };
    if let Some(body) = comment {
        output.comment_id = Some(tracker.add_comment(&issue_key, &body).await?);
    }
    Ok(output)
}

enum Target {
    Status(String),
    Transition(String),
}

impl Target {
    /// The transition to take. For a status, one whose own name is the status wins over the
    /// others that lead there (workflows often have both "Done" and "Close" to Done).
    fn resolve<'a>(&self, transitions: &'a [Transition]) -> Option<&'a Transition> {
        match self {
            Target::Status(status) => {
                let leading_there: Vec<&Transition> = transitions
                    .iter()
                    .filter(|t| same_name(&t.to_status, status))
                    .collect();
                leading_there
                    .iter()
                    .find(|t| same_name(&t.name, status))
                    .or(leading_there.first())
                    .copied()
            }
            Target::Transition(name) => transitions.iter().find(|t| same_name(&t.name, name)),
        }
    }
}

fn no_transition(
    issue_key: &str,
    target: &Target,
    current: Option<&str>,
    transitions: &[Transition],
) -> HitlError {
    let wanted = match (target, current) {
        (Target::Status(status), Some(current)) => {
            format!("no transition to \"{status}\" from \"{current}\"")
        }
        (Target::Status(status), None) => format!("no transition to \"{status}\""),
        (Target::Transition(name), _) => format!("no transition named \"{name}\""),
    };
    // Jira lists only the transitions this account may take, so an empty list often means a
    // missing permission rather than a dead-end status.
    let available = if transitions.is_empty() {
        "none (the status has no way out, or the account lacks the Transition Issues permission)"
            .to_string()
    } else {
        transitions
            .iter()
            .map(|t| format!("{} (-> {})", t.name, t.to_status))
            .collect::<Vec<_>>()
            .join(", ")
    };
    HitlError::service(
        Service::Jira,
        ServiceErrorKind::TransitionNotFound,
        format!("{issue_key} has {wanted}; available: {available}"),
    )
}

/// Status and transition names as Jira compares them: case-insensitively.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Validation and ADF

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

fn validate_issue_key(key: Option<String>) -> Result<String, HitlError> {
    let key = non_blank(key).ok_or_else(|| HitlError::invalid_input("issueKey is required"))?;
    if !is_issue_key(&key) {
        return Err(HitlError::invalid_input(format!(
            "issueKey \"{}\" is not a Jira issue key (like OPS-123: the project key in capitals, a dash, the issue number)",
            key.chars().take(50).collect::<String>()
        )));
    }
    Ok(key)
}

fn plain_text_comment(text: &str, field: &str) -> Result<Value, HitlError> {
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

fn paragraph(lines: &[&str]) -> Value {
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
fn validate_adf(body: Value, field: &str) -> Result<Value, HitlError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::InMemoryJira;

    fn comment_input(v: Value) -> AddIssueCommentInput {
        serde_json::from_value(v).unwrap()
    }

    fn status_input(v: Value) -> ChangeIssueStatusInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn issue_keys_follow_jiras_pattern() {
        for good in ["OPS-1", "AB-123", "A1_B-9", "OPS2-10"] {
            assert!(is_issue_key(good), "{good}");
        }
        for bad in [
            "ops-1", "O-1", "1OPS-1", "OPS-", "OPS1", "OPS-1a", "OPS-1-2", "OP S-1", "",
        ] {
            assert!(!is_issue_key(bad), "{bad}");
        }
    }

    #[test]
    fn plain_text_becomes_paragraphs_with_hard_breaks() {
        let adf =
            text_to_adf("Approved by ana@example.com\nat 10:00\r\n\r\n  \nSee https://x.test/a\n");
        assert_eq!(
            adf,
            json!({"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "Approved by ana@example.com"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "at 10:00"}
                ]},
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "See https://x.test/a"}
                ]}
            ]})
        );
    }

    #[tokio::test]
    async fn a_plain_text_comment_is_posted_as_adf() {
        let jira = InMemoryJira::new(&[("OPS-1", "To Do")]);
        let out = add_issue_comment(
            comment_input(json!({"issueKey": " OPS-1 ", "comment": "Approved.", "extra": 1})),
            &jira,
        )
        .await
        .unwrap();
        assert_eq!(
            out,
            AddIssueCommentOutput {
                issue_key: "OPS-1".into(),
                comment_id: "10001".into()
            }
        );
        assert_eq!(jira.comments_of("OPS-1"), vec![text_to_adf("Approved.")]);
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"issueKey": "OPS-1", "commentId": "10001"})
        );
    }

    #[tokio::test]
    async fn a_raw_adf_body_is_posted_as_is() {
        let jira = InMemoryJira::new(&[("OPS-1", "To Do")]);
        let body = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "bold", "marks": [{"type": "strong"}]}]}
        ]});
        add_issue_comment(
            comment_input(json!({"issueKey": "OPS-1", "body": body.clone()})),
            &jira,
        )
        .await
        .unwrap();
        assert_eq!(jira.comments_of("OPS-1"), vec![body]);
    }

    #[tokio::test]
    async fn bad_comment_input_names_the_field() {
        let jira = InMemoryJira::new(&[("OPS-1", "To Do")]);
        let cases = [
            (json!({"comment": "x"}), "issueKey is required"),
            (
                json!({"issueKey": "ops-1", "comment": "x"}),
                "issueKey \"ops-1\"",
            ),
            (json!({"issueKey": "OPS-1"}), "comment (plain text) or body"),
            (
                json!({"issueKey": "OPS-1", "comment": "x", "body": text_to_adf("x")}),
                "not both",
            ),
            (
                json!({"issueKey": "OPS-1", "comment": " \n "}),
                "comment must not be empty",
            ),
            (
                json!({"issueKey": "OPS-1", "body": {"type": "paragraph", "content": []}}),
                "body must be an Atlassian Document Format document",
            ),
            (
                json!({"issueKey": "OPS-1", "body": {"type": "doc", "version": 2, "content": []}}),
                "body must be an Atlassian Document Format document",
            ),
            (
                json!({"issueKey": "OPS-1", "body": {"type": "doc", "version": 1, "content": []}}),
                "body is an empty ADF document",
            ),
            (
                json!({"issueKey": "OPS-1", "comment": "x".repeat(MAX_COMMENT_CHARS + 1)}),
                "at most 32767",
            ),
        ];
        for (input, expected) in cases {
            let err = add_issue_comment(comment_input(input.clone()), &jira)
                .await
                .unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidInput", "{input}");
            assert!(err.to_string().contains(expected), "{input}: {err}");
        }
        assert!(jira.comments_of("OPS-1").is_empty());
    }

    #[tokio::test]
    async fn a_status_is_reached_through_the_transition_leading_there() {
        let jira = InMemoryJira::new(&[("OPS-1", "To Do")]);
        let out = change_issue_status(
            status_input(json!({"issueKey": "OPS-1", "status": "in progress"})),
            &jira,
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"issueKey": "OPS-1", "transitionId": "21", "transitionName": "Start Progress",
                   "status": "In Progress", "changed": true})
        );
        assert_eq!(jira.status_of("OPS-1"), "In Progress");
    }

    #[tokio::test]
    async fn a_transition_is_found_by_its_name_and_can_carry_a_comment() {
        let jira = InMemoryJira::new(&[("OPS-1", "In Progress")]);
        let out = change_issue_status(
            status_input(
                json!({"issueKey": "OPS-1", "transition": "REOPEN", "comment": "Rejected."}),
            ),
            &jira,
        )
        .await
        .unwrap();
        assert_eq!(out.transition_id.as_deref(), Some("41"));
        assert_eq!(out.status, "To Do");
        assert_eq!(out.comment_id.as_deref(), Some("10001"));
        assert_eq!(jira.comments_of("OPS-1"), vec![text_to_adf("Rejected.")]);
    }

    #[test]
    fn a_transition_named_after_the_status_wins() {
        let t = |id: &str, name: &str| Transition {
            id: id.into(),
            name: name.into(),
            to_status: "Done".into(),
        };
        let transitions = [t("51", "Close"), t("31", "Done")];
        let chosen = Target::Status("done".into()).resolve(&transitions).unwrap();
        assert_eq!(chosen.id, "31");
        let chosen = Target::Status("Done".into())
            .resolve(&transitions[..1])
            .unwrap();
        assert_eq!(chosen.id, "51");
    }

    #[tokio::test]
    async fn the_status_the_issue_already_has_is_a_success_without_a_transition() {
        let jira = InMemoryJira::new(&[("OPS-1", "Done")]);
        let out = change_issue_status(
            status_input(json!({"issueKey": "OPS-1", "status": "DONE", "comment": "Approved."})),
            &jira,
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"issueKey": "OPS-1", "transitionId": null, "transitionName": null,
                   "status": "Done", "changed": false, "commentId": "10001"})
        );
        assert!(jira.taken.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_missing_transition_is_a_named_error_listing_what_exists() {
        let jira = InMemoryJira::new(&[("OPS-1", "Done"), ("OPS-2", "To Do")]);
        let err = change_issue_status(
            status_input(json!({"issueKey": "OPS-1", "status": "In Progress"})),
            &jira,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "Jira.TransitionNotFound");
        assert_eq!(
            err.to_string(),
            "Jira TransitionNotFound: OPS-1 has no transition to \"In Progress\" from \"Done\"; \
             available: Reopen (-> To Do)"
        );
        let err = change_issue_status(
            status_input(json!({"issueKey": "OPS-2", "transition": "Close"})),
            &jira,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "Jira.TransitionNotFound");
        assert!(
            err.to_string().ends_with(
                "OPS-2 has no transition named \"Close\"; available: Start Progress (-> In Progress), Done (-> Done)"
            ),
            "{err}"
        );
        assert_eq!(jira.status_of("OPS-2"), "To Do");
    }

    #[tokio::test]
    async fn tracker_errors_pass_through() {
        let jira = InMemoryJira::new(&[]);
        let err = change_issue_status(
            status_input(json!({"issueKey": "OPS-9", "status": "Done"})),
            &jira,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "Jira.IssueNotFound");
    }

    #[tokio::test]
    async fn bad_status_input_names_the_field() {
        let jira = InMemoryJira::new(&[("OPS-1", "To Do")]);
        let cases = [
            (json!({"status": "Done"}), "issueKey is required"),
            (
                json!({"issueKey": "OPS-1"}),
                "status (the target status name) or transition",
            ),
            (
                json!({"issueKey": "OPS-1", "status": " "}),
                "status (the target status name) or transition",
            ),
            (
                json!({"issueKey": "OPS-1", "status": "Done", "transition": "Done"}),
                "not both",
            ),
            (
                json!({"issueKey": "OPS 1", "status": "Done"}),
                "issueKey \"OPS 1\"",
            ),
        ];
        for (input, expected) in cases {
            let err = change_issue_status(status_input(input.clone()), &jira)
                .await
                .unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidInput", "{input}");
            assert!(err.to_string().contains(expected), "{input}: {err}");
        }
        assert_eq!(jira.status_of("OPS-1"), "To Do");
    }
}
