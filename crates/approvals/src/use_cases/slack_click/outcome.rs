//! What a Slack message of a request ends with: the outcome in place of its buttons (with the
//! votes, for a request with a quorum), as a click's follow-up and the Decision Relay show it.

use async_trait::async_trait;
use serde_json::Value;

use super::Chat;
use crate::ports::{OutcomeNotifier, SlackFormat, SlackMessage};
use crate::{ApprovalRecord, HitlError};

/// The line a decided message ends with, from the record as it is now.
pub(super) fn outcome_line(record: &ApprovalRecord, format: &dyn SlackFormat) -> String {
    match &record.decision {
        Some(_) if record.delivery.late_at.is_some() => format.too_late_line(),
        Some(_) if record.delivery.failed.is_some() => format.not_delivered_line(),
        Some(decision) => match crate::quorum::tally_of(record) {
            Some(tally) => format.settled_line(&decision.decision, &tally),
            None => format.decided_line(decision),
        },
        None => String::new(),
    }
}

/// The blocks the record's message showed when it was sent.
pub(super) fn shown_blocks(record: &ApprovalRecord) -> Vec<Value> {
    record
        .message_shown
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// The record's message with `line` in place of its buttons (and its votes, with a quorum).
pub(super) fn outcome_update(
    record: &ApprovalRecord,
    line: &str,
    format: &dyn SlackFormat,
) -> SlackMessage {
    let blocks = shown_blocks(record);
    format.outcome_message(&record.title, &blocks, line, &record.votes)
}

/// The relay's view of a Slack message: the outcome replaces the buttons once final.
pub struct SlackOutcome<'a>(pub Chat<'a>);

#[async_trait]
impl OutcomeNotifier for SlackOutcome<'_> {
    /// The outcome in place of the buttons; for a request that expired undecided (a companion
    /// of a request made by Create Approval Links: a request made in Slack is the expiry
    /// sweep's), that it expired.
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let Some(at) = &record.message else {
            return Ok(());
        };
        let format = self.0.format;
        let update = match record.decision {
            Some(_) => outcome_update(record, &outcome_line(record, format), format),
            None => format.expired_message(&record.title, record.expires_at, &shown_blocks(record)),
        };
        self.0.slack.update(at, &update).await
    }

    /// The tally under the buttons, for everyone. The relay asks only for a request with
    /// companions ([`ApprovalRecord::progress_open`]): a Slack companion's progress after a vote
    /// on another channel (a vote in Slack shows it on its own message).
    async fn show_progress(&self, record: &ApprovalRecord) -> Result<bool, HitlError> {
        let (Some(at), Some(tally)) = (&record.message, crate::quorum::tally_of(record)) else {
            return Ok(false);
        };
        let format = self.0.format;
        let line = format.progress_line(&tally);
        let update = format.progress_message(&record.title, &shown_blocks(record), &line);
        self.0.slack.update(at, &update).await?;
        Ok(true)
    }
}
