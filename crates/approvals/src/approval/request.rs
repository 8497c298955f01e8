//! The Create Approval Links input and its checks: what a request may say, checked once, into
//! the [`ValidatedRequest`] a record is made from.

use serde::Deserialize;

use super::{
    team, DEFAULT_EXPIRES_IN_SECONDS, MAX_APPROVERS, MAX_DESCRIPTION_CHARS, MAX_EXPIRES_IN_SECONDS,
    MAX_TITLE_CHARS, MIN_EXPIRES_IN_SECONDS,
};
use crate::follow_up::{FollowUp, FollowUpInput};
use crate::{ApproverAddress, HitlError};

/// Input of Create Approval Links. An unknown field is refused (`input::strict`): a misspelled
/// `approvers` must never turn personal links into shared ones.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateLinksInput {
    /// What is being approved: one line (an email's subject, a chat message's heading).
    #[schemars(required, length(min = 1, max = MAX_TITLE_CHARS), pattern(crate::schema::ONE_LINE_PATTERN))]
    pub title: Option<String>,
    #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Option<String>,
    /// How long the links work (default 24 hours); tie it to the Task's `TimeoutSeconds`.
    #[schemars(range(min = MIN_EXPIRES_IN_SECONDS, max = MAX_EXPIRES_IN_SECONDS))]
    pub expires_in_seconds: Option<i64>,
    /// Email addresses allowed to decide, each sent personal links; absent or empty: whoever
    /// holds the shared links.
    #[schemars(length(max = MAX_APPROVERS), inner(pattern(crate::schema::EMAIL_PATTERN), length(max = crate::schema::MAX_EMAIL_CHARS)))]
    pub approvers: Option<Vec<String>>,
    /// A question asked on the confirmation page after approve or reject (`null`: none).
    pub follow_up: Option<FollowUpInput>,
    /// `"executionArn.$": "$$.Execution.Id"` (optional): kept on the record, so the later log
    /// lines and metrics about this approval can name its execution.
    #[schemars(length(max = crate::input::MAX_EXECUTION_ARN_CHARS), pattern(crate::schema::EXECUTION_ARN_PATTERN))]
    pub execution_arn: Option<String>,
    /// Our state machines' first Task (optional): `{"contract": "EmailApproval", "input.$":
    /// "$$.Execution.Input"}`, so a field the execution input does not know is refused by name
    /// before anything is created (see `input::execution`).
    pub execution_input: Option<crate::input::ExecutionInput>,
    /// How many of `approvers` must agree: `{"approvals": 2 | "all" | "first", "rejections":
    /// 1}` (absent, or `"first"`: the first answer decides). Needs named approvers.
    pub quorum: Option<crate::quorum::QuorumInput>,
    /// Who asked (an email address): their vote never counts, even when `approvers` names
    /// them.
    #[schemars(length(max = crate::schema::MAX_EMAIL_CHARS), pattern(crate::schema::EMAIL_PATTERN))]
    pub requested_by: Option<String>,
    /// Remind the approvers who have not answered every `everySeconds`, and after
    /// `escalateAfter` reminders let `escalateTo` (email addresses) fill the unfilled slots.
    pub reminders: Option<crate::quorum::RemindersInput>,
}

/// The choices of a link: what `followUp.after` may name.
pub const LINK_CHOICES: [&str; 2] = ["approve", "reject"];

/// A validated request, ready to become a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedRequest {
    pub title: String,
    pub description: Option<String>,
    pub expires_in_seconds: i64,
    /// Checked and normalized once here; the record keeps them as strings, the field it
    /// shares with a Slack request's approvers (Slack user ids).
    pub approvers: Vec<ApproverAddress>,
    pub follow_up: Option<FollowUp>,
    pub execution_arn: Option<String>,
    /// Quorum, requester and reminders, checked against `approvers` (default: none).
    pub team: crate::quorum::TeamRules,
}

impl CreateLinksInput {
    /// Checks a request whose links are approve and reject.
    pub fn validate(self) -> Result<ValidatedRequest, HitlError> {
        self.validate_with_choices(&LINK_CHOICES)
    }

    /// Checks a request whose links are `choices` (the values of its own buttons): what
    /// `followUp.after` may name.
    pub fn validate_with_choices(self, choices: &[&str]) -> Result<ValidatedRequest, HitlError> {
        // First: with a typo in the execution input, what follows would be read without it.
        crate::input::check_execution_input(self.execution_input.as_ref())?;
        let title = self
            .title
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                HitlError::invalid_input("title is required: say what is being approved")
            })?;
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(HitlError::invalid_input(format!(
                "title is longer than {MAX_TITLE_CHARS} characters"
            )));
        }
        // Titles become email subjects and Slack and Teams headings: one line, no controls.
        crate::input::check_one_line("title", &title)?;
        let description = self
            .description
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(HitlError::invalid_input(format!(
                "description is longer than {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        let expires_in_seconds = self
            .expires_in_seconds
            .unwrap_or(DEFAULT_EXPIRES_IN_SECONDS);
        if !(MIN_EXPIRES_IN_SECONDS..=MAX_EXPIRES_IN_SECONDS).contains(&expires_in_seconds) {
            return Err(HitlError::invalid_input(format!(
                "expiresInSeconds must be between {MIN_EXPIRES_IN_SECONDS} and {MAX_EXPIRES_IN_SECONDS}, got {expires_in_seconds}"
            )));
        }
        let mut approvers = Vec::new();
        for raw in self.approvers.unwrap_or_default() {
            let email = ApproverAddress::parse(&raw)?;
            if !approvers.contains(&email) {
                approvers.push(email);
            }
        }
        if approvers.len() > MAX_APPROVERS {
            return Err(HitlError::invalid_input(format!(
                "at most {MAX_APPROVERS} approvers are supported"
            )));
        }
        let follow_up = self.follow_up.map(|f| f.validate(choices)).transpose()?;
        let team = team::TeamFields {
            quorum: self.quorum,
            requested_by: self.requested_by,
            reminders: self.reminders,
        }
        .normalized(&team::email_identity)?;
        let named: Vec<String> = approvers.iter().map(|a| a.to_string()).collect();
        let slots = team::slot_count(&named, team.requested_by.as_deref());
        let team = team.rules(
            slots,
            "approvers",
            team::own_choices(choices.iter().copied()),
        )?;
        Ok(ValidatedRequest {
            title,
            description,
            expires_in_seconds,
            approvers,
            follow_up,
            execution_arn: crate::input::execution_arn(self.execution_arn)?,
            team,
        })
    }
}
