//! The approval record and the Create Approval Links input/output contract.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::buttons::{ButtonLink, ChoiceButton};
use crate::follow_up::FollowUp;
use crate::{ApprovalId, Channel, HitlError, RecordedDecision, TaskToken};

mod companions;
mod delivery_state;
mod request;
pub mod team;
pub use companions::{ChannelIdentities, Companion, MAX_COMPANIONS};
pub use delivery_state::{DeliveryFailure, DeliveryState, Lease, MessageUpdateFailure};
pub use request::{CreateLinksInput, ValidatedRequest, LINK_CHOICES};

pub const DEFAULT_EXPIRES_IN_SECONDS: i64 = 24 * 60 * 60;
/// Short windows are allowed for drills and tests; real requests use hours or days.
pub const MIN_EXPIRES_IN_SECONDS: i64 = 5;
pub const MAX_EXPIRES_IN_SECONDS: i64 = 30 * 24 * 60 * 60;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_APPROVERS: usize = 50;

/// One approval request, as stored. Audit fields stay until the record's TTL removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    pub approval_id: ApprovalId,
    pub title: String,
    pub description: Option<String>,
    /// Lower-cased email addresses allowed to decide. Empty: whoever holds a link.
    pub approvers: Vec<String>,
    /// A Teams bot card's approvers, resolved when the request was made (by email, UPN or object
    /// id) to their Entra identity: a card action counts only from one of these object ids.
    /// Empty: anyone in the conversation the card went to.
    pub teams_approvers: Vec<crate::TeamsUser>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; links stop working after this.
    pub expires_at: i64,
    /// Unix seconds after which DynamoDB TTL deletes the record (audit retention).
    pub delete_after: i64,
    pub task_token: Option<TaskToken>,
    pub decision: Option<RecordedDecision>,
    /// Where the delivery of the decision (or of the expiry) to the waiting Task stands.
    pub delivery: DeliveryState,
    /// Decisions that arrived after the request expired: kept for the audit, never effective.
    pub late_decisions: Vec<RecordedDecision>,
    /// The channel that asked; decisions made on its links are attributed to it.
    pub origin: Channel,
    /// The chat message that asked, updated after the decision.
    pub message: Option<MessageRef>,
    /// What the message showed, in its channel's format (Slack: the blocks' JSON), shown again
    /// without buttons after the outcome.
    pub message_shown: Option<String>,
    /// When the message was brought up to date with the final outcome.
    pub message_updated_at: Option<i64>,
    /// Message updates that failed so far (each retried later, with backoff).
    pub message_update_attempts: u32,
    /// How many votes of an open request with a quorum the relay has brought its Teams bot card
    /// up to (the progress line, buttons kept; or given up showing until the next vote). Only
    /// ever grows, and is not written once the outcome is shown.
    pub message_progress_votes: u32,
    /// Why the message will never be brought up to date (a permanent refusal, or too many
    /// failures): the record settles anyway, and operators find it by this.
    pub message_update_failed: Option<MessageUpdateFailure>,
    /// The ids of the message's elements whose actions count (Slack `action_id`s); empty:
    /// every element's.
    pub action_ids: Vec<String>,
    /// The question asked after a choice, when the request has one.
    pub follow_up: Option<FollowUp>,
    /// The request's own buttons (Teams `buttons`): the only choices its links may carry.
    /// Empty: the usual approve and reject.
    pub buttons: Vec<ChoiceButton>,
    /// The execution that asked, when its workflow passed `executionArn`: logged beside the
    /// approval id by whoever handles the record later (the Decision API, the relay).
    pub execution_arn: Option<String>,
    /// How many slots must agree (`None`: the first answer decides, `decision` alone).
    pub quorum: Option<crate::quorum::Quorum>,
    /// The votes counted so far, in the order they were written (a request with a quorum).
    /// The vote that settled the request is also its `decision`.
    pub votes: Vec<crate::quorum::Vote>,
    /// Who asked (lower-cased): never counted as a vote, whatever list names them.
    pub requested_by: Option<String>,
    /// Reminders of those who have not voted, and escalation (`None`: none are sent).
    pub reminders: Option<crate::quorum::Reminders>,
    pub reminder_state: crate::quorum::ReminderState,
    /// The same request posted to other channels (a request made by Create Approval Links):
    /// each is brought up to date with the outcome like the request's own message.
    pub companions: Vec<Companion>,
    /// The approvers' Slack user ids, index-aligned with `approvers` (`""`: not in Slack),
    /// resolved when the request was posted to Slack as a companion.
    pub slack_approvers: Vec<String>,
    /// The requester's identities on the channels the request was posted to (a Slack user id,
    /// an Entra object id): barred like `requested_by`.
    pub requester_ids: Vec<String>,
}

/// How long one deliverer owns a delivery: a live deliverer needs at most two SDK calls of
/// 1.5 s after its claim (`SendTaskSuccess`, then the write that records it), so it never loses
/// its lease; a dead one's work resumes ten seconds later. A takeover of a slow but live
/// deliverer is harmless: Step Functions completes a token once.
pub const LEASE_SECONDS: i64 = 10;

/// How many late decisions one record keeps (each a small audit,
/// [`crate::RecordedDecision::late_audit`]): a stream of late clicks cannot grow it.
pub const MAX_LATE_DECISIONS: usize = 5;

/// Where a chat message is, in its service's terms: a channel or conversation, and the
/// message's id there (Slack: a channel id and the message's `ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub channel: String,
    pub ts: String,
}

impl ApprovalRecord {
    /// A new, undecided request that nobody waits on yet; kept `retention_days` after expiry.
    pub fn new(
        approval_id: impl Into<ApprovalId>,
        title: String,
        origin: Channel,
        now: i64,
        expires_at: i64,
        retention_days: i64,
    ) -> Self {
        ApprovalRecord {
            approval_id: approval_id.into(),
            title,
            description: None,
            approvers: Vec::new(),
            teams_approvers: Vec::new(),
            created_at: now,
            expires_at,
            delete_after: expires_at + retention_days.max(1) * 24 * 60 * 60,
            task_token: None,
            decision: None,
            delivery: DeliveryState::default(),
            late_decisions: Vec::new(),
            origin,
            message: None,
            message_shown: None,
            message_updated_at: None,
            message_update_attempts: 0,
            message_progress_votes: 0,
            message_update_failed: None,
            action_ids: Vec::new(),
            follow_up: None,
            buttons: Vec::new(),
            execution_arn: None,
            quorum: None,
            votes: Vec::new(),
            requested_by: None,
            reminders: None,
            reminder_state: crate::quorum::ReminderState::default(),
            companions: Vec::new(),
            slack_approvers: Vec::new(),
            requester_ids: Vec::new(),
        }
    }

    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// Nobody has decided yet and the request has not expired.
    pub fn is_open(&self, now: i64) -> bool {
        self.decision.is_none() && !self.is_expired(now)
    }

    /// Who a personal link with `index` belongs to: approver `index`, or past the approvers,
    /// escalation target `index - approvers.len()` once the request escalated (their links are
    /// sent when it does). `None`: no such person (yet).
    pub fn link_approver(&self, index: usize) -> Option<&str> {
        match self.approvers.get(index) {
            Some(approver) => Some(approver),
            None if self.reminder_state.escalated_at.is_some() => self
                .reminders
                .as_ref()?
                .escalate_to
                .get(index - self.approvers.len())
                .map(String::as_str),
            None => None,
        }
    }

    /// The follow-up question asked after the choice `value`, if the request asks one then.
    pub fn question_after(&self, value: &str) -> Option<&FollowUp> {
        self.follow_up.as_ref().filter(|q| q.applies_to(value))
    }

    /// The decision is recorded, a Task waits on it, and it has not reached its end.
    pub fn needs_delivery(&self) -> bool {
        self.decision.is_some() && self.task_token.is_some() && !self.delivery.is_final()
    }

    /// Nobody decided, the request expired, and a Task still waits to be told.
    pub fn needs_expiry(&self, now: i64) -> bool {
        self.decision.is_none()
            && self.task_token.is_some()
            && self.is_expired(now)
            && self.delivery.expiry_sent_at.is_none()
            && self.delivery.failed.is_none()
    }

    /// Some chat message of the request can be brought up to date afterwards: its own, or a
    /// companion on another channel.
    pub fn has_updatable_message(&self) -> bool {
        self.has_own_updatable_message() || !self.companions.is_empty()
    }

    /// The message that asked can be brought up to date afterwards: a Slack message, or a
    /// Teams card the bot sent (its `ts` an activity id; a webhook post, kept as `webhook`, and
    /// a 1:1 message with personal links, kept as `bot`, cannot be).
    pub fn has_own_updatable_message(&self) -> bool {
        match (&self.message, self.origin) {
            (Some(_), Channel::Slack) => true,
            (Some(m), Channel::Teams) => crate::use_cases::teams_card::is_bot_card(&m.ts),
            _ => false,
        }
    }

    /// The chat message still shows buttons or an interim line although the outcome is final:
    /// decided (and the Task told or not waiting), or, for a Teams bot card, expired
    /// undecided once the expiry is settled (a Slack message's expiry is the expiry sweep's).
    pub fn needs_message_update(&self, now: i64) -> bool {
        self.message_outcome_final(now) && self.message_not_updated()
    }

    /// What the chat message should show is the final outcome (see
    /// [`Self::needs_message_update`]), whether it shows it already or not.
    pub fn message_outcome_final(&self, now: i64) -> bool {
        match &self.decision {
            Some(_) => self.delivery.is_final() || self.task_token.is_none(),
            None => {
                self.is_bot_card()
                    && (self.expiry_told() || (self.task_token.is_none() && self.is_expired(now)))
            }
        }
    }

    /// An open request with a quorum whose Teams bot card still asks: neither decided nor
    /// expired (nor its expiry claimed), the outcome neither shown nor given up. The relay
    /// shows its progress there (the Decision API holds no bot secret). The DynamoDB store
    /// states the same rule as a condition expression (`dynamodb_delivery`).
    pub fn progress_open(&self, now: i64) -> bool {
        self.quorum.is_some()
            && self.decision.is_none()
            && !self.is_expired(now)
            && self.delivery.expiry_claimed_at.is_none()
            && self.is_bot_card()
            && self.message_not_updated()
    }

    /// The bot card of an open request with a quorum shows fewer votes than are counted.
    pub fn needs_progress_update(&self, now: i64) -> bool {
        self.progress_open(now) && self.votes.len() > self.message_progress_votes as usize
    }

    /// The Task waiting on an undecided request was told it expired, or that cannot be done
    /// (Step Functions refused it for good).
    fn expiry_told(&self) -> bool {
        self.delivery.expiry_sent_at.is_some() || self.delivery.failed.is_some()
    }

    /// The message can be updated and has been neither updated nor given up.
    fn message_not_updated(&self) -> bool {
        self.has_updatable_message()
            && self.message_updated_at.is_none()
            && self.message_update_failed.is_none()
    }

    /// The relay shows the expiry and a quorum's progress on the request's messages: a card
    /// the Teams bot sent (not a webhook post, not a 1:1 message with links), or companions
    /// (a request made by Create Approval Links has no expiry sweep of its own).
    fn is_bot_card(&self) -> bool {
        (self.origin == Channel::Teams && self.has_own_updatable_message())
            || !self.companions.is_empty()
    }

    /// Nothing is left for the relay: the record may leave its index. The DynamoDB store
    /// states the same rule as a condition expression (the shared store contract checks both).
    pub fn is_settled(&self) -> bool {
        match &self.decision {
            // A bot card shows the expiry to everyone before its record leaves the index.
            None => {
                (self.task_token.is_none() || self.expiry_told())
                    && !(self.is_bot_card() && self.message_not_updated())
            }
            Some(_) if self.task_token.is_none() => true,
            Some(_) => {
                (self.delivery.delivered_at.is_some() || self.delivery.took_no_effect())
                    && !self.message_not_updated()
            }
        }
    }
}

/// Lower-cases and checks the shape of an address (`local@domain.tld`, no spaces).
pub fn normalize_email(raw: &str) -> Result<String, HitlError> {
    let email = raw.trim().to_ascii_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
                && !domain.contains('@')
                && email.len() <= 254
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err(HitlError::invalid_input(format!(
            "{raw:?} is not an email address"
        )))
    }
}

/// Strict as an input too: Send Email reads it back in `approval.links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipientLinks {
    pub approver: String,
    /// Empty (and left out) when the request has buttons of its own: see `buttons`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub approve_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reject_url: String,
    /// The request's own buttons, each a personal link; empty for approve and reject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<ButtonLink>,
}

/// Output of Create Approval Links. Shared links sit at the top level, personal ones only in
/// `links`: without approvers, `approveUrl`/`rejectUrl` decide for whoever holds them; with
/// approvers there are none (no link that anyone could use to decide as somebody else), and
/// `links` holds one pair per approver, each bound to that address. Send Email takes it as
/// `approval`, so it refuses unknown fields like every input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateLinksOutput {
    pub approval_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_url: Option<String>,
    pub expires_at: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub links: Vec<RecipientLinks>,
    /// The request's own buttons as shared links (no approvers), instead of
    /// `approveUrl`/`rejectUrl`; empty for approve and reject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<ButtonLink>,
}

pub fn rfc3339(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> CreateLinksInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn title_is_required() {
        let err = input(serde_json::json!({"title": "  "}))
            .validate()
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(err.to_string().contains("title"));
    }

    #[test]
    fn defaults_and_unknown_fields() {
        let v = input(serde_json::json!({"title": "Stop db-1"}))
            .validate()
            .unwrap();
        assert_eq!(v.expires_in_seconds, DEFAULT_EXPIRES_IN_SECONDS);
        assert!(v.approvers.is_empty());
        // A field it does not know (Send Email's `to`) is refused, not ignored.
        let json = serde_json::json!({"title": "Stop db-1", "to": ["x@y.z"]});
        let err = crate::input::from_json::<CreateLinksInput>(json).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown field `to`; the known fields are `title`, `description`"),
            "{err}"
        );
    }

    #[test]
    fn expiry_bounds() {
        for bad in [0, 4, MAX_EXPIRES_IN_SECONDS + 1, -5] {
            let err = input(serde_json::json!({"title": "t", "expiresInSeconds": bad}))
                .validate()
                .unwrap_err();
            assert!(err.to_string().contains("expiresInSeconds"), "{err}");
        }
    }

    #[test]
    fn approvers_are_normalized_deduplicated_and_checked() {
        let v = input(serde_json::json!({"title": "t", "approvers": ["Alice@Example.com ", "alice@example.com", "bob@example.org"]}))
            .validate()
            .unwrap();
        assert_eq!(v.approvers, vec!["alice@example.com", "bob@example.org"]);
        let err = input(serde_json::json!({"title": "t", "approvers": ["not-an-email"]}))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("not-an-email"));
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
