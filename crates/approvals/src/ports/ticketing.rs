//! The ticketing port: an issue tracker whose issues move between statuses by transitions
//! (Jira Cloud, in `saas_adapters::jira`).

use async_trait::async_trait;
use serde_json::Value;

use crate::HitlError;

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
    /// Adds a comment whose `body` is the tracker's document format (Jira: an ADF document,
    /// made by `channels::jira`); returns the new comment's id.
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
