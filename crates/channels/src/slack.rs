//! Slack: approval requests with buttons, plain messages a workflow can wait on, and the
//! interactivity endpoint that turns a signed `block_actions` click into a decision.
//!
//! What is ours: the input contracts and their checks ([`input`], [`checks`]), which hand the
//! use cases in [`approvals::use_cases::slack`] a checked request with its message rendered;
//! the Block Kit we post ([`blocks`], and [`BlockKit`], what the use cases need rendered); the
//! v0 request signature check ([`signature`]). The click is [`crate::slack_click`]. Talking to
//! Slack is the [`approvals::ports::SlackMessenger`] port.

use serde_json::Value;

use approvals::approval::rfc3339;
pub use approvals::input::keyed_approval_id;
use approvals::input::{
    capitalized, check_length, check_one_line, non_blank, one_line, task_token,
};
use approvals::ports::SlackFormat;
use approvals::ports::{Persona, SlackMessage, Unfurl};
use approvals::quorum::{Tally, Vote};
pub use approvals::use_cases::slack::{
    message_approval_id, RequestActionOutput, SentMessage, SweepReport, SWEEP_BATCH,
};
use approvals::use_cases::slack_click::{Click, ClickRefusal};
use approvals::{ApprovalRecord, Decision, FollowUp, HitlError, MessageRef, RecordedDecision};

mod address;
mod blocks;
mod checks;
mod companion;
mod input;
pub mod reminder;
mod signature;
pub(crate) use address::destination;
pub use address::MAX_USERNAME_CHARS;
/// The button rules every channel shares ([`approvals::buttons`]); Slack's label limit
/// (plain_text in a button element) is the shared one.
pub use approvals::buttons::{MAX_BUTTONS, MAX_BUTTON_LABEL_CHARS};
pub use blocks::*;
pub use input::*;
pub use signature::{sign, verify_signature, SignatureError, SIGNATURE_MAX_AGE_SECONDS};
/// Slack's limit for a button's `value`.
pub const MAX_BUTTON_VALUE_CHARS: usize = approvals::buttons::MAX_CHAT_VALUE_CHARS;
pub const MAX_HEADER_CHARS: usize = 150;
/// A section's text is limited to 3000 characters.
pub const MAX_TEXT_CHARS: usize = 3000;
pub const MAX_BLOCKS: usize = 50;
pub const DEFAULT_EXPIRES_IN_SECONDS: i64 = 24 * 60 * 60;
/// `block_id` prefix of the buttons of a Request Action message: `hitl:{approvalId}`.
pub(crate) const BLOCK_ID_PREFIX: &str = "hitl:";

/// `threadTs`, when given, must be a message timestamp.
fn thread_ts(thread_ts: Option<String>) -> Result<Option<String>, HitlError> {
    let thread_ts = non_blank(thread_ts);
    match &thread_ts {
        Some(ts) if !is_ts(ts) => Err(HitlError::invalid_input(format!(
            "threadTs must be a Slack message timestamp, not {ts:?}"
        ))),
        _ => Ok(thread_ts),
    }
}

fn message_content(
    text: Option<String>,
    blocks: Option<Vec<Value>>,
) -> Result<SlackMessage, HitlError> {
    let text = non_blank(text);
    if let Some(t) = &text {
        check_length("text", t, 40_000)?;
    }
    if let Some(blocks) = &blocks {
        if blocks.is_empty() || blocks.len() > MAX_BLOCKS {
            return Err(HitlError::invalid_input(format!(
                "blocks must hold 1 to {MAX_BLOCKS} blocks"
            )));
        }
        if let Some(i) = blocks.iter().position(|b| !b["type"].is_string()) {
            return Err(HitlError::invalid_input(format!(
                "blocks[{i}] is not a Block Kit block (it has no \"type\")"
            )));
        }
    }
    match (text, blocks) {
        (None, None) => Err(HitlError::invalid_input("text or blocks is required")),
        (text, blocks) => Ok(SlackMessage {
            // Slack shows `text` in notifications; blocks alone would notify with nothing.
            text: text.unwrap_or_else(|| "New message".into()),
            blocks,
            ..SlackMessage::default()
        }),
    }
}

/// The id and token a Wait For User Action hands to the generic wait.
pub fn wait_target(
    input: WaitForUserActionInput,
) -> Result<approvals::use_cases::WaitInput, HitlError> {
    if input.action_ids.is_some() {
        return Err(HitlError::invalid_input(
            "actionIds goes to Slack Send Message, which registers the message: a click can come before the wait, so which actions count is fixed when it is sent",
        ));
    }
    let target = message_ref(input.channel, input.ts, input.message)?;
    Ok(approvals::use_cases::WaitInput {
        approval_id: Some(message_approval_id(&target)),
        task_token: Some(task_token(input.task_token)?.into_string()),
        execution_arn: None,
    })
}

/// The message of a request that expired unanswered: its blocks without buttons, and when.
pub(crate) fn expired_update(title: &str, expires_at: i64, blocks: &[Value]) -> SlackMessage {
    let line = format!(
        ":hourglass: *Expired* at {} without an answer",
        rfc3339(expires_at)
    );
    SlackMessage {
        text: format!("{title}: expired"),
        blocks: Some(outcome_blocks(blocks, &line)),
        ..SlackMessage::default()
    }
}

/// The Block Kit the Slack use cases need rendered ([`SlackFormat`]).
pub struct BlockKit;

impl SlackFormat for BlockKit {
    fn outcome_message(
        &self,
        title: &str,
        shown: &[Value],
        line: &str,
        votes: &[Vote],
    ) -> SlackMessage {
        SlackMessage {
            text: format!("{title}: {line}"),
            blocks: Some(votes_outcome_blocks(shown, line, votes)),
            ..SlackMessage::default()
        }
    }

    fn progress_message(&self, title: &str, shown: &[Value], line: &str) -> SlackMessage {
        SlackMessage {
            text: format!("{title}: {line}"),
            blocks: Some(progress_blocks(shown, line)),
            ..SlackMessage::default()
        }
    }

    fn progress_line(&self, tally: &Tally) -> String {
        progress_line(tally)
    }

    fn settled_line(&self, outcome: &Decision, tally: &Tally) -> String {
        settled_line(outcome, tally)
    }

    fn counted_note(&self, vote: &RecordedDecision, tally: &Tally) -> String {
        counted_note(vote, tally)
    }

    fn expired_message(&self, title: &str, expires_at: i64, shown: &[Value]) -> SlackMessage {
        expired_update(title, expires_at, shown)
    }

    fn decided_line(&self, decision: &RecordedDecision) -> String {
        decided_line(decision)
    }

    fn too_late_line(&self) -> String {
        TOO_LATE_TASK.into()
    }

    fn not_delivered_line(&self) -> String {
        NOT_DELIVERED.into()
    }

    fn refusal(&self, refusal: &ClickRefusal) -> String {
        crate::slack_click::refusal_text(refusal)
    }

    fn follow_up_view(&self, record: &ApprovalRecord, question: &FollowUp, click: &Click) -> Value {
        crate::slack_click::modal::follow_up_view(record, question, click)
    }
}

const NOT_DELIVERED: &str =
    ":warning: *Not delivered*: the workflow refused this decision; nothing was changed. Its operators have the reason";
const TOO_LATE_TASK: &str =
    ":hourglass: *Too late*: the workflow had already stopped waiting; nothing was changed";
