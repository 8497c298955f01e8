//! Reminders and escalation (the Approval Reminders function, scheduled every minute): one run
//! reads the sparse reminder index (`ReminderStore::due_for_reminder`), and for each request
//! due claims its next reminder in one conditional write, then asks the approvers whose slots
//! are unfilled again on the request's own channel. Nothing is kept in the workflow.
//!
//! Only the claimer sends: the claim holds only while the request is undecided, unexpired and
//! its votes and reminder count are those read, so two runs never send the same reminder and
//! none is claimed after a settlement that came first. A vote that settles the request after
//! the claim is seen by the read just before sending: the reminder then says who decided
//! instead of asking. A send that fails is logged and counted, and the reminder stays counted:
//! a failing mailbox is not asked again every minute.

use serde::Serialize;
use serde_json::Value;

use crate::ports::{
    ApprovalStore, EmailSender, OutgoingEmail, ReminderStore, SlackMessage, SlackMessenger,
    TeamsBot,
};
use crate::quorum::{self, Tally};
use crate::use_cases::LinkSettings;
use crate::{
    ApprovalId, ApprovalRecord, Channel, CreateLinksOutput, HitlError, MessageRef, RecordedDecision,
};

/// Requests, and their reminder index: what a reminder run works with.
pub trait ReminderApprovals: ApprovalStore + ReminderStore {}
impl<T: ApprovalStore + ReminderStore + ?Sized> ReminderApprovals for T {}

/// What one reminder says, and to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub approval_id: ApprovalId,
    pub title: String,
    /// 1 for the first reminder.
    pub number: u32,
    /// The people of the unfilled slots as the channel knows them (addresses, Slack user ids,
    /// Teams names), in the order named; empty for a request that names nobody (its shared
    /// message is reminded).
    pub waiting: Vec<String>,
    /// The escalation targets asked as well (the request escalated), who have not voted.
    pub escalation: Vec<String>,
    /// This reminder escalated the request: it says so.
    pub escalated_now: bool,
    /// The votes so far, for a request with a quorum.
    pub tally: Option<Tally>,
    pub expires_at: i64,
    /// Set when the request was settled while this reminder was on its way: the decision that
    /// settled it, said instead of asking.
    pub decided: Option<RecordedDecision>,
}

/// What reminders say, rendered for each medium (`channels`).
pub trait ReminderFormat: Send + Sync {
    /// One email per person in `links.links`, from `from`: the approval email again with their
    /// own links, or, when `reminder.decided`, a note without links saying who decided.
    fn reminder_emails(
        &self,
        reminder: &Reminder,
        links: &CreateLinksOutput,
        from: &str,
    ) -> Result<Vec<OutgoingEmail>, HitlError>;
    /// The reply in the request's Slack thread, naming (mentioning) who is asked.
    fn slack_reminder(&self, reminder: &Reminder) -> SlackMessage;
    /// The card the Teams bot sends to the request's conversation, naming who is asked.
    fn teams_reminder(&self, reminder: &Reminder) -> Value;
}

/// How reminders by email go out: the deployment's sender, and the links' signer.
pub struct ReminderMail<'a> {
    pub sender: &'a dyn EmailSender,
    /// The From address (`SENDER_EMAIL`).
    pub from: &'a str,
    pub links: LinkSettings<'a>,
}

/// The channels a deployment has; a request whose channel it lacks has its reminders counted
/// as failed sends (`Hitl.Config`), never retried every minute.
pub struct ReminderChannels<'a> {
    pub mail: Option<ReminderMail<'a>>,
    pub slack: Option<&'a dyn SlackMessenger>,
    pub bot: Option<&'a dyn TeamsBot>,
    pub format: &'a dyn ReminderFormat,
    /// Told of every failed send (the function counts vendors' refusals).
    pub on_failure: &'a (dyn Fn(&HitlError) + Sync),
}

/// What a run did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReminderReport {
    /// Requests reminded (their reminder claimed and sent, or tried).
    pub reminded: Vec<ApprovalId>,
    /// Of those, the ones this run escalated.
    pub escalated: Vec<ApprovalId>,
    /// Settled while their reminder was on its way: told who decided instead.
    pub decided_meanwhile: Vec<ApprovalId>,
    /// Requests that left the index: settled, expired, or with nobody to remind.
    pub stopped: usize,
    /// Reminders another run claimed first, or the request changed since it was read.
    pub claimed_elsewhere: usize,
    pub messages_sent: usize,
    /// Messages that failed (each logged): the reminder stays counted.
    pub messages_failed: usize,
    /// A store call failed: the next run looks at them again.
    pub retry_later: Vec<ApprovalId>,
}

/// Where a request's reminders go.
enum Route {
    /// Personal links by email (the approvers are addresses).
    Email,
    /// A reply in the thread of the request's Slack message.
    Slack(MessageRef),
    /// A card in the conversation of the Teams bot's request card.
    TeamsBot(String),
}

fn route(record: &ApprovalRecord) -> Option<Route> {
    match (record.origin, &record.message) {
        (Channel::Slack, Some(message)) => Some(Route::Slack(message.clone())),
        (Channel::Slack, None) => None,
        // A Teams bot request whose card was never attached (the Task failed to send it, or
        // it is being sent): its people are not emailed links the workflow may have abandoned.
        (Channel::Teams, None) if !record.teams_approvers.is_empty() => None,
        (Channel::Teams, Some(message)) if record.has_own_updatable_message() => {
            Some(Route::TeamsBot(message.channel.clone()))
        }
        // Email, and Teams' webhook cards and 1:1 messages, whose approvers got their links
        // by email; without named approvers nobody is known to write to.
        _ => (!record.approvers.is_empty()).then_some(Route::Email),
    }
}

/// The next reminder of a request read just now: `None` when it should leave the index.
struct Plan {
    sent: u32,
    escalate: bool,
    next_at: Option<i64>,
}

fn plan(record: &ApprovalRecord, now: i64) -> Option<Plan> {
    let reminders = record.reminders.as_ref()?;
    if !record.is_open(now) || record.delivery.expiry_claimed_at.is_some() {
        return None;
    }
    route(record)?;
    let sent = record.reminder_state.sent;
    let escalate = record.reminder_state.escalated_at.is_none()
        && !reminders.escalate_to.is_empty()
        && reminders.escalate_after == Some(sent + 1);
    // No reminder at or after the expiry: the link would be dead on arrival.
    let next = now + reminders.every_seconds;
    Some(Plan {
        sent,
        escalate,
        next_at: (next < record.expires_at).then_some(next),
    })
}

/// The people of `record`'s unfilled slots: the tally's, or every named approver's while
/// nobody has answered a first-answer request.
fn waiting(record: &ApprovalRecord) -> Vec<String> {
    match quorum::tally_of(record) {
        Some(tally) => tally.waiting_for,
        None => quorum::slots(record).into_iter().map(|s| s.label).collect(),
    }
}

/// The escalation targets who may vote now (the request escalated) and have not.
fn escalation(record: &ApprovalRecord) -> Vec<String> {
    let (Some(reminders), Some(_)) = (&record.reminders, record.reminder_state.escalated_at) else {
        return Vec::new();
    };
    let voted = |who: &str| {
        let voters = record.votes.iter().map(|v| &v.decision.decided_by.id);
        voters
            .chain(record.decision.as_ref().map(|d| &d.decided_by.id))
            .any(|id| id.eq_ignore_ascii_case(who))
    };
    reminders
        .escalate_to
        .iter()
        .filter(|t| !voted(t) && !quorum::is_requester(record, t))
        .cloned()
        .collect()
}

fn reminder_of(record: &ApprovalRecord, escalated_now: bool) -> Reminder {
    Reminder {
        approval_id: record.approval_id.clone(),
        title: record.title.clone(),
        number: record.reminder_state.sent,
        waiting: waiting(record),
        escalation: escalation(record),
        escalated_now,
        tally: quorum::tally_of(record),
        expires_at: record.expires_at,
        decided: record.decision.clone(),
    }
}

/// The reminder `claimed` was for, saying instead who settled it (`current`'s decision).
fn decided_meanwhile(
    claimed: &ApprovalRecord,
    current: &ApprovalRecord,
    escalated_now: bool,
) -> Reminder {
    let mut reminder = reminder_of(claimed, escalated_now);
    reminder.decided = current.decision.clone();
    reminder.tally = quorum::tally_of(current);
    if let Some(decider) = &current.decision {
        let not_decider = |who: &String| !who.eq_ignore_ascii_case(&decider.decided_by.id);
        reminder.waiting.retain(not_decider);
        reminder.escalation.retain(not_decider);
    }
    reminder
}

/// Sends the reminders due at `now`: at most `batch` requests, none started once `in_budget`
/// says the run's time is spent. Fails only when the index cannot be read.
pub async fn send_due_reminders(
    store: &dyn ReminderApprovals,
    channels: &ReminderChannels<'_>,
    now: i64,
    batch: usize,
    in_budget: &(dyn Fn() -> bool + Sync),
) -> Result<ReminderReport, HitlError> {
    let mut report = ReminderReport::default();
    for approval_id in store.due_for_reminder(now, batch).await? {
        if !in_budget() {
            break;
        }
        match remind(store, channels, &approval_id, now).await {
            Ok(outcome) => report.add(approval_id, outcome),
            Err(err) => {
                tracing::warn!(approval_id = %approval_id, error = err.name(), message = %err, "reminder not claimed; the next run tries again");
                report.retry_later.push(approval_id);
            }
        }
    }
    Ok(report)
}

/// What happened to one request.
enum Outcome {
    Stopped,
    ClaimedElsewhere,
    Sent {
        escalated: bool,
        decided: bool,
        sends: Sends,
    },
}

/// Messages sent and failed.
#[derive(Default, Clone, Copy)]
struct Sends {
    sent: usize,
    failed: usize,
}

impl ReminderReport {
    fn add(&mut self, approval_id: ApprovalId, outcome: Outcome) {
        match outcome {
            Outcome::Stopped => self.stopped += 1,
            Outcome::ClaimedElsewhere => self.claimed_elsewhere += 1,
            Outcome::Sent {
                escalated,
                decided,
                sends,
            } => {
                self.messages_sent += sends.sent;
                self.messages_failed += sends.failed;
                if escalated {
                    self.escalated.push(approval_id.clone());
                }
                if decided {
                    self.decided_meanwhile.push(approval_id.clone());
                }
                self.reminded.push(approval_id);
            }
        }
    }
}

/// One request: read, claim its next reminder (or take it out of the index), read again, send.
async fn remind(
    store: &dyn ReminderApprovals,
    channels: &ReminderChannels<'_>,
    approval_id: &ApprovalId,
    now: i64,
) -> Result<Outcome, HitlError> {
    let Some(record) = store.get(approval_id).await? else {
        return Ok(Outcome::Stopped);
    };
    let Some(plan) = plan(&record, now) else {
        store.stop_reminders(approval_id).await?;
        return Ok(Outcome::Stopped);
    };
    let votes = record.votes.len();
    let claim = store.claim_reminder(
        approval_id,
        plan.sent,
        votes,
        plan.escalate,
        plan.next_at,
        now,
    );
    let Some(claimed) = claim.await? else {
        return Ok(Outcome::ClaimedElsewhere);
    };
    // Read again right before sending: a vote that settled it since is told, not asked again.
    let current = match store.get(approval_id).await {
        Ok(Some(current)) => current,
        Ok(None) => return Ok(Outcome::Stopped),
        Err(err) => {
            tracing::warn!(approval_id = %approval_id, error = err.name(), message = %err, "reminder claimed but not sent: the request could not be read again");
            (channels.on_failure)(&err);
            let sends = Sends { sent: 0, failed: 1 };
            return Ok(sent(plan.escalate, false, sends));
        }
    };
    let reminder = match current.decision {
        // Those this reminder was for are told who settled it; the decider is left out.
        Some(_) => decided_meanwhile(&claimed, &current, plan.escalate),
        None => reminder_of(&current, plan.escalate),
    };
    let sends = send_on_channel(channels, &current, &reminder).await;
    tracing::info!(approval_id = %approval_id, number = reminder.number, escalated = plan.escalate, decided = reminder.decided.is_some(), sent = sends.sent, failed = sends.failed, "reminder sent");
    Ok(sent(plan.escalate, reminder.decided.is_some(), sends))
}

fn sent(escalated: bool, decided: bool, sends: Sends) -> Outcome {
    Outcome::Sent {
        escalated,
        decided,
        sends,
    }
}

mod send;
pub use send::personal_links;
use send::send_on_channel;

#[cfg(test)]
mod tests;
