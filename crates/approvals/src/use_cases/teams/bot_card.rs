//! Teams Request Action through the bot: the card goes, as the bot, to a channel or group chat
//! it is installed in (`conversationId`) or to one person's 1:1 chat with it (`user`), with
//! `Action.Execute` buttons whose clicks come back signed with the clicker's identity
//! ([`crate::use_cases::teams_card`]). The approvers are resolved to their Entra identity
//! before anything is stored, so a click counts by object id; no email is sent.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{attach_token, earlier_attempt, waiting, TeamsRequest, TeamsRequestActionOutput};
use crate::approval::team::own_choices;
use crate::ports::{BotConversation, ChatApprovals, TeamsBot, TeamsBotFormat};
use crate::quorum;
use crate::use_cases::{links_of, new_request_record, LinkSettings};
use crate::{ApprovalRecord, Channel, CreateLinksInput, HitlError, TeamsUser};

/// The most users a card's `refresh` may name (Teams' limit): beyond it, the others see the
/// card as sent until they act on it.
pub const MAX_REFRESH_USERS: usize = 60;
/// Approvers the bot looks up at once (as Send Email sends its emails).
pub const MAX_PARALLEL_LOOKUPS: usize = 10;

/// The bot and what its cards say, as Request Action uses them.
#[derive(Clone, Copy)]
pub struct BotChat<'a> {
    pub bot: &'a dyn TeamsBot,
    pub format: &'a dyn TeamsBotFormat,
}

/// Teams Request Action through the bot (the deployment has one, and the request names
/// `conversationId` or `user`): resolves the approvers (and `user`) to their Entra identity,
/// stores the request with them and the task token, sends the card and keeps where it landed
/// and what it showed, so the card can be brought up to date after the outcome. A person the
/// bot cannot resolve fails the Task with the bot's error (`Teams.UserNotFound`) before
/// anything is stored. With a `requestKey`, a retry reuses the first attempt's request and
/// sends nothing twice once the card is kept.
pub async fn request_action_via_bot(
    request: TeamsRequest,
    settings: &LinkSettings<'_>,
    store: &dyn ChatApprovals,
    chat: BotChat<'_>,
    approval_id: String,
    now: i64,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let settings = LinkSettings {
        origin: Channel::Teams,
        ..*settings
    };
    let approval_id = request.keyed_id(approval_id);
    let record = match earlier_attempt(&request, &approval_id, store).await? {
        Some(record) => record,
        None => {
            let record = new_record(&request, &settings, chat.bot, approval_id, now).await?;
            store.create(&record).await?;
            record
        }
    };
    let to = destination(&request, &record)?;
    let links = links_of(&record, &settings);
    let refresh_for =
        &record.teams_approvers[..record.teams_approvers.len().min(MAX_REFRESH_USERS)];
    let follow_up = record.follow_up.as_ref();
    let card = chat
        .format
        .bot_request_card(&links, &request.facts, follow_up, refresh_for)?;
    let record = attach_token(&links, &request, store, now).await?;
    // An earlier attempt that kept its card sent it.
    if record.message.is_none() {
        let sent = chat.bot.send_card(&to, &card).await?;
        tracing::info!(approval_id = %links.approval_id, conversation = %sent.message.channel, "Teams approval card sent by the bot");
        // The card as posted (the bot names the refresh's users as the conversation's
        // members): what a refresh shows again and the outcome is made from.
        let shown = sent.card.to_string();
        store
            .attach_message(&record.approval_id, &sent.message, Some(&shown))
            .await?;
    }
    Ok(waiting(links))
}

/// The request's record, not stored yet, with its approvers resolved by the bot, and its team
/// rules checked against them (its slots are the resolved people).
async fn new_record(
    request: &TeamsRequest,
    settings: &LinkSettings<'_>,
    bot: &dyn TeamsBot,
    approval_id: String,
    now: i64,
) -> Result<ApprovalRecord, HitlError> {
    // The team fields may name people by object id: they are checked below, once resolved.
    let input = CreateLinksInput {
        quorum: None,
        requested_by: None,
        reminders: None,
        ..request.links_input()
    };
    let buttons = request.buttons.clone();
    let mut record = new_request_record(input, buttons, settings, approval_id, now)?;
    (record.teams_approvers, record.approvers) = resolved(request, bot).await?;
    let mut team = request.team.clone();
    // A click carries only the clicker's object id and name: the requester and the escalation
    // targets are kept as the object ids the bot resolves them to (a failure fails the Task).
    team.requested_by = match team.requested_by {
        Some(who) => Some(object_id(bot.resolve_user(&who).await?)),
        None => None,
    };
    if let Some(targets) = team.reminders.as_mut().and_then(|r| r.escalate_to.as_mut()) {
        let found: Vec<TeamsUser> = lookups(targets.iter().map(String::as_str), bot).await?;
        *targets = unique(found).into_iter().map(object_id).collect();
    }
    record.requested_by = team.requested_by.clone();
    let slots = quorum::slots(&record).len();
    let own = own_choices(record.buttons.iter().map(|b| b.value.as_str()));
    record.set_team_rules(team.rules(slots, "approvers", own)?);
    Ok(record)
}

fn object_id(person: TeamsUser) -> String {
    person.object_id.to_ascii_lowercase()
}

/// `named`, each resolved by the bot, [`MAX_PARALLEL_LOOKUPS`] at a time, in order: the first
/// failure (in that order) is the error.
pub(super) async fn lookups<'a>(
    named: impl Iterator<Item = &'a str>,
    bot: &dyn TeamsBot,
) -> Result<Vec<TeamsUser>, HitlError> {
    stream::iter(named)
        .map(|who| bot.resolve_user(who))
        .buffered(MAX_PARALLEL_LOOKUPS)
        .try_collect()
        .await
}

/// `people` told apart by object id, in order.
fn unique(people: Vec<TeamsUser>) -> Vec<TeamsUser> {
    let mut kept: Vec<TeamsUser> = Vec::new();
    for person in people {
        if !kept
            .iter()
            .any(|p| p.object_id.eq_ignore_ascii_case(&person.object_id))
        {
            kept.push(person);
        }
    }
    kept
}

/// Every approver (by address, then by object id), resolved [`MAX_PARALLEL_LOOKUPS`] at a
/// time and told apart by object id, in the order named: the first failure (in that order) is
/// the Task's error. Also the addresses kept: the i-th names the i-th person (a second name of
/// someone named already is dropped with them), which is how a slot knows its person's
/// personal link (`quorum::slots`): by position, so positions must not shift.
async fn resolved(
    request: &TeamsRequest,
    bot: &dyn TeamsBot,
) -> Result<(Vec<TeamsUser>, Vec<String>), HitlError> {
    let named = request
        .approvers
        .iter()
        .map(|a| a.as_str())
        .chain(request.approver_ids.iter().map(String::as_str));
    // Fifty approvers take five rounds of one lookup each, not fifty lookups in a row.
    let found = lookups(named, bot).await?;
    let mut addresses = Vec::new();
    for (i, person) in found.iter().enumerate() {
        let first = !found[..i]
            .iter()
            .any(|p| p.object_id.eq_ignore_ascii_case(&person.object_id));
        if let (true, Some(address)) = (first, request.approvers.get(i)) {
            addresses.push(address.as_str().to_string());
        }
    }
    Ok((unique(found), addresses))
}

/// Where the card goes: the conversation named, or `user`'s 1:1 chat (`user` is the request's
/// one approver, resolved with it).
fn destination(
    request: &TeamsRequest,
    record: &ApprovalRecord,
) -> Result<BotConversation, HitlError> {
    match (&request.conversation_id, &request.user) {
        (Some(id), _) => Ok(BotConversation::Conversation(id.clone())),
        (None, Some(_)) => record
            .teams_approvers
            .first()
            .cloned()
            .map(BotConversation::User)
            .ok_or_else(|| HitlError::invalid_input("the request has no resolved user (it was first stored without user: use another requestKey)")),
        (None, None) => Err(HitlError::invalid_input(
            "a card sent by the bot needs conversationId (a channel or group chat the bot is installed in) or user",
        )),
    }
}

#[cfg(test)]
mod team_tests;
#[cfg(test)]
mod tests;
