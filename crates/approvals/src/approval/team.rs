//! The team-decision fields of a request (`quorum`, `requestedBy`, `reminders`) as the asking
//! functions take them (Create Approval Links, Slack and Teams Request Action): the people they
//! name checked the way each channel names people, then checked against the request's approvers
//! ([`TeamRules::check`]) and set on its record.

use crate::quorum::{
    ApprovalsRequired, ApprovalsWord, QuorumInput, RemindersInput, TeamRules, MAX_ESCALATE_TO,
};
use crate::{ApprovalRecord, HitlError};

/// How a channel names people: `(field, raw)` -> the person normalized, or `Hitl.InvalidInput`
/// naming `field` (an email address on links, a Slack user id on Slack...).
pub type Identity<'a> = &'a dyn Fn(&str, &str) -> Result<String, HitlError>;

/// The three fields as a request gave them; empty: the first answer decides, nobody is
/// reminded (today's behaviour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamFields {
    pub quorum: Option<QuorumInput>,
    pub requested_by: Option<String>,
    pub reminders: Option<RemindersInput>,
}

impl TeamFields {
    /// `requestedBy` and `reminders.escalateTo` as `identity` names people (normalized;
    /// escalation targets without duplicates). Blank `requestedBy` is left out.
    pub fn normalized(mut self, identity: Identity<'_>) -> Result<TeamFields, HitlError> {
        self.requested_by = self
            .requested_by
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .map(|r| identity("requestedBy", &r))
            .transpose()?;
        if let Some(reminders) = &mut self.reminders {
            if let Some(targets) = reminders.escalate_to.take() {
                // Counted as given, as the schema's `maxItems` counts them.
                if targets.len() > MAX_ESCALATE_TO {
                    return Err(HitlError::invalid_input(format!(
                        "reminders.escalateTo has at most {MAX_ESCALATE_TO} people, got {}",
                        targets.len()
                    )));
                }
                let mut unique: Vec<String> = Vec::new();
                for (i, target) in targets.iter().enumerate() {
                    let target = identity(&format!("reminders.escalateTo[{i}]"), target.trim())?;
                    if !unique.contains(&target) {
                        unique.push(target);
                    }
                }
                reminders.escalate_to = Some(unique);
            }
        }
        Ok(self)
    }

    /// The rules, checked against the request: `slot_count` approvers may vote (the requester
    /// left out), named in the input's `approvers_field`; `own_choices`: its buttons are its own
    /// (a quorum counts approve and reject only).
    pub fn rules(
        self,
        slot_count: usize,
        approvers_field: &str,
        own_choices: bool,
    ) -> Result<TeamRules, HitlError> {
        // Said here with the channel's own field name (Slack names its approvers allowedUsers).
        if slot_count == 0 && self.quorum.as_ref().is_some_and(counts_votes) {
            return Err(HitlError::invalid_input(format!(
                "quorum counts the votes of named approvers: name them in {approvers_field} (the requester, requestedBy, has no vote)"
            )));
        }
        if slot_count == 0 && self.reminders.is_some() {
            return Err(HitlError::invalid_input(format!(
                "reminders remind the named approvers who have not answered: name them in {approvers_field} (the requester, requestedBy, is not reminded)"
            )));
        }
        TeamRules::check(
            self.quorum,
            self.requested_by,
            self.reminders,
            slot_count,
            own_choices,
        )
    }
}

/// A quorum other than `"first"` (which is the first answer, as without one).
fn counts_votes(quorum: &QuorumInput) -> bool {
    quorum.approvals != ApprovalsRequired::Word(ApprovalsWord::First)
}

/// How many of `approvers` may vote: all but the requester (compared case-insensitively).
pub fn slot_count(approvers: &[String], requested_by: Option<&str>) -> usize {
    approvers
        .iter()
        .filter(|a| !requested_by.is_some_and(|r| r.eq_ignore_ascii_case(a)))
        .count()
}

/// Whether a request's choices (its buttons' values) go beyond approve and reject: a quorum
/// is then refused. Approve and reject buttons with labels of their own still count.
pub fn own_choices<'a>(values: impl IntoIterator<Item = &'a str>) -> bool {
    values
        .into_iter()
        .any(|v| !crate::approval::LINK_CHOICES.contains(&v))
}

/// An email address, as links and Teams webhook requests name people.
pub fn email_identity(field: &str, raw: &str) -> Result<String, HitlError> {
    crate::approval::normalize_email(raw).map_err(|_| {
        HitlError::invalid_input(format!("{field} must be an email address, not {raw:?}"))
    })
}

impl ApprovalRecord {
    /// Sets a request's checked team rules on its record, and when it has reminders, the
    /// first one's time (`createdAt + everySeconds`: the record enters the reminder index).
    pub fn set_team_rules(&mut self, rules: TeamRules) {
        self.reminder_state.next_at = rules
            .reminders
            .as_ref()
            .map(|r| self.created_at + r.every_seconds);
        self.quorum = rules.quorum;
        self.requested_by = rules.requested_by;
        self.reminders = rules.reminders;
    }
}
