//! Why a click changed nothing, as the clicker is told (in Slack mrkdwn, so whatever came with
//! the click is escaped).

use approvals::use_cases::slack_click::ClickRefusal;

use approvals::approval::rfc3339;
use approvals::Channel;

use crate::slack::{mrkdwn_escape, mrkdwn_inert};

/// The sentence for the clicker ([`approvals::ports::SlackFormat::refusal`]).
pub(crate) fn refusal_text(refusal: &ClickRefusal) -> String {
    Refusal(refusal).to_string()
}

struct Refusal<'a>(&'a ClickRefusal);

impl std::fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
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
                // Slack ids as mentions; an address (a request made by Create Approval Links,
                // its approver not in Slack) as inert text.
                let who: Vec<String> = approvers
                    .iter()
                    .map(|a| crate::slack::slot_label(a))
                    .collect();
                write!(
                    f,
                    "Only {} can answer this request; your click changed nothing.",
                    who.join(", ")
                )
            }
            ClickRefusal::AlreadyVoted {
                decision,
                at,
                channel,
            } => {
                let where_ = match channel {
                    Channel::Email => "by email",
                    Channel::Slack => "in Slack",
                    Channel::Teams => "in Teams",
                };
                write!(
                    f,
                    "You voted already: {} {where_} at {}; a second vote changes nothing.",
                    mrkdwn_escape(&decision.past_tense()),
                    rfc3339(*at)
                )
            }
            ClickRefusal::Requester => f.write_str(
                "You asked for this request, so you do not vote on it; your click changed nothing.",
            ),
            ClickRefusal::SlotFilled { by } => write!(
                f,
                "Your vote is no longer needed: {} voted in your place after the request was escalated. Your click changed nothing.",
                mrkdwn_inert(by)
            ),
            ClickRefusal::NoSlotLeft => f.write_str(
                "Every approver's place has a vote already, so yours is not needed; your click changed nothing.",
            ),
        }
    }
}
