//! What a click's use cases take: a Slack interaction as `channels::slack_click` reads it.

use serde_json::Value;

use crate::{MessageRef, RecordedDecision, SlackUserId};

/// A click on a button, or a choice in a select, radio buttons, checkboxes or a picker:
/// which request, on which message, by whom, from which workspace, with what value. Read
/// from Slack's payload by `channels::slack_click`.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    pub approval_id: String,
    /// The message whose button was clicked (the click's container).
    pub message: MessageRef,
    pub user_id: SlackUserId,
    /// Every workspace id the click names (`team.id`, `user.team_id`).
    pub teams: Vec<String>,
    pub decision: RecordedDecision,
    /// The message's blocks as the click carried them (shown again without buttons).
    pub blocks: Vec<Value>,
    /// The click's `trigger_id`, to open a modal with (a follow-up question).
    pub trigger_id: Option<String>,
}

/// A submitted follow-up question: the click it continues (the decision as that click would
/// have made it) and what was typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub click: Click,
    pub answer: Option<String>,
}

/// What a Slack interaction is, as read from its payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Interaction {
    Click(Click),
    Submission(Submission),
    /// Not one we handle (another payload type, an element that does not answer).
    Ignored,
}
