//! The team-decision fields of a request's input (`quorum`, `requestedBy`, `reminders`), as
//! Create Approval Links, Slack Request Action and Teams Request Action take them, and their
//! checks once the approvers are known.

use serde::Deserialize;

use super::{Quorum, Reminders};
use crate::HitlError;

/// The shortest time between reminders, for drills and tests (real requests use hours or a
/// day). Reminders go out on the reminder function's passes (every minute on AWS), so on AWS
/// anything under a minute is a minute.
pub const MIN_REMINDER_SECONDS: i64 = 5;
/// The most reminders before escalating.
pub const MAX_ESCALATE_AFTER: u32 = 20;
/// The most escalation targets.
pub const MAX_ESCALATE_TO: usize = 10;

/// `quorum`: how many of the named approvers must approve (`approvals`), and how many rejects
/// reject (`rejections`, default 1: one reject vetoes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuorumInput {
    /// A number of approvers, `"all"`, or `"first"` (the first answer decides: the default).
    pub approvals: ApprovalsRequired,
    /// Rejects that reject the request (default 1: a veto). It is rejected as soon as
    /// `approvals` can no longer be reached, too.
    #[schemars(range(min = 1))]
    pub rejections: Option<u32>,
}

/// `quorum.approvals`: a count, or a word.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ApprovalsRequired {
    Count(#[schemars(range(min = 1))] u32),
    Word(ApprovalsWord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalsWord {
    All,
    First,
}

/// `reminders`: remind the approvers who have not voted every `everySeconds`; after
/// `escalateAfter` reminders, `escalateTo` may fill the unfilled slots.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemindersInput {
    #[schemars(range(min = MIN_REMINDER_SECONDS))]
    pub every_seconds: i64,
    #[schemars(range(min = 1, max = MAX_ESCALATE_AFTER))]
    pub escalate_after: Option<u32>,
    /// Same kind of identity as the approvers (addresses; Slack user ids on Slack).
    #[schemars(length(max = MAX_ESCALATE_TO))]
    pub escalate_to: Option<Vec<String>>,
}

/// The checked team-decision rules of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamRules {
    /// `None`: the first answer decides.
    pub quorum: Option<Quorum>,
    /// Lower-cased; may not vote.
    pub requested_by: Option<String>,
    pub reminders: Option<Reminders>,
}

impl TeamRules {
    /// Checks the fields against the request's slots (`slot_count`: its approvers who may vote,
    /// the requester left out) and whether it has buttons of its own.
    pub fn check(
        quorum: Option<QuorumInput>,
        requested_by: Option<String>,
        reminders: Option<RemindersInput>,
        slot_count: usize,
        custom_choices: bool,
    ) -> Result<TeamRules, HitlError> {
        let requested_by = requested_by
            .map(|r| r.trim().to_ascii_lowercase())
            .filter(|r| !r.is_empty());
        let quorum = match quorum {
            None => None,
            Some(q) => {
                let approvals = match q.approvals {
                    ApprovalsRequired::Word(ApprovalsWord::First) => None,
                    ApprovalsRequired::Word(ApprovalsWord::All) => Some(slot_count as u32),
                    ApprovalsRequired::Count(n) => Some(n),
                };
                match approvals {
                    None if q.rejections.is_some() => {
                        return Err(HitlError::invalid_input(
                            "quorum.rejections needs quorum.approvals as a number or \"all\" (with \"first\" the first answer decides)",
                        ))
                    }
                    None => None,
                    Some(approvals) => {
                        let quorum = Quorum {
                            approvals,
                            rejections: q.rejections.unwrap_or(1),
                        };
                        super::check(&quorum, slot_count, custom_choices)?;
                        Some(quorum)
                    }
                }
            }
        };
        let reminders = reminders.map(check_reminders).transpose()?;
        Ok(TeamRules {
            quorum,
            requested_by,
            reminders,
        })
    }
}

fn check_reminders(input: RemindersInput) -> Result<Reminders, HitlError> {
    if input.every_seconds < MIN_REMINDER_SECONDS {
        return Err(HitlError::invalid_input(format!(
            "reminders.everySeconds must be at least {MIN_REMINDER_SECONDS}, got {}",
            input.every_seconds
        )));
    }
    let escalate_to: Vec<String> = input
        .escalate_to
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if escalate_to.len() > MAX_ESCALATE_TO {
        return Err(HitlError::invalid_input(format!(
            "reminders.escalateTo has at most {MAX_ESCALATE_TO} people"
        )));
    }
    match (input.escalate_after, escalate_to.is_empty()) {
        (Some(_), true) => Err(HitlError::invalid_input(
            "reminders.escalateAfter needs reminders.escalateTo: who fills the unfilled slots",
        )),
        (None, false) => Err(HitlError::invalid_input(
            "reminders.escalateTo needs reminders.escalateAfter: after how many reminders",
        )),
        (Some(n), false) if n == 0 || n > MAX_ESCALATE_AFTER => Err(HitlError::invalid_input(
            format!("reminders.escalateAfter must be between 1 and {MAX_ESCALATE_AFTER}, got {n}"),
        )),
        (escalate_after, _) => Ok(Reminders {
            every_seconds: input.every_seconds,
            escalate_after,
            escalate_to,
        }),
    }
}
