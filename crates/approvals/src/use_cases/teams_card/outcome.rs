//! The outcome a bot card ends with, and the Decision Relay's notifier for bot cards.

use async_trait::async_trait;
use serde_json::Value;

use super::{expired, is_bot_card, shown};
use crate::approval::rfc3339;
use crate::input::capitalized;
use crate::ports::{OutcomeNotifier, TeamsBot, TeamsBotFormat};
use crate::{ApprovalRecord, HitlError, RecordedDecision};

/// The line a bot card ends with once the outcome is final: who decided what and when (and
/// that it changed nothing when the Task had stopped waiting or Step Functions refused it for
/// good: never shown as effective then), or that it expired unanswered.
/// Empty while the request is open.
pub fn outcome_line(record: &ApprovalRecord, now: i64) -> String {
    match &record.decision {
        Some(decision) if record.delivery.failed.is_some() => format!(
            "{} Not delivered: the workflow refused this decision, so it changed nothing. Its operators have the reason.",
            decided_line(decision)
        ),
        Some(decision) if record.delivery.late_at.is_some() => format!(
            "{} Too late: the workflow had already stopped waiting, so this changed nothing.",
            decided_line(decision)
        ),
        Some(decision) => decided_line(decision),
        None if expired(record, now) => format!(
            "Expired at {} without a decision.",
            rfc3339(record.expires_at)
        ),
        None => String::new(),
    }
}

/// "Approved by Alice Example at 2026-12-06T21:00:00Z." (and the follow-up answer, if any).
fn decided_line(d: &RecordedDecision) -> String {
    let who = match d.decided_by.verified() {
        true => d.decided_by.name.clone(),
        // A name typed on a shared link: whoever held it.
        false => format!("{} (unverified)", d.decided_by.name),
    };
    let mut line = format!(
        "{} by {who} at {}.",
        capitalized(&d.decision.past_tense()),
        rfc3339(d.decided_at)
    );
    if let Some(answered) = &d.follow_up {
        line.push_str(&format!(
            " {} {}",
            answered.question,
            answered.answer_text()
        ));
    }
    line
}

/// The Decision Relay's view of a card the bot sent: once the outcome is final, the card is
/// replaced for everyone with its buttons gone and the outcome line at the end.
pub struct TeamsCardOutcome<'a> {
    pub bot: &'a dyn TeamsBot,
    pub format: &'a dyn TeamsBotFormat,
}

#[async_trait]
impl OutcomeNotifier for TeamsCardOutcome<'_> {
    async fn show_outcome(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let Some(at) = record.message.as_ref().filter(|m| is_bot_card(&m.ts)) else {
            return Ok(());
        };
        // Kept by Request Action; unreadable, the outcome is shown on an empty card.
        let shown = shown(record).unwrap_or_else(|| Value::Object(Default::default()));
        // The relay updates decided records; an undecided one shows its expiry.
        let line = outcome_line(record, record.expires_at);
        let card = self.format.bot_outcome_card(&shown, &line);
        self.bot.update_card(at, &card).await
    }
}
