//! Sending one reminder on the request's channel: the approval email again with each person's
//! own links, a reply in the Slack thread, a card in the Teams bot's conversation.

use futures_util::stream::{self, StreamExt};

use super::{route, Reminder, ReminderChannels, Route, Sends};
use crate::ports::{BotConversation, SlackMessage};
use crate::use_cases::email::MAX_PARALLEL_SENDS;
use crate::use_cases::{links_of, LinkSettings};
use crate::{ApprovalRecord, CreateLinksOutput, HitlError, MessageRef};

/// Sends `reminder` on `record`'s channel; every failure logged and counted.
pub(super) async fn send_on_channel(
    channels: &ReminderChannels<'_>,
    record: &ApprovalRecord,
    reminder: &Reminder,
) -> Sends {
    let results: Vec<Result<(), HitlError>> = match route(record) {
        Some(Route::Email) => by_email(channels, record, reminder).await,
        Some(Route::Slack(message)) => vec![in_slack_thread(channels, &message, reminder).await],
        Some(Route::TeamsBot(conversation)) => {
            vec![in_teams(channels, conversation, reminder).await]
        }
        None => Vec::new(),
    };
    let mut sends = Sends::default();
    for result in results {
        match result {
            Ok(()) => sends.sent += 1,
            Err(err) => {
                tracing::warn!(approval_id = %record.approval_id, error = err.name(), message = %err, "a reminder message failed; the reminder stays counted");
                (channels.on_failure)(&err);
                sends.failed += 1;
            }
        }
    }
    sends
}

fn missing(what: &str) -> HitlError {
    HitlError::Config(format!(
        "reminders need {what}, which this deployment does not have"
    ))
}

async fn in_slack_thread(
    channels: &ReminderChannels<'_>,
    message: &MessageRef,
    reminder: &Reminder,
) -> Result<(), HitlError> {
    let slack = channels
        .slack
        .ok_or_else(|| missing("Slack (SlackBotToken)"))?;
    let reply = SlackMessage {
        thread_ts: Some(message.ts.clone()),
        ..channels.format.slack_reminder(reminder)
    };
    slack.post(&message.channel, &reply).await.map(|_| ())
}

async fn in_teams(
    channels: &ReminderChannels<'_>,
    conversation: String,
    reminder: &Reminder,
) -> Result<(), HitlError> {
    let bot = channels
        .bot
        .ok_or_else(|| missing("the Teams bot (TeamsBotAppId, TeamsBotAppSecret)"))?;
    let card = channels.format.teams_reminder(reminder);
    bot.send_card(&BotConversation::Conversation(conversation), &card)
        .await
        .map(|_| ())
}

/// One email per person asked, each with their own links (an escalation target's carry index
/// `approvers.len() + j`, which only an escalated request accepts), ten at a time.
async fn by_email(
    channels: &ReminderChannels<'_>,
    record: &ApprovalRecord,
    reminder: &Reminder,
) -> Vec<Result<(), HitlError>> {
    let Some(mail) = &channels.mail else {
        return vec![Err(missing(
            "email (SenderEmail and the link signing keys)",
        ))];
    };
    let links = personal_links(record, reminder, &mail.links);
    let emails = match channels.format.reminder_emails(reminder, &links, mail.from) {
        Ok(emails) => emails,
        Err(err) => return vec![Err(err)],
    };
    stream::iter(&emails)
        .map(|email| async { mail.sender.send(email).await.map(|_| ()) })
        .buffered(MAX_PARALLEL_SENDS)
        .collect()
        .await
}

/// The links of the people `reminder` asks: each waiting approver's own, and each escalation
/// target's (signed for the index past the approvers that `ApprovalRecord::link_approver` reads).
pub fn personal_links(
    record: &ApprovalRecord,
    reminder: &Reminder,
    settings: &LinkSettings<'_>,
) -> CreateLinksOutput {
    let mut widened = record.clone();
    if record.reminder_state.escalated_at.is_some() {
        let targets = record.reminders.iter().flat_map(|r| &r.escalate_to);
        widened.approvers.extend(targets.cloned());
    }
    let mut links = links_of(&widened, settings);
    let asked = |who: &str| {
        let mut asked = reminder.waiting.iter().chain(&reminder.escalation);
        asked.any(|a| a.eq_ignore_ascii_case(who))
    };
    let mut seen = Vec::new();
    links.links.retain(|l| {
        let first = !seen.contains(&l.approver.to_ascii_lowercase());
        seen.push(l.approver.to_ascii_lowercase());
        first && asked(&l.approver)
    });
    links
}
