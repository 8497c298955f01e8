//! The outcome a bot card ends with, and the Decision Relay's notifier for bot cards.

use async_trait::async_trait;
use serde_json::Value;

use super::{expired, is_bot_card, shown};
use crate::approval::rfc3339;
use crate::input::capitalized;
use crate::ports::{OutcomeNotifier, TeamsBot, TeamsBotFormat};
use crate::quorum::{self, Tally};
use crate::{ApprovalRecord, Channel, Decision, HitlError, RecordedDecision};

/// The line a bot card ends with once the outcome is final: who decided what and when (and
/// that it changed nothing when the Task had stopped waiting or Step Functions refused it for
/// good: never shown as effective then), or that it expired unanswered.
/// A request with a quorum says its outcome and the tally that made it (its votes are listed
/// under the line, see [`final_card`]). Empty while the request is open.
pub fn outcome_line(record: &ApprovalRecord, now: i64) -> String {
    let settled = |d: &RecordedDecision| match quorum::tally_of(record) {
        Some(tally) => settled_line(&d.decision, &tally),
        None => decided_line(d),
    };
    match &record.decision {
        Some(decision) if record.delivery.failed.is_some() => format!(
            "{} Not delivered: the workflow refused this decision, so it changed nothing. Its operators have the reason.",
            settled(decision)
        ),
        Some(decision) if record.delivery.late_at.is_some() => format!(
            "{} Too late: the workflow had already stopped waiting, so this changed nothing.",
            settled(decision)
        ),
        Some(decision) => settled(decision),
        None if expired(record, now) => format!(
            "Expired at {} without a decision.",
            rfc3339(record.expires_at)
        ),
        None => String::new(),
    }
}

/// "Approved: 2 of 2 approved." / "Rejected: 1 of 1 rejected." / "Rejected: 2 approvals can
/// no longer be reached (1 approved, 1 rejected)."
fn settled_line(outcome: &Decision, tally: &Tally) -> String {
    let (a, n) = (tally.approvals, tally.approvals_required);
    let (r, m) = (tally.rejections, tally.rejections_required);
    match outcome {
        Decision::Approve => format!("Approved: {a} of {n} approved."),
        Decision::Reject if r >= m => format!("Rejected: {r} of {m} rejected."),
        Decision::Reject => format!(
            "Rejected: {n} approvals can no longer be reached ({a} approved, {r} rejected)."
        ),
        Decision::Custom(_) => format!("Decided: {a} of {n} approved."),
    }
}

/// "1 of 2 approved; waiting for Bob Example, carol@corp.com." (and the rejects, once some
/// came in).
pub fn progress_line(tally: &Tally) -> String {
    format!("{}.", tally.progress_line(str::to_string))
}

/// One line per vote: who, what, when (and the follow-up answer), and where.
pub fn vote_lines(record: &ApprovalRecord) -> Vec<String> {
    record
        .votes
        .iter()
        .map(|v| {
            let channel = match v.decision.decided_by.channel {
                Channel::Email => "by email",
                Channel::Slack => "in Slack",
                Channel::Teams => "in Teams",
            };
            format!("{} ({channel})", decided_line(&v.decision))
        })
        .collect()
}

/// The card everyone sees once the outcome is final: `shown` without its buttons, the outcome
/// line, and for a request with a quorum its votes.
pub(crate) fn final_card(
    format: &dyn TeamsBotFormat,
    shown: &Value,
    record: &ApprovalRecord,
    now: i64,
) -> Value {
    let line = outcome_line(record, now);
    match record.quorum {
        Some(_) => format.bot_votes_card(shown, &line, &vote_lines(record)),
        None => format.bot_outcome_card(shown, &line),
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
/// replaced for everyone with its buttons gone and the outcome line at the end; while a request
/// with a quorum is open, the progress after each vote, buttons kept.
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
        let card = final_card(self.format, &shown, record, record.expires_at);
        self.bot.update_card(at, &card).await
    }

    /// The card as sent, buttons kept, with the progress line (not shown when what was sent
    /// cannot be read: an empty card would take everyone's buttons away).
    async fn show_progress(&self, record: &ApprovalRecord) -> Result<bool, HitlError> {
        let at = record.message.as_ref().filter(|m| is_bot_card(&m.ts));
        let (Some(at), Some(tally), Some(shown)) = (at, quorum::tally_of(record), shown(record))
        else {
            return Ok(false);
        };
        let card = self
            .format
            .bot_progress_card(&shown, &progress_line(&tally));
        self.bot.update_card(at, &card).await.map(|()| true)
    }
}
