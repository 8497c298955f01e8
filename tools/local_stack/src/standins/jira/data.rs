//! The seeded issues and the workflow they move through.

use serde_json::Value;

/// A status of the workflow: name, id, status category key and name (as Jira reports them).
pub(super) struct Status {
    pub(super) name: &'static str,
    pub(super) id: &'static str,
    pub(super) category: (&'static str, &'static str),
}

pub(super) const STATUSES: [Status; 3] = [
    Status {
        name: "To Do",
        id: "10000",
        category: ("new", "To Do"),
    },
    Status {
        name: "In Progress",
        id: "3",
        category: ("indeterminate", "In Progress"),
    },
    Status {
        name: "Done",
        id: "10001",
        category: ("done", "Done"),
    },
];

pub(super) struct WorkflowStep {
    pub(super) id: &'static str,
    pub(super) name: &'static str,
    pub(super) from: &'static [&'static str],
    pub(super) to: &'static str,
}

/// In the order Jira lists them.
pub(super) const WORKFLOW: [WorkflowStep; 3] = [
    WorkflowStep {
        id: "21",
        name: "Start Progress",
        from: &["To Do"],
        to: "In Progress",
    },
    WorkflowStep {
        id: "31",
        name: "Done",
        from: &["To Do", "In Progress"],
        to: "Done",
    },
    WorkflowStep {
        id: "41",
        name: "Reopen",
        from: &["In Progress", "Done"],
        to: "To Do",
    },
];

pub(super) const SEED: [(&str, &str); 3] = [
    ("OPS-1", "Stop idle RDS instance reporting-db"),
    ("OPS-2", "Delete unattached volume vol-0a1b2c3d"),
    ("OPS-3", "Rotate the approval link signing key"),
];

pub(super) struct Issue {
    pub(super) id: String,
    pub(super) key: String,
    pub(super) summary: String,
    pub(super) status: &'static str,
    pub(super) comments: Vec<Comment>,
}

pub(super) struct Comment {
    pub(super) id: String,
    pub(super) body: Value,
    pub(super) created: String,
}

pub(super) struct Data {
    pub(super) issues: Vec<Issue>,
    pub(super) next_comment_id: u64,
    /// Requests still to be answered 429, and their Retry-After.
    pub(super) rate_limited: u32,
    pub(super) retry_after: u64,
    /// Every API call as `METHOD /path` (for tests: "did it retry?").
    pub(super) calls: Vec<String>,
}

impl Data {
    pub(super) fn seeded() -> Self {
        Data {
            issues: SEED
                .iter()
                .enumerate()
                .map(|(i, (key, summary))| Issue {
                    id: (10001 + i).to_string(),
                    key: key.to_string(),
                    summary: summary.to_string(),
                    status: STATUSES[0].name,
                    comments: Vec::new(),
                })
                .collect(),
            next_comment_id: 10000,
            rate_limited: 0,
            retry_after: 1,
            calls: Vec::new(),
        }
    }

    /// Jira takes an issue's key in any case, or its numeric id.
    pub(super) fn issue_mut(&mut self, key_or_id: &str) -> Option<&mut Issue> {
        self.issues
            .iter_mut()
            .find(|i| i.key.eq_ignore_ascii_case(key_or_id) || i.id == key_or_id)
    }
}
