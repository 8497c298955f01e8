//! Why a click changed nothing: a stable name for logs (the sentence the clicker is shown is
//! rendered by [`crate::ports::SlackFormat::refusal`]).

use crate::{Channel, Decision};

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
    /// A request with a quorum: the clicker voted already (on any channel); that vote stands.
    AlreadyVoted {
        decision: Decision,
        at: i64,
        channel: Channel,
    },
    /// A request with a quorum: the clicker asked for it (`requestedBy`), so does not vote.
    Requester,
    /// A request with a quorum: the clicker's slot was filled by an escalation target's vote
    /// (`by`, as shown), so their vote is no longer needed.
    SlotFilled { by: String },
    /// A request with a quorum: the clicker may fill only slots nobody filled (an escalation
    /// target), and none is left.
    NoSlotLeft,
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
            ClickRefusal::AlreadyVoted { .. } => "Hitl.AlreadyVoted",
            ClickRefusal::Requester => "Hitl.RequesterMayNotVote",
            ClickRefusal::SlotFilled { .. } | ClickRefusal::NoSlotLeft => "Hitl.NoSlot",
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
