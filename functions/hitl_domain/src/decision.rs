//! Decisions and the one output shape every channel returns to Step Functions, so a single
//! `Choice` state works whichever channel asked.

use serde::{Deserialize, Serialize};

use crate::HitlError;

/// What a person chose on an approval link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    pub fn parse(value: &str) -> Result<Self, HitlError> {
        match value {
            "approve" => Ok(Decision::Approve),
            "reject" => Ok(Decision::Reject),
            other => Err(HitlError::InvalidLink(format!(
                "unknown decision {other:?} (expected approve or reject)"
            ))),
        }
    }

    /// The past tense a person reads: "approved" / "rejected".
    pub fn past_tense(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }
}

/// Where a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Slack,
    Teams,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedBy {
    pub id: String,
    pub name: String,
    pub channel: Channel,
}

/// A decision as stored on the approval record, with its audit fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDecision {
    pub decision: Decision,
    pub decided_by: DecidedBy,
    /// Unix seconds.
    pub decided_at: i64,
    pub comment: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The output of every `.waitForTaskToken` approval Task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionOutput {
    pub approval_id: String,
    pub decision: String,
    pub approved: bool,
    pub decided_by: DecidedBy,
    /// RFC 3339.
    pub decided_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl DecisionOutput {
    pub fn from_recorded(approval_id: &str, recorded: &RecordedDecision) -> Self {
        DecisionOutput {
            approval_id: approval_id.to_string(),
            decision: recorded.decision.as_str().to_string(),
            approved: recorded.decision == Decision::Approve,
            decided_by: recorded.decided_by.clone(),
            decided_at: crate::approval::rfc3339(recorded.decided_at),
            comment: recorded.comment.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_has_the_documented_shape() {
        let recorded = RecordedDecision {
            decision: Decision::Approve,
            decided_by: DecidedBy {
                id: "alice@example.com".into(),
                name: "alice@example.com".into(),
                channel: Channel::Email,
            },
            decided_at: 1_800_000_000,
            comment: None,
            source_ip: Some("10.0.0.1".into()),
            user_agent: None,
        };
        let json = serde_json::to_value(DecisionOutput::from_recorded("a-1", &recorded)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "approvalId": "a-1",
                "decision": "approve",
                "approved": true,
                "decidedBy": {"id": "alice@example.com", "name": "alice@example.com", "channel": "email"},
                "decidedAt": "2027-01-15T08:00:00Z"
            })
        );
    }

    #[test]
    fn unknown_decisions_are_refused() {
        assert_eq!(Decision::parse("reject").unwrap(), Decision::Reject);
        assert_eq!(
            Decision::parse("maybe").unwrap_err().name(),
            "Hitl.InvalidLink"
        );
    }
}
