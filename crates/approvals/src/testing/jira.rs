//! Jira in memory: issues in the default software workflow (To Do, In Progress, Done).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::Value;

use crate::ports::{IssueTracker, Transition};
use crate::{HitlError, Retry};

/// Jira's default software workflow, in memory; records the transitions taken.
pub struct FakeJira {
    issues: Mutex<BTreeMap<String, (String, Vec<Value>)>>,
    /// The ids of the transitions taken, in order.
    pub taken: Mutex<Vec<String>>,
}

impl FakeJira {
    pub fn new(issues: &[(&str, &str)]) -> Self {
        FakeJira {
            issues: Mutex::new(
                issues
                    .iter()
                    .map(|(k, s)| (k.to_string(), (s.to_string(), Vec::new())))
                    .collect(),
            ),
            taken: Mutex::new(Vec::new()),
        }
    }

    pub fn workflow(status: &str) -> Vec<Transition> {
        let t = |id: &str, name: &str, to: &str| Transition {
            id: id.into(),
            name: name.into(),
            to_status: to.into(),
        };
        match status {
            "To Do" => vec![
                t("21", "Start Progress", "In Progress"),
                t("31", "Done", "Done"),
            ],
            "In Progress" => vec![t("31", "Done", "Done"), t("41", "Reopen", "To Do")],
            "Done" => vec![t("41", "Reopen", "To Do")],
            _ => vec![],
        }
    }

    pub fn status_of(&self, key: &str) -> String {
        self.issues.lock().unwrap()[key].0.clone()
    }

    pub fn comments_of(&self, key: &str) -> Vec<Value> {
        self.issues.lock().unwrap()[key].1.clone()
    }

    fn not_found(key: &str) -> HitlError {
        HitlError::failed_dependency("Jira.IssueNotFound", key, Retry::Never)
    }
}

#[async_trait]
impl IssueTracker for FakeJira {
    async fn add_comment(&self, issue_key: &str, body: &Value) -> Result<String, HitlError> {
        let mut issues = self.issues.lock().unwrap();
        let issue = issues
            .get_mut(issue_key)
            .ok_or_else(|| Self::not_found(issue_key))?;
        issue.1.push(body.clone());
        Ok(format!("{}", 10000 + issue.1.len()))
    }

    async fn transitions(&self, issue_key: &str) -> Result<Vec<Transition>, HitlError> {
        let issues = self.issues.lock().unwrap();
        let issue = issues
            .get(issue_key)
            .ok_or_else(|| Self::not_found(issue_key))?;
        Ok(Self::workflow(&issue.0))
    }

    async fn transition(&self, issue_key: &str, transition_id: &str) -> Result<(), HitlError> {
        let mut issues = self.issues.lock().unwrap();
        let issue = issues
            .get_mut(issue_key)
            .ok_or_else(|| Self::not_found(issue_key))?;
        let to = Self::workflow(&issue.0)
            .into_iter()
            .find(|t| t.id == transition_id)
            .ok_or_else(|| {
                HitlError::failed_dependency("Jira.ApiError", "bad transition", Retry::Never)
            })?;
        issue.0 = to.to_status;
        self.taken.lock().unwrap().push(transition_id.to_string());
        Ok(())
    }

    /// Named as the Jira adapter names it.
    fn no_transition(&self, message: String) -> HitlError {
        HitlError::failed_dependency("Jira.TransitionNotFound", message, Retry::Never)
    }

    async fn status(&self, issue_key: &str) -> Result<String, HitlError> {
        let issues = self.issues.lock().unwrap();
        issues
            .get(issue_key)
            .map(|i| i.0.clone())
            .ok_or_else(|| Self::not_found(issue_key))
    }
}
