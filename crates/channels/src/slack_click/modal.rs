//! The follow-up question as a Slack modal: the view `views.open` gets after a click whose
//! choice asks a question, and the `view_submission` Slack sends back when the person submits
//! it. The modal's `private_metadata` names the request, the message and the clicked button;
//! the submission is signed by Slack like a click, and checked again like one.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::payload::{recorded, teams_of, BlockActions, Click};
use crate::slack::{mrkdwn_escape, plain};
use approvals::use_cases::slack_click::Submission;
use approvals::{AnswerKind, ApprovalRecord, ChosenAction, FollowUp, MessageRef};

/// The modal's `callback_id`: a submission of any other view is not ours.
pub const CALLBACK_ID: &str = "hitl_follow_up";
/// The `block_id` of the answer's input block (where Slack shows a refusal).
pub const ANSWER_BLOCK_ID: &str = "hitl_answer";
pub const ANSWER_ACTION_ID: &str = "answer";
/// Slack's limit on a `plain_text_input`.
const MAX_TEXT_INPUT: usize = 3000;

/// What the modal carries back: the request, the message that asked, and the button clicked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Metadata {
    #[serde(rename = "a")]
    approval_id: String,
    #[serde(rename = "c")]
    channel: String,
    #[serde(rename = "t")]
    ts: String,
    #[serde(rename = "i")]
    action_id: String,
    #[serde(rename = "v")]
    value: String,
}

/// The input element for the answer's kind: Slack checks an email or number as it is typed
/// (we check again on submission).
fn answer_element(kind: AnswerKind) -> Value {
    match kind {
        AnswerKind::Text => json!({
            "type": "plain_text_input", "action_id": ANSWER_ACTION_ID,
            "multiline": true, "max_length": MAX_TEXT_INPUT,
        }),
        AnswerKind::Email => json!({"type": "email_text_input", "action_id": ANSWER_ACTION_ID}),
        AnswerKind::Number => json!({
            "type": "number_input", "action_id": ANSWER_ACTION_ID, "is_decimal_allowed": true,
        }),
    }
}

/// The modal that asks `question` after `click` on `record`'s message.
pub fn follow_up_view(record: &ApprovalRecord, question: &FollowUp, click: &Click) -> Value {
    let action = click.decision.action.clone().unwrap_or_default();
    let value = click.decision.decision.as_str().to_string();
    let metadata = Metadata {
        approval_id: click.approval_id.clone(),
        channel: click.message.channel.clone(),
        ts: click.message.ts.clone(),
        action_id: action.action_id,
        value: value.clone(),
    };
    let context = format!(
        "*{}*\nYou chose \u{201c}{}\u{201d}. Nothing is decided until you submit; Cancel leaves the request open.",
        mrkdwn_escape(&record.title),
        mrkdwn_escape(&value)
    );
    json!({
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": serde_json::to_string(&metadata).unwrap_or_default(),
        "title": plain("One more question"),
        "submit": plain("Submit"),
        "close": plain("Cancel"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": context}},
            {
                "type": "input", "block_id": ANSWER_BLOCK_ID,
                "label": plain(&question.question),
                "optional": !question.required,
                "element": answer_element(question.kind),
            },
        ],
    })
}

/// Our answer to a submission whose answer was refused: Slack shows `reason` under the field
/// and keeps the modal open.
pub fn answer_errors(reason: &str) -> Value {
    json!({"response_action": "errors", "errors": {ANSWER_BLOCK_ID: reason}})
}

/// The submission a payload stands for; `None` for any other payload or view.
pub(crate) fn parse_submission(payload: BlockActions, now: i64) -> Option<Submission> {
    if payload.kind != "view_submission" {
        return None;
    }
    let view = payload.view.as_ref()?;
    if view.callback_id != CALLBACK_ID {
        return None;
    }
    let metadata: Metadata = serde_json::from_str(&view.private_metadata).ok()?;
    let answer = view.state["values"][ANSWER_BLOCK_ID][ANSWER_ACTION_ID]["value"]
        .as_str()
        .map(str::to_string);
    let action = ChosenAction {
        action_id: metadata.action_id,
        kind: "button".into(),
        selected: vec![metadata.value],
    };
    Some(Submission {
        click: Click {
            approval_id: metadata.approval_id,
            message: MessageRef {
                channel: metadata.channel,
                ts: metadata.ts,
            },
            user_id: payload.user.id.clone(),
            teams: teams_of(&payload),
            decision: recorded(&payload.user, action, now),
            blocks: Vec::new(),
            trigger_id: None,
        },
        answer,
    })
}

#[cfg(test)]
#[path = "modal_tests.rs"]
mod tests;
