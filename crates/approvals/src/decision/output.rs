//! The output of every approval Task, built from the record: the one shape every channel
//! returns to Step Functions, with the votes and the tally of a request with a quorum.

use serde::{Deserialize, Serialize};

use super::{ChosenAction, DecidedBy, RecordedDecision, SlackUser, TeamsUser};
use crate::follow_up::FollowUpAnswer;
use crate::ApprovalRecord;

/// The output of every `.waitForTaskToken` approval Task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// The clicked button's value (also in `decision`): Slack, and Teams requests with
    /// `buttons`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Slack: who clicked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_user: Option<SlackUser>,
    /// Teams: who clicked a card the bot sent (their Entra identity, verified by the Bot Framework token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teams_user: Option<TeamsUser>,
    /// Slack: the element acted on and what was selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ChosenAction>,
    /// The follow-up question asked after the choice and its answer (a string, a JSON number,
    /// or `null` when an optional question was left empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpOutput>,
    /// A request with a quorum: every vote counted, in the order cast (the one that settled it
    /// is also the top-level decision). Absent when the first answer decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<Vec<VoteOutput>>,
    /// A request with a quorum: the votes counted against what was required, and the
    /// approvers nobody voted for. Absent when the first answer decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tally: Option<crate::quorum::Tally>,
}

/// One vote of a request with a quorum, in the decision output's `votes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoteOutput {
    /// Whose place the vote filled, as named: an approver's address or Slack user id, a Teams
    /// approver's user principal name (an escalation target's vote fills an approver's place:
    /// `decidedBy` says who voted).
    pub approver: String,
    pub decision: String,
    pub decided_by: DecidedBy,
    /// RFC 3339.
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpOutput>,
}

/// `followUp` in the decision output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FollowUpOutput {
    pub question: String,
    #[schemars(schema_with = "crate::schema::follow_up_answer")]
    pub answer: serde_json::Value,
}

impl From<&FollowUpAnswer> for FollowUpOutput {
    fn from(answered: &FollowUpAnswer) -> Self {
        FollowUpOutput {
            question: answered.question.clone(),
            answer: answered
                .answer
                .as_ref()
                .map_or(serde_json::Value::Null, |a| a.to_json()),
        }
    }
}

impl DecisionOutput {
    pub fn from_recorded(approval_id: &str, recorded: &RecordedDecision) -> Self {
        DecisionOutput {
            approval_id: approval_id.to_string(),
            decision: recorded.decision.as_str().to_string(),
            approved: recorded.decision.is_approval(),
            decided_by: recorded.decided_by.clone(),
            decided_at: crate::approval::rfc3339(recorded.decided_at),
            comment: recorded.comment.clone(),
            // A button's value: Slack's, or a link of a request with buttons of its own.
            value: (recorded.slack_user.is_some()
                || recorded.action.as_ref().is_some_and(|a| a.kind == "button"))
            .then(|| recorded.decision.as_str().to_string()),
            slack_user: recorded.slack_user.clone(),
            teams_user: recorded.teams_user.clone(),
            action: recorded.action.clone(),
            follow_up: recorded.follow_up.as_ref().map(FollowUpOutput::from),
            votes: None,
            tally: None,
        }
    }

    /// The output of `record` decided by `decision` (its `decision`): for a request with a
    /// quorum, with its votes and tally; otherwise [`DecisionOutput::from_recorded`]'s.
    pub fn from_record(record: &ApprovalRecord, decision: &RecordedDecision) -> Self {
        let mut output = DecisionOutput::from_recorded(&record.approval_id, decision);
        if record.quorum.is_some() {
            let slots = crate::quorum::slots(record);
            let label = |key: &str| {
                slots
                    .iter()
                    .find(|s| s.key == key)
                    .map_or_else(|| key.to_string(), |s| s.label.clone())
            };
            let votes = record.votes.iter().map(|v| VoteOutput {
                approver: label(&v.slot),
                decision: v.decision.decision.as_str().to_string(),
                decided_by: v.decision.decided_by.clone(),
                decided_at: crate::approval::rfc3339(v.decision.decided_at),
                comment: v.decision.comment.clone(),
                follow_up: v.decision.follow_up.as_ref().map(FollowUpOutput::from),
            });
            output.votes = Some(votes.collect());
            output.tally = crate::quorum::tally_of(record);
        }
        output
    }

    /// `decidedAt` as Unix seconds (`None` if it is not RFC 3339).
    pub fn decided_at_unix(&self) -> Option<i64> {
        use time::format_description::well_known::Rfc3339;
        time::OffsetDateTime::parse(&self.decided_at, &Rfc3339)
            .ok()
            .map(|t| t.unix_timestamp())
    }
}
