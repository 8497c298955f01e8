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

use super::gate::{Gate, Op};
use super::team::Sent;

/// Every Slack message as its kind and line alone (`outcome: <line>`, `progress`): what a
/// request's messages show last is checked by kind and by the decision its line names.
pub struct Plain;

fn message() -> SlackMessage {
    SlackMessage::default()
}

fn says(text: String) -> SlackMessage {
    SlackMessage {
        text,
        ..SlackMessage::default()
    }
}

impl SlackFormat for Plain {
    fn outcome_message(&self, _: &str, _: &[Value], line: &str, _: &[Vote]) -> SlackMessage {
        says(format!("outcome: {line}"))
    }
    fn progress_message(&self, _: &str, _: &[Value], _: &str) -> SlackMessage {
        says("progress".into())
    }
    fn progress_line(&self, _: &Tally) -> String {
        String::new()
    }
    fn settled_line(&self, decision: &Decision, _: &Tally) -> String {
        format!("{decision:?}")
    }
    fn counted_note(&self, _: &RecordedDecision, _: &Tally) -> String {
        String::new()
    }
    fn expired_message(&self, _: &str, _: i64, _: &[Value]) -> SlackMessage {
        says("outcome: expired".into())
    }
    fn decided_line(&self, decision: &RecordedDecision) -> String {
        format!("{:?} by {}", decision.decision, decision.decided_by.id)
    }
    fn too_late_line(&self) -> String {
        "too late".into()
    }
    fn not_delivered_line(&self) -> String {
        "not delivered".into()
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
    /// On a request's companion, noted as what the message shows: at once, or as a call of
    /// its own that may land after the relay's (`World::slow_chat_updates`).
    async fn update(&self, at: &MessageRef, message: &SlackMessage) -> Result<(), HitlError> {
        if !self.has_companions() {
            return Ok(());
        }
        let update = async {
            self.shows(at, message.text.clone());
            Ok(())
        };
        match self.slow_chat_updates {
            true => self.call(Op::SlackUpdate, update).await,
            // Not when the actor is replayed up to where it stands: it was noted then.
            false if self.live() => update.await,
            false => Ok(()),
        }
    }
    async fn post_ephemeral(&self, _: &str, _: &SlackUserId, _: &str) -> Result<(), HitlError> {
        Ok(())
    }
    async fn lookup_user_by_email(&self, email: &str) -> Result<String, HitlError> {
        match self.has_companions() {
            true => super::companions::slack_lookup(email),
            false => Ok(email.into()),
        }
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
