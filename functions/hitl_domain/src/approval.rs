//! The approval record and the Create Approval Links input/output contract.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{Channel, HitlError, RecordedDecision};

pub const DEFAULT_EXPIRES_IN_SECONDS: i64 = 24 * 60 * 60;
/// Short windows are allowed for drills and tests; real requests use hours or days.
pub const MIN_EXPIRES_IN_SECONDS: i64 = 5;
pub const MAX_EXPIRES_IN_SECONDS: i64 = 30 * 24 * 60 * 60;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_APPROVERS: usize = 50;

/// One approval request, as stored. Audit fields stay until the record's TTL removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    pub approval_id: String,
    pub title: String,
    pub description: Option<String>,
    /// Lower-cased email addresses allowed to decide. Empty: whoever holds a link.
    pub approvers: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; links stop working after this.
    pub expires_at: i64,
    /// Unix seconds after which DynamoDB TTL deletes the record (audit retention).
    pub delete_after: i64,
    pub task_token: Option<String>,
    pub decision: Option<RecordedDecision>,
    /// Set once the decision has been delivered to Step Functions (exactly once).
    pub resumed_at: Option<i64>,
    /// The channel that asked; decisions made on its links are attributed to it.
    pub origin: Channel,
    /// The chat message that asked (Slack channel + ts), updated after the decision.
    pub message: Option<MessageRef>,
}

/// Where a chat message is: a Slack channel id and the message's `ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub channel: String,
    pub ts: String,
}

impl ApprovalRecord {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Input of Create Approval Links. Unknown fields are ignored so a state machine can pass its
/// whole state (`"Payload.$": "$"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLinksInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub expires_in_seconds: Option<i64>,
    pub approvers: Option<Vec<String>>,
}

/// A validated request, ready to become a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedRequest {
    pub title: String,
    pub description: Option<String>,
    pub expires_in_seconds: i64,
    pub approvers: Vec<String>,
}

impl CreateLinksInput {
    pub fn validate(self) -> Result<ValidatedRequest, HitlError> {
        let title = self
            .title
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                HitlError::invalid_input("title is required: say what is being approved")
            })?;
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(HitlError::invalid_input(format!(
                "title is longer than {MAX_TITLE_CHARS} characters"
            )));
        }
        let description = self
            .description
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(HitlError::invalid_input(format!(
                "description is longer than {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        let expires_in_seconds = self
            .expires_in_seconds
            .unwrap_or(DEFAULT_EXPIRES_IN_SECONDS);
        if !(MIN_EXPIRES_IN_SECONDS..=MAX_EXPIRES_IN_SECONDS).contains(&expires_in_seconds) {
            return Err(HitlError::invalid_input(format!(
                "expiresInSeconds must be between {MIN_EXPIRES_IN_SECONDS} and {MAX_EXPIRES_IN_SECONDS}, got {expires_in_seconds}"
            )));
        }
        let mut approvers = Vec::new();
        for raw in self.approvers.unwrap_or_default() {
            let email = normalize_email(&raw)?;
            if !approvers.contains(&email) {
                approvers.push(email);
            }
        }
        if approvers.len() > MAX_APPROVERS {
            return Err(HitlError::invalid_input(format!(
                "at most {MAX_APPROVERS} approvers are supported"
            )));
        }
        Ok(ValidatedRequest {
            title,
            description,
            expires_in_seconds,
            approvers,
        })
    }
}

/// Lower-cases and checks the shape of an address (`local@domain.tld`, no spaces).
pub fn normalize_email(raw: &str) -> Result<String, HitlError> {
    let email = raw.trim().to_ascii_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
                && !domain.contains('@')
                && email.len() <= 254
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err(HitlError::invalid_input(format!(
            "{raw:?} is not an email address"
        )))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientLinks {
    pub approver: String,
    pub approve_url: String,
    pub reject_url: String,
}

/// Output of Create Approval Links. With approvers, `approveUrl`/`rejectUrl` are the first
/// approver's links and `links` holds one pair per approver (each bound to that address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLinksOutput {
    pub approval_id: String,
    pub approve_url: String,
    pub reject_url: String,
    pub expires_at: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub links: Vec<RecipientLinks>,
}

pub fn rfc3339(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> CreateLinksInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn title_is_required() {
        let err = input(serde_json::json!({"title": "  "}))
            .validate()
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(err.to_string().contains("title"));
    }

    #[test]
    fn defaults_and_unknown_fields() {
        let v = input(serde_json::json!({"title": "Stop db-1", "to": ["x@y.z"]}))
            .validate()
            .unwrap();
        assert_eq!(v.expires_in_seconds, DEFAULT_EXPIRES_IN_SECONDS);
        assert!(v.approvers.is_empty());
    }

    #[test]
    fn expiry_bounds() {
        for bad in [0, 4, MAX_EXPIRES_IN_SECONDS + 1, -5] {
            let err = input(serde_json::json!({"title": "t", "expiresInSeconds": bad}))
                .validate()
                .unwrap_err();
            assert!(err.to_string().contains("expiresInSeconds"), "{err}");
        }
    }

    #[test]
    fn approvers_are_normalized_deduplicated_and_checked() {
        let v = input(serde_json::json!({"title": "t", "approvers": ["Alice@Example.com ", "alice@example.com", "bob@example.org"]}))
            .validate()
            .unwrap();
        assert_eq!(v.approvers, vec!["alice@example.com", "bob@example.org"]);
        let err = input(serde_json::json!({"title": "t", "approvers": ["not-an-email"]}))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("not-an-email"));
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
