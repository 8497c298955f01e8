//! What the use cases render and send on Slack, reduced to what the explorer needs: Slack's
//! calls answer at once and change nothing shared (the message's look is not explored), and a
//! reminder is logged as the reminder pass composes it, against the record as it is then.

use approvals::ports::{OutgoingEmail, SlackFormat, SlackMessage, SlackMessenger};
use approvals::quorum::{Tally, Vote};
use approvals::use_cases::reminders::{Reminder, ReminderFormat};
use approvals::use_cases::slack_click::{Click, ClickRefusal};
use approvals::{
    ApprovalRecord, CreateLinksOutput, Decision, FollowUp, HitlError, MessageRef, RecordedDecision,
    SlackUserId,
};
use async_trait::async_trait;
use serde_json::Value;

use super::gate::Gate;
use super::team::Sent;

/// Every Slack message and line as an empty message: nothing the explorer checks reads them.
pub struct Plain;

fn message() -> SlackMessage {
    SlackMessage::default()
}

impl SlackFormat for Plain {
    fn outcome_message(&self, _: &str, _: &[Value], _: &str, _: &[Vote]) -> SlackMessage {
        message()
    }
    fn progress_message(&self, _: &str, _: &[Value], _: &str) -> SlackMessage {
        message()
    }
    fn progress_line(&self, _: &Tally) -> String {
        String::new()
    }
    fn settled_line(&self, _: &Decision, _: &Tally) -> String {
        String::new()
    }
    fn counted_note(&self, _: &RecordedDecision, _: &Tally) -> String {
        String::new()
    }
    fn expired_message(&self, _: &str, _: i64, _: &[Value]) -> SlackMessage {
        message()
    }
    fn decided_line(&self, _: &RecordedDecision) -> String {
        String::new()
    }
    fn too_late_line(&self) -> String {
        String::new()
    }
    fn not_delivered_line(&self) -> String {
        String::new()
    }
    fn refusal(&self, _: &ClickRefusal) -> String {
        String::new()
    }
    fn follow_up_view(&self, _: &ApprovalRecord, _: &FollowUp, _: &Click) -> Value {
        Value::Null
    }
}

#[async_trait]
impl SlackMessenger for Gate<'_> {
    async fn post(&self, channel: &str, _: &SlackMessage) -> Result<MessageRef, HitlError> {
        Ok(MessageRef {
            channel: channel.into(),
            ts: "2.2".into(),
        })
    }
    async fn update(&self, _: &MessageRef, _: &SlackMessage) -> Result<(), HitlError> {
        Ok(())
    }
    async fn post_ephemeral(&self, _: &str, _: &SlackUserId, _: &str) -> Result<(), HitlError> {
        Ok(())
    }
    async fn lookup_user_by_email(&self, email: &str) -> Result<String, HitlError> {
        Ok(email.into())
    }
    async fn open_view(&self, _: &str, _: &Value) -> Result<(), HitlError> {
        Ok(())
    }
}

/// The slots of `record` its votes filled (lower-cased keys).
pub fn filled(record: &ApprovalRecord) -> Vec<String> {
    record.votes.iter().map(|v| v.slot.to_lowercase()).collect()
}

impl ReminderFormat for Gate<'_> {
    fn reminder_emails(
        &self,
        _: &Reminder,
        _: &CreateLinksOutput,
        _: &str,
    ) -> Result<Vec<OutgoingEmail>, HitlError> {
        unreachable!("a Slack request is reminded in its thread")
    }

    /// Composed right after the reminder pass read the record again, in the same step: the
    /// record in the store is the one it read.
    fn slack_reminder(&self, reminder: &Reminder) -> SlackMessage {
        if self.live() {
            let now = self.record();
            let sent = Sent {
                number: reminder.number,
                settled_then: now.decision.is_some(),
                says_decided: reminder.decided.is_some(),
                asks: reminder
                    .waiting
                    .iter()
                    .chain(&reminder.escalation)
                    .map(|a| a.to_lowercase())
                    .collect(),
                filled_then: filled(&now),
            };
            self.log.lock().unwrap().sends.push(sent);
        }
        message()
    }

    fn teams_reminder(&self, _: &Reminder) -> Value {
        unreachable!("a Slack request is reminded in its thread")
    }
}
