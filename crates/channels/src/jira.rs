//! Jira Cloud: comment on an issue, and move an issue to another status.
//!
//! What is ours lives here: the input contracts, plain text to Atlassian Document Format (ADF,
//! the only comment format REST API v3 accepts), and choosing the transition that reaches a
//! status: Jira moves issues by transition id, while people name statuses or transitions.
//! Talking to Jira is the [`IssueTracker`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use approvals::input::non_blank;

use approvals::HitlError;

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
    /// The tracker's error for a status or transition the issue cannot reach from where it is
    /// (Jira: `Jira.TransitionNotFound`); `message` says what was wanted and what exists.
    fn no_transition(&self, message: String) -> HitlError;
}

// ---------------------------------------------------------------------------------------------
// Contracts

/// Input of Jira Add Issue Comment. Unknown fields are refused; an ADF `body` passes through as
/// given.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddIssueCommentInput {
    /// The issue (`OPS-123`).
    #[schemars(required, regex(pattern = crate::schema::JIRA_ISSUE_KEY_PATTERN))]
    pub issue_key: Option<String>,
    /// Plain text; blank lines separate paragraphs, single newlines are line breaks.
    #[schemars(length(max = MAX_COMMENT_CHARS))]
    pub comment: Option<String>,
    /// A ready ADF document, for formatting plain text cannot express (mentions, tables...).
    #[schemars(with = "Option<crate::schema::AdfDocument>")]
    pub body: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddIssueCommentOutput {
    pub issue_key: String,
    pub comment_id: String,
}

/// Input of Jira Change Issue Status: exactly one of `status` (where the issue should end up)
/// and `transition` (the name of the workflow step to take). Unknown fields are refused.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeIssueStatusInput {
    /// The issue (`OPS-123`).
    #[schemars(required, regex(pattern = crate::schema::JIRA_ISSUE_KEY_PATTERN))]
    pub issue_key: Option<String>,
    pub status: Option<String>,
    pub transition: Option<String>,
    /// Plain text added as a comment once the issue is in its new status (also when it already
    /// was), so a retry after a failed comment does not need a second transition.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    let target = Target::from_input(input.status, input.transition)?;
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
                tracker.no_transition(no_transition(
                    &issue_key,
                    &target,
                    current.as_deref(),
                    &transitions,
                ))
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
    fn from_input(status: Option<String>, transition: Option<String>) -> Result<Self, HitlError> {
        match (non_blank(status), non_blank(transition)) {
            (Some(_), Some(_)) => Err(HitlError::invalid_input(
                "give either status (the target status) or transition (a transition name), not both",
            )),
            (Some(status), None) => Ok(Target::Status(status)),
            (None, Some(name)) => Ok(Target::Transition(name)),
            (None, None) => Err(HitlError::invalid_input(
                "status (the target status name) or transition (a transition name) is required",
            )),
        }
    }
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
) -> String {
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
    format!("{issue_key} has {wanted}; available: {available}")
}

/// Status and transition names as Jira compares them: case-insensitively.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

mod adf;
pub use adf::*;

#[cfg(test)]
mod tests;
