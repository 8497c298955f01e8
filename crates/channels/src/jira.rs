//! Jira Cloud: what we read and send. The input contracts of Add Issue Comment and Change
//! Issue Status and their checks, which hand the use cases in [`approvals::use_cases::jira`] a
//! checked request, and plain text as Atlassian Document Format (ADF, the only comment format
//! REST API v3 accepts). Talking to Jira is the [`approvals::ports::IssueTracker`] port.

use serde::Deserialize;
use serde_json::Value;

use approvals::input::non_blank;
pub use approvals::use_cases::jira::{AddIssueCommentOutput, ChangeIssueStatusOutput};
use approvals::use_cases::jira::{CommentRequest, StatusChange, StatusTarget};
use approvals::HitlError;

/// Jira's limit for a comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 32_767;

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

// ---------------------------------------------------------------------------------------------
// Checks

impl AddIssueCommentInput {
    /// The issue and the comment as ADF: exactly one of `comment` (plain text) and `body` (an
    /// ADF document).
    pub fn validate(self) -> Result<CommentRequest, HitlError> {
        let issue_key = validate_issue_key(self.issue_key)?;
        let body = match (self.comment, self.body) {
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
        Ok(CommentRequest { issue_key, body })
    }
}

impl ChangeIssueStatusInput {
    /// The issue, exactly one of `status` and `transition`, and the comment as ADF. A blank
    /// comment (an ASL format of an empty field) means no comment rather than an error.
    pub fn validate(self) -> Result<StatusChange, HitlError> {
        let issue_key = validate_issue_key(self.issue_key)?;
        let target = match (non_blank(self.status), non_blank(self.transition)) {
            (Some(_), Some(_)) => return Err(HitlError::invalid_input(
                "give either status (the target status) or transition (a transition name), not both",
            )),
            (Some(status), None) => StatusTarget::Status(status),
            (None, Some(name)) => StatusTarget::Transition(name),
            (None, None) => return Err(HitlError::invalid_input(
                "status (the target status name) or transition (a transition name) is required",
            )),
        };
        let comment = match non_blank(self.comment) {
            Some(text) => Some(plain_text_comment(&text, "comment")?),
            None => None,
        };
        Ok(StatusChange {
            issue_key,
            target,
            comment,
        })
    }
}

mod adf;
pub use adf::*;

#[cfg(test)]
mod tests;
