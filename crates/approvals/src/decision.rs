//! Decisions and the one output shape every channel returns to Step Functions, so a single
//! `Choice` state works whichever channel asked.

use serde::{Deserialize, Serialize};

use crate::follow_up::FollowUpAnswer;
use crate::HitlError;

mod output;
pub use output::{DecisionOutput, FollowUpOutput, VoteOutput};

/// What a person chose: approve or reject on a link or button, or the value of a custom
/// Slack button (`"defer"`, `"scale-down-50"`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Custom(String),
}

impl Decision {
    pub fn as_str(&self) -> &str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::Custom(value) => value,
        }
    }

    /// The decision of a link: only approve or reject are valid there.
    pub fn parse(value: &str) -> Result<Self, HitlError> {
        match value {
            "approve" => Ok(Decision::Approve),
            "reject" => Ok(Decision::Reject),
            other => Err(HitlError::InvalidLink(format!(
                "unknown decision {other:?} (expected approve or reject)"
            ))),
        }
    }

    /// The decision a button value stands for: `approve` and `reject` are the usual two.
    pub fn from_value(value: &str) -> Self {
        Decision::parse(value).unwrap_or_else(|_| Decision::Custom(value.to_string()))
    }

    pub fn is_approval(&self) -> bool {
        matches!(self, Decision::Approve)
    }

    /// What a person reads: "approved" / "rejected" / "answered “defer”".
    pub fn past_tense(&self) -> String {
        match self {
            Decision::Approve => "approved".into(),
            Decision::Reject => "rejected".into(),
            Decision::Custom(value) => format!("answered \u{201c}{value}\u{201d}"),
        }
    }
}

/// Where a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Slack,
    Teams,
}

/// Who decided. Serialized with a derived `verified` (see [`DecidedBy::verified`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(transform = crate::schema::decided_by_verified)]
pub struct DecidedBy {
    pub id: String,
    pub name: String,
    pub channel: Channel,
}

impl DecidedBy {
    /// Whether the channel vouches for who decided: a Slack click (signed by Slack, from the
    /// user Slack names) or a personal link sent to one approver's address. A link without
    /// named approvers (`id` `link`: an email's shared links, a Teams webhook card) decides
    /// for whoever holds it, under the name they typed: not verified.
    pub fn verified(&self) -> bool {
        self.id != "link"
    }
}

impl Serialize for DecidedBy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("DecidedBy", 4)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("channel", &self.channel)?;
        s.serialize_field("verified", &self.verified())?;
        s.end()
    }
}

/// The Slack user who clicked, as Slack's `block_actions` payload names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackUser {
    pub id: String,
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// A Microsoft Teams user as the Bot Framework names them in a card action (`from.aadObjectId`,
/// `from.name`, the conversation's tenant), with their user principal name when it is known (an
/// approver resolved when the request was made). Never built from anything unsigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamsUser {
    /// The Entra object id: what an approver is checked by.
    pub object_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    pub tenant_id: String,
}

/// The interactive element a chat decision came from: its id, its type (`button`,
/// `static_select`, `checkboxes`, `datepicker`...) and what was selected (a button's value,
/// option values, a date, a time, user or conversation ids), in the channel's own terms but
/// as plain strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChosenAction {
    pub action_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub selected: Vec<String>,
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
    /// Set for decisions made with a Slack button.
    pub slack_user: Option<SlackUser>,
    /// Teams: who clicked a card the bot sent (their Entra identity, verified by the Bot Framework token).
    pub teams_user: Option<TeamsUser>,
    /// The element acted on, for decisions made in a chat message.
    pub action: Option<ChosenAction>,
    /// The follow-up question asked after the choice, and its answer.
    pub follow_up: Option<FollowUpAnswer>,
    /// The confirmation page this decision was submitted from (a random id the page carries),
    /// so a second submission of the same form is known as the same decision, even when the
    /// answer to the first was lost.
    pub submission_id: Option<String>,
}

/// The longest name and id a late decision keeps (a typed name is at most 100 characters).
const MAX_LATE_WHO_CHARS: usize = 100;
/// The longest source address kept (an IPv6 address in text is at most 45 characters).
const MAX_LATE_IP_CHARS: usize = 45;

fn at_most(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl RecordedDecision {
    /// What the audit keeps of a decision that came after the request expired: who, when, on
    /// which channel, what, and from where. Nothing the sender typed at length (comment,
    /// answer) nor their user agent: a late decision changes nothing, so it must not cost
    /// storage either, and at most [`crate::approval::MAX_LATE_DECISIONS`] of them are kept.
    pub fn late_audit(&self) -> RecordedDecision {
        RecordedDecision {
            decision: Decision::from_value(&at_most(self.decision.as_str(), MAX_LATE_WHO_CHARS)),
            decided_by: DecidedBy {
                id: at_most(&self.decided_by.id, MAX_LATE_WHO_CHARS),
                name: at_most(&self.decided_by.name, MAX_LATE_WHO_CHARS),
                channel: self.decided_by.channel,
            },
            decided_at: self.decided_at,
            comment: None,
            source_ip: self
                .source_ip
                .as_deref()
                .map(|ip| at_most(ip, MAX_LATE_IP_CHARS)),
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: None,
            submission_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decided_at_reads_back_as_unix_seconds() {
        let recorded = RecordedDecision {
            decision: Decision::Reject,
            decided_by: DecidedBy {
                id: "bob@example.com".into(),
                name: "bob@example.com".into(),
                channel: Channel::Email,
            },
            decided_at: 1_800_000_007,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: None,
            submission_id: None,
        };
        let mut output = DecisionOutput::from_recorded("a", &recorded);
        assert_eq!(output.decided_at_unix(), Some(1_800_000_007));
        output.decided_at = "yesterday".into();
        assert_eq!(output.decided_at_unix(), None);
    }

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
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: None,
            submission_id: None,
        };
        let json = serde_json::to_value(DecisionOutput::from_recorded("a-1", &recorded)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "approvalId": "a-1",
                "decision": "approve",
                "approved": true,
                "decidedBy": {"id": "alice@example.com", "name": "alice@example.com", "channel": "email", "verified": true},
                "decidedAt": "2027-01-15T08:00:00Z"
            })
        );
        let mut shared = recorded.clone();
        shared.decided_by = DecidedBy {
            id: "link".into(),
            name: "Dana".into(),
            channel: Channel::Teams,
        };
        let json = serde_json::to_value(DecisionOutput::from_recorded("a-1", &shared)).unwrap();
        assert_eq!(
            json["decidedBy"],
            serde_json::json!({"id": "link", "name": "Dana", "channel": "teams", "verified": false})
        );
        let back: DecisionOutput = serde_json::from_value(json).unwrap();
        assert_eq!(back.decided_by, shared.decided_by);
    }

    #[test]
    fn a_follow_up_answer_is_in_the_output_typed() {
        use crate::follow_up::{Answer, FollowUpAnswer};
        let mut recorded = RecordedDecision {
            decision: Decision::Reject,
            decided_by: DecidedBy {
                id: "U1".into(),
                name: "alice".into(),
                channel: Channel::Slack,
            },
            decided_at: 1_800_000_000,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: Some(FollowUpAnswer {
                question: "How many replicas?".into(),
                answer: Some(Answer::Number(3.into())),
            }),
            submission_id: None,
        };
        let json = serde_json::to_value(DecisionOutput::from_recorded("a-1", &recorded)).unwrap();
        assert_eq!(
            json["followUp"],
            serde_json::json!({"question": "How many replicas?", "answer": 3})
        );
        recorded.follow_up.as_mut().unwrap().answer = None;
        let json = serde_json::to_value(DecisionOutput::from_recorded("a-1", &recorded)).unwrap();
        assert_eq!(json["followUp"]["answer"], serde_json::Value::Null);
    }

    #[test]
    fn a_late_decision_keeps_only_a_small_audit() {
        use crate::follow_up::{Answer, FollowUpAnswer};
        let typed = "\u{6c7a}".repeat(3000);
        let late = RecordedDecision {
            decision: Decision::Custom("v".repeat(2000)),
            decided_by: DecidedBy {
                id: "link".into(),
                name: "n".repeat(500),
                channel: Channel::Email,
            },
            decided_at: 7,
            comment: Some(typed.clone()),
            source_ip: Some("10.0.0.1".into()),
            user_agent: Some("ua".repeat(150)),
            slack_user: Some(SlackUser {
                id: "U1".into(),
                username: "u".into(),
                team_id: None,
            }),
            teams_user: None,
            action: None,
            follow_up: Some(FollowUpAnswer {
                question: "Why?".into(),
                answer: Some(Answer::Text(typed)),
            }),
            submission_id: Some("s".into()),
        };
        let kept = late.late_audit();
        assert_eq!(kept.decided_at, 7);
        assert_eq!(kept.decided_by.channel, Channel::Email);
        assert_eq!(kept.decided_by.name.chars().count(), 100);
        assert_eq!(kept.decision.as_str().len(), 100);
        assert_eq!(kept.source_ip.as_deref(), Some("10.0.0.1"));
        let dropped = (
            kept.comment,
            kept.user_agent,
            kept.follow_up,
            kept.slack_user,
            kept.submission_id,
        );
        assert_eq!(dropped, (None, None, None, None, None));
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
