//! Jira Add Issue Comment and Change Issue Status, over the [`IssueTracker`] port. Their inputs
//! are read and checked in `channels::jira` (issue keys, comments rendered as Jira's document
//! format), which hands over a [`CommentRequest`] or a [`StatusChange`]. Choosing the transition
//! that reaches a status is ours: Jira moves issues by transition id, while people name
//! statuses or transitions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::{IssueTracker, Transition};
use crate::HitlError;

/// A comment to add: the issue, and the body in the tracker's format.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentRequest {
    pub issue_key: String,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddIssueCommentOutput {
    pub issue_key: String,
    pub comment_id: String,
}

/// Where the issue should go: a status (reached through a transition that leads there) or the
/// name of a transition to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusTarget {
    Status(String),
    Transition(String),
}

/// A status change, with a comment (in the tracker's format) added once the issue is there.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub issue_key: String,
    pub target: StatusTarget,
    pub comment: Option<Value>,
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

pub async fn add_issue_comment(
    request: CommentRequest,
    tracker: &dyn IssueTracker,
) -> Result<AddIssueCommentOutput, HitlError> {
    let comment_id = tracker
        .add_comment(&request.issue_key, &request.body)
        .await?;
    Ok(AddIssueCommentOutput {
        issue_key: request.issue_key,
        comment_id,
    })
}

pub async fn change_issue_status(
    request: StatusChange,
    tracker: &dyn IssueTracker,
) -> Result<ChangeIssueStatusOutput, HitlError> {
    let StatusChange {
        issue_key,
        target,
        comment,
    } = request;
    // Asking for the status the issue already has is a success: the workflow wants the issue
    // there, and re-running a transition could fire the workflow's post functions twice.
    let current = match &target {
        StatusTarget::Status(_) => Some(tracker.status(&issue_key).await?),
        StatusTarget::Transition(_) => None,
    };
    let mut output = match (&target, current) {
        (StatusTarget::Status(wanted), Some(current)) if same_name(&current, wanted) => {
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
                let why = no_transition(&issue_key, &target, current.as_deref(), &transitions);
                tracker.no_transition(why)
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

impl StatusTarget {
    /// The transition to take. For a status, one whose own name is the status wins over the
    /// others that lead there (workflows often have both "Done" and "Close" to Done).
    pub fn resolve<'a>(&self, transitions: &'a [Transition]) -> Option<&'a Transition> {
        match self {
            StatusTarget::Status(status) => {
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
            StatusTarget::Transition(name) => transitions.iter().find(|t| same_name(&t.name, name)),
        }
    }
}

/// Why no transition fits: what was wanted, from where, and what the account may take.
fn no_transition(
    issue_key: &str,
    target: &StatusTarget,
    current: Option<&str>,
    transitions: &[Transition],
) -> String {
    let wanted = match (target, current) {
        (StatusTarget::Status(status), Some(current)) => {
            format!("no transition to \"{status}\" from \"{current}\"")
        }
        (StatusTarget::Status(status), None) => format!("no transition to \"{status}\""),
        (StatusTarget::Transition(name), _) => format!("no transition named \"{name}\""),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_named_after_the_status_wins() {
        let t = |id: &str, name: &str| Transition {
            id: id.into(),
            name: name.into(),
            to_status: "Done".into(),
        };
        let transitions = [t("51", "Close"), t("31", "Done")];
        let chosen = StatusTarget::Status("done".into())
            .resolve(&transitions)
            .unwrap();
        assert_eq!(chosen.id, "31");
        let chosen = StatusTarget::Status("Done".into())
            .resolve(&transitions[..1])
            .unwrap();
        assert_eq!(chosen.id, "51");
    }
}
