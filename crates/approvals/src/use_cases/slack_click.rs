//! A click on a Slack button, in two steps so the interactivity endpoint can answer Slack
//! within its 3 seconds whatever happens: [`record_click`] (the click's own checks, first
//! click wins) is all that must happen before the answer; [`follow_up`] (deliver, update the
//! message, tell the clicker) is best effort, and whatever it leaves undone the relay
//! finishes.
//!
//! The click arrives read from Slack's payload by `channels::slack_click` ([`Interaction`]);
//! what the clicker and the message are shown is rendered through [`SlackFormat`].

use crate::approval::rfc3339;
use crate::delivery::{deliver_decision, DeliveryOutcome};
use crate::ports::{
    ApprovalStore, Approvals, DecisionWrite, OutcomeNotifier, SlackFormat, SlackMessenger,
    WorkflowResumer,
};
use crate::ApprovalId;
use crate::{ApprovalRecord, Channel, HitlError, MessageRef};

mod asking;
mod checks;
mod interaction;
mod outcome;
mod refusal;
mod votes;
use checks::{checked, counts, seen_from, Checked};
pub use interaction::{Click, Interaction, Submission};
pub use outcome::SlackOutcome;
use outcome::{outcome_line, outcome_update, shown_blocks};
pub use refusal::ClickRefusal;
pub(crate) use votes::{already_voted, earlier_vote, no_vote};

/// What recording a click led to; [`follow_up`] acts on it.
#[derive(Debug, Clone, PartialEq)]
pub enum ClickStep {
    /// Not a click we handle (another payload type, a non-button element).
    Ignored,
    /// Nothing changed; the clicker is told why.
    Refused { click: Click, refusal: ClickRefusal },
    Recorded {
        click: Click,
        record: ApprovalRecord,
    },
    /// A request with a quorum: the vote was counted and the request is still open.
    Counted {
        click: Click,
        record: ApprovalRecord,
    },
    AlreadyDecided {
        click: Click,
        record: ApprovalRecord,
    },
    /// The request had expired: kept as a late decision, nothing changed.
    TooLate {
        click: Click,
        record: ApprovalRecord,
    },
    /// The choice asks a follow-up question: a modal asks it; nothing is recorded yet.
    Ask {
        click: Click,
        record: ApprovalRecord,
    },
    /// The modal's answer was refused (`reason`, shown under the field); nothing recorded.
    AnswerRefused { click: Click, reason: String },
}

/// What the interactivity endpoint did with a click. Slack only needs a 200 within 3 seconds;
/// what the person sees is the updated message or an ephemeral note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickOutcome {
    /// The decision was recorded; `delivered` when the waiting workflow has it already.
    Decided {
        approval_id: String,
        delivered: bool,
    },
    /// A request with a quorum: the vote was counted, the request is still open; the message
    /// shows the progress and the voter was told (ephemeral).
    Counted { approval_id: String },
    /// Nothing changed; the person was told why (ephemeral). `error` names why.
    Refused { error: &'static str, reason: String },
    /// The follow-up question was opened in a modal; nothing is decided until it is submitted.
    Asked { approval_id: String },
    /// Not a click we handle.
    Ignored,
}

/// Step one: the click's own checks, then the conditional write (first click wins). A click
/// counts only from `workspace` (when one is configured), on the very message that asked for
/// a Slack request, by someone on its allow-list. Store errors come back as errors: then
/// nothing is known to be recorded.
pub async fn record_click(
    interaction: Interaction,
    workspace: Option<&str>,
    store: &dyn ApprovalStore,
    now: i64,
) -> Result<ClickStep, HitlError> {
    let click = match interaction {
        Interaction::Click(click) => click,
        Interaction::Submission(submission) => {
            return asking::record_submission(submission, workspace, store, now).await
        }
        Interaction::Ignored => return Ok(ClickStep::Ignored),
    };
    let (click, record) = match checked(click, workspace, store).await? {
        Checked::Allowed(click, record) => (click, record),
        Checked::Refused(step) => return Ok(step),
    };
    if !counts(&record, &click) {
        return Ok(ClickStep::Ignored);
    }
    if asking::asks(&record, &click, now) {
        return Ok(ClickStep::Ask { click, record });
    }
    write(click, store, now).await
}

/// The conditional decision write (first decision wins) of a click or a submitted question.
async fn write(click: Click, store: &dyn ApprovalStore, now: i64) -> Result<ClickStep, HitlError> {
    Ok(
        match store
            .record_decision(&click.approval_id.as_str().into(), &click.decision, now)
            .await?
        {
            DecisionWrite::Recorded(record) => ClickStep::Recorded { click, record },
            DecisionWrite::AlreadyDecided(record) => ClickStep::AlreadyDecided { click, record },
            DecisionWrite::TooLate(record) => ClickStep::TooLate { click, record },
            DecisionWrite::NotFound => refused(click, ClickRefusal::Gone),
            DecisionWrite::Counted(record) => ClickStep::Counted { click, record },
            DecisionWrite::AlreadyVoted(record) => {
                let refusal = match earlier_vote(&record, &click.decision) {
                    Some(earlier) => already_voted(earlier),
                    None => no_vote(&record, &click.decision),
                };
                refused(click, refusal)
            }
            DecisionWrite::NoSlot(record) => {
                let refusal = no_vote(&record, &click.decision);
                refused(click, refusal)
            }
        },
    )
}

fn refused(click: Click, refusal: ClickRefusal) -> ClickStep {
    if refusal.is_suspicious() {
        tracing::warn!(approval_id = %click.approval_id, user = %click.user_id, teams = ?click.teams, error = refusal.name(), "Slack click refused");
    }
    ClickStep::Refused { click, refusal }
}

/// The Slack port and what is said on it, as a click's second step uses them.
#[derive(Clone, Copy)]
pub struct Chat<'a> {
    pub slack: &'a dyn SlackMessenger,
    pub format: &'a dyn SlackFormat,
}

/// Updates the message; a failure leaves it to the relay. True when updated.
async fn show(chat: Chat<'_>, record: &ApprovalRecord, at: &MessageRef, line: &str) -> bool {
    let update = outcome_update(record, line, chat.format);
    match chat.slack.update(at, &update).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(approval_id = %record.approval_id, error = err.name(), "message not updated; the relay tries again");
            false
        }
    }
}

/// An ephemeral note to the clicker. Its failure changes nothing about the decision.
async fn tell(slack: &dyn SlackMessenger, click: &Click, text: &str) {
    if let Err(err) = slack
        .post_ephemeral(&click.message.channel, &click.user_id, text)
        .await
    {
        tracing::warn!(approval_id = %click.approval_id, error = err.name(), "ephemeral note not posted");
    }
}

/// Step two: deliver the decision, bring the message up to date, tell the clicker. Best
/// effort: a step cut short leaves the record due for the relay.
pub async fn follow_up(
    step: ClickStep,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    chat: Chat<'_>,
    now: i64,
) -> ClickOutcome {
    let slack = chat.slack;
    match step {
        ClickStep::Ignored => ClickOutcome::Ignored,
        ClickStep::Refused { click, refusal } => {
            let reason = chat.format.refusal(&refusal);
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused {
                error: refusal.name(),
                reason,
            }
        }
        ClickStep::Recorded { click, record } => {
            decided(click, record, store, resumer, chat, now).await
        }
        ClickStep::Counted { click, record } => {
            votes::vote_counted(click, record, store, chat, now).await
        }
        ClickStep::Ask { click, record } => asking::ask(click, record, chat).await,
        ClickStep::AnswerRefused { reason, .. } => ClickOutcome::Refused {
            error: "Hitl.AnswerRefused",
            reason,
        },
        ClickStep::AlreadyDecided { click, record } => {
            let reason = format!(
                "Already decided: {}. Your click changed nothing.",
                outcome_line(&record, chat.format)
            );
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused {
                error: "Hitl.AlreadyDecided",
                reason,
            }
        }
        ClickStep::TooLate { click, record } => {
            let update =
                chat.format
                    .expired_message(&record.title, record.expires_at, &click.blocks);
            let _ = slack.update(&click.message, &update).await;
            decided_since(store, &click, chat).await;
            let reason = format!(
                "Too late: the workflow stopped waiting at {}; nothing was changed.",
                rfc3339(record.expires_at)
            );
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused {
                error: "Hitl.Expired",
                reason,
            }
        }
    }
}

/// A click showed the request expired, or too late for the workflow; a decision another
/// deliverer wrote with an earlier clock, or delivered, may have landed meanwhile (and been
/// shown before our update): one read after our update puts that outcome back on the message.
/// Whether it found the decision delivered.
async fn decided_since(store: &dyn Approvals, click: &Click, chat: Chat<'_>) -> bool {
    let id = ApprovalId::from(click.approval_id.as_str());
    let Ok(Some(record)) = store.get(&id).await else {
        return false;
    };
    let record = seen_from(record, &click.message);
    let delivered = record.delivery.delivered_at.is_some();
    if record.decision.is_some() && (delivered || record.delivery.late_at.is_none()) {
        let _ = SlackOutcome(chat).show_outcome(&record).await;
    }
    delivered
}

async fn decided(
    click: Click,
    mut record: ApprovalRecord,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    chat: Chat<'_>,
    now: i64,
) -> ClickOutcome {
    // A request with companions keeps its other messages: the relay brings every one up to
    // date (this one too, with the same outcome); this click only shows it here at once.
    let others = !record.companions.is_empty();
    record = seen_from(record, &click.message);
    if record.message_shown.is_none() {
        record.message_shown = serde_json::to_string(&click.blocks).ok();
    }
    let id = click.approval_id.clone();
    let decided_line = match record.quorum {
        // The team's outcome, not this vote's: the votes are listed under it.
        Some(_) => outcome_line(&record, chat.format),
        None => chat.format.decided_line(&click.decision),
    };
    // The message shows the decision before the workflow hears of it, so that a Slack Update
    // Message the resumed workflow sends lands after ours and is what stays on the message.
    let decided_shown = show(chat, &record, &click.message, &decided_line).await;
    let mut delivery = deliver_decision(&record, store, resumer, now).await;
    let shown = match delivery {
        DeliveryOutcome::Delivered | DeliveryOutcome::NotYetWaiting => decided_shown,
        DeliveryOutcome::Late => {
            let line = chat.format.too_late_line();
            let shown = show(chat, &record, &click.message, &line).await;
            // "No longer waiting" may have been another deliverer resuming the Task with this
            // decision, not recorded yet when we looked: once it is, its outcome goes back
            // over our "too late" (read after our update, so whichever lands last is right).
            if decided_since(store, &click, chat).await {
                delivery = DeliveryOutcome::Delivered;
            }
            shown
        }
        DeliveryOutcome::GaveUp => {
            let line = chat.format.not_delivered_line();
            show(chat, &record, &click.message, &line).await
        }
        DeliveryOutcome::Pending | DeliveryOutcome::InProgress => {
            // So nobody clicks again; the relay replaces it once delivered.
            let line = format!("{decided_line} · passing it on to the workflow…");
            show(chat, &record, &click.message, &line).await;
            return ClickOutcome::Decided {
                approval_id: id,
                delivered: false,
            };
        }
    };
    let key = ApprovalId::from(id.as_str());
    if shown && !others && store.message_updated(&key, now).await.is_ok() {
        let _ = store.settle(&key).await;
    }
    if delivery == DeliveryOutcome::Late {
        let reason = "Too late: the workflow had already stopped waiting (it timed out or was stopped); your answer is kept as late and changed nothing.".to_string();
        tell(chat.slack, &click, &reason).await;
        return ClickOutcome::Refused {
            error: "Hitl.TooLate",
            reason,
        };
    }
    if delivery == DeliveryOutcome::GaveUp {
        let reason = "Your decision is recorded, but the workflow refused it, so it changed nothing. Tell whoever runs this workflow: the reason is in its logs.".to_string();
        tell(chat.slack, &click, &reason).await;
        return ClickOutcome::Refused {
            error: "Hitl.NotDelivered",
            reason,
        };
    }
    ClickOutcome::Decided {
        approval_id: id,
        delivered: delivery == DeliveryOutcome::Delivered,
    }
}

/// Both steps at once, for callers with no deadline to keep and no workspace to enforce.
pub async fn handle_click(
    interaction: Interaction,
    store: &dyn Approvals,
    resumer: &dyn WorkflowResumer,
    chat: Chat<'_>,
    now: i64,
) -> Result<ClickOutcome, HitlError> {
    let step = record_click(interaction, None, store, now).await?;
    Ok(follow_up(step, store, resumer, chat, now).await)
}
