//! A Slack interaction as it arrives: the `block_actions` payload of a click, or the
//! `view_submission` of a follow-up question's modal, read into the
//! [`approvals::use_cases::slack_click::Interaction`] the click's use cases take; the modal
//! itself; and what a refused clicker is told.

use approvals::use_cases::slack_click::Interaction;

pub mod modal;
mod payload;
mod refusal;
mod selection;
pub use modal::answer_errors;
pub use payload::*;
pub(crate) use refusal::refusal_text;
pub use selection::{OptionObject, PayloadAction, ANSWERING_TYPES};

/// What a payload stands for: a click, a submitted question, or nothing we handle.
pub fn interaction(payload: BlockActions, now: i64) -> Interaction {
    if payload.kind == "view_submission" {
        return match modal::parse_submission(payload, now) {
            Some(submission) => Interaction::Submission(submission),
            None => Interaction::Ignored,
        };
    }
    match payload::parse_click(payload, now) {
        Some(click) => Interaction::Click(click),
        None => Interaction::Ignored,
    }
}
