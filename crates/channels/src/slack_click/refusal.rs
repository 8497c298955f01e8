//! Why a click changed nothing: a stable name for logs and a sentence for the clicker (shown
//! in Slack mrkdwn, so whatever came with the click is escaped).

use crate::slack::mrkdwn_escape;

/// A click refused before anything was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickRefusal {
    /// The click names another workspace than the configured one (`SLACK_TEAM_ID`), for
    /// example from a Slack Connect channel shared with another organisation, or none at all;
    /// with none configured, the clicker's workspace is not the one the click came through.
    OtherWorkspace { teams: Vec<String> },
    /// No such request (never made, or removed after its retention).
    Gone,
    /// The request was asked by email or in Teams: a button naming it decides nothing.
    NotASlackRequest,
    /// The button is not on the message that asked for the request (its id was copied into
    /// another message, such as one posted with Send Message).
    NotTheRequestMessage,
    /// The request has an allow-list and the clicker is not on it.
    NotAnApprover { approvers: Vec<String> },
}

impl ClickRefusal {
    /// The error name, stable across releases (for logs and alarms).
    pub fn name(&self) -> &'static str {
        match self {
            ClickRefusal::OtherWorkspace { .. } => "Hitl.OtherSlackWorkspace",
            ClickRefusal::Gone => "Hitl.NotFound",
            ClickRefusal::NotASlackRequest => "Hitl.NotASlackRequest",
            ClickRefusal::NotTheRequestMessage => "Hitl.NotTheRequestMessage",
            ClickRefusal::NotAnApprover { .. } => "Hitl.NotAnApprover",
        }
    }

    /// A sign of a click nobody should be able to make with the app's own messages: logged
    /// as a warning.
    pub fn is_suspicious(&self) -> bool {
        matches!(
            self,
            ClickRefusal::OtherWorkspace { .. }
                | ClickRefusal::NotASlackRequest
                | ClickRefusal::NotTheRequestMessage
        )
    }
}

impl std::fmt::Display for ClickRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClickRefusal::OtherWorkspace { teams } if teams.is_empty() => f.write_str(
                "This app only takes answers from its own Slack workspace, and your click named none; it changed nothing.",
            ),
            ClickRefusal::OtherWorkspace { teams } => write!(
                f,
                "This app only takes answers from its own Slack workspace; your click came from {} and changed nothing.",
                mrkdwn_escape(&teams.join(", "))
            ),
            ClickRefusal::Gone => {
                f.write_str("This message is not waiting for an answer any more.")
            }
            ClickRefusal::NotASlackRequest => f.write_str(
                "This button does not belong to a Slack request: the request it names was asked by email or in Teams, so answer it there. Your click changed nothing.",
            ),
            ClickRefusal::NotTheRequestMessage => f.write_str(
                "This button is not on the message that asked for this request; only that message's buttons answer it. Your click changed nothing.",
            ),
            ClickRefusal::NotAnApprover { approvers } => {
                let who: Vec<String> = approvers
                    .iter()
                    .map(|a| format!("<@{}>", mrkdwn_escape(a)))
                    .collect();
                write!(
                    f,
                    "Only {} can answer this request; your click changed nothing.",
                    who.join(", ")
                )
            }
        }
    }
}
