//! A bot card of a request with a quorum while it is open: a voter sees their vote and the
//! progress (no buttons: a second vote would change nothing), everyone else the progress with
//! the buttons; a vote counted updates the shared card for everyone when a bot is at hand.
//! Who may vote, and why not, are the Slack click's rules ([`crate::quorum`]).

use serde_json::Value;

use super::decide::clicked;
use super::{outcome, Card};
use crate::approval::rfc3339;
use crate::ports::{CardRefusal, ChatApprovals, TeamsBot, TeamsBotFormat};
use crate::quorum::{self, Vote};
use crate::use_cases::slack_click::{earlier_vote, no_vote as why_no_vote, ClickRefusal};
use crate::{ApprovalRecord, Channel, Decision, MessageRef, RecordedDecision, TeamsUser};

/// `user` as a voter (their identities: object id, and the UPN they were resolved with).
pub(super) fn voter(record: &ApprovalRecord, user: &TeamsUser) -> RecordedDecision {
    clicked(record, user, Decision::Approve, None, 0)
}

/// The card as everyone sees it now: with the progress while a request with a quorum is open.
fn shared(card: &Card<'_>) -> Value {
    match quorum::tally_of(&card.record) {
        Some(tally) if card.record.decision.is_none() => {
            let line = outcome::progress_line(&tally);
            card.format.bot_progress_card(&card.shown, &line)
        }
        _ => card.shown.clone(),
    }
}

/// The card for someone who may not vote, saying why, over the card as everyone sees it.
pub(super) fn no_vote(card: &Card<'_>, user: &TeamsUser) -> Value {
    let refusal = match card.record.quorum {
        None => CardRefusal::NotAllowed,
        Some(_) => match why_no_vote(&card.record, &voter(&card.record, user)) {
            ClickRefusal::Requester => CardRefusal::Requester,
            ClickRefusal::SlotFilled { .. } => CardRefusal::SlotFilled,
            ClickRefusal::NoSlotLeft => CardRefusal::NoSlotLeft,
            _ => CardRefusal::NotAllowed,
        },
    };
    card.format.bot_refusal_card(Some(&shared(card)), &refusal)
}

/// The card for a voter who voted already on an open request with a quorum: their vote and the
/// progress; told that a second vote changes nothing unless it is the same choice clicked again
/// (Teams resending the invoke). `None`: no quorum, decided, or no vote of theirs.
pub(super) fn voted_already(card: &Card<'_>, user: &TeamsUser, value: &str) -> Option<Value> {
    if card.record.quorum.is_none() || card.record.decision.is_some() {
        return None;
    }
    let earlier = earlier_vote(&card.record, &voter(&card.record, user))?;
    let view = voter_view(card, earlier);
    let same = earlier.decision.decided_by.channel == Channel::Teams
        && earlier.decision.decision.as_str() == value;
    Some(match same {
        true => view,
        false => card
            .format
            .bot_refusal_card(Some(&view), &CardRefusal::AlreadyVoted),
    })
}

/// What a voter sees while the request is open: no buttons, their vote and the progress.
fn voter_view(card: &Card<'_>, vote: &Vote) -> Value {
    let d = &vote.decision;
    let channel = match d.decided_by.channel {
        Channel::Email => " by email",
        Channel::Slack => " in Slack",
        Channel::Teams => "",
    };
    let progress = quorum::tally_of(&card.record)
        .map(|t| outcome::progress_line(&t))
        .unwrap_or_default();
    let line = format!(
        "You {}{channel} at {}. {progress}",
        d.decision.past_tense(),
        rfc3339(d.decided_at)
    );
    card.format.bot_outcome_card(&card.shown, &line)
}

/// A vote counted, the request still open: the shared card shows the progress to everyone
/// (with a bot at hand), and the voter sees their vote.
pub(super) async fn counted(
    card: Card<'_>,
    user: &TeamsUser,
    store: &dyn ChatApprovals,
    now: i64,
) -> Value {
    tracing::info!(approval_id = %card.record.approval_id, "vote counted from a Teams card");
    if let (Some(bot), Some(at)) = (card.bot, card.record.message.as_ref()) {
        share(bot, &card, at, store, now).await;
    }
    match earlier_vote(&card.record, &voter(&card.record, user)) {
        Some(vote) => voter_view(&card, vote),
        None => shared(&card),
    }
}

/// Updates the shared card with the progress. Another vote may have landed, or settled the
/// request, between our write and our update: one read after it says what to show instead, so
/// a settled card is never left showing buttons. Failures are logged: the votes are recorded,
/// and the relay replaces the card once settled.
async fn share(
    bot: &dyn TeamsBot,
    card: &Card<'_>,
    at: &MessageRef,
    store: &dyn ChatApprovals,
    now: i64,
) {
    update(bot, at, &shared(card), card).await;
    let Ok(Some(record)) = store.get(&card.record.approval_id).await else {
        return;
    };
    let again = Card {
        record: card.view_of(record),
        shown: card.shown.clone(),
        format: card.format,
        bot: None,
    };
    if again.record.decision.is_some() {
        update(bot, at, &again.outcome(now), card).await;
    } else if again.record.votes.len() != card.record.votes.len() {
        update(bot, at, &shared(&again), card).await;
    }
}

async fn update(bot: &dyn TeamsBot, at: &MessageRef, shown: &Value, card: &Card<'_>) {
    if let Err(err) = bot.update_card(at, shown).await {
        tracing::warn!(approval_id = %card.record.approval_id, error = err.name(), "shared Teams card not updated with the progress");
    }
}

/// The card as `user` should see it on an open request with a quorum (a refresh): their vote,
/// or the progress with the buttons, or why they may not vote.
pub(super) fn refreshed(
    record: &ApprovalRecord,
    shown: &Value,
    user: &TeamsUser,
    format: &dyn TeamsBotFormat,
) -> Value {
    let card = Card {
        record: record.clone(),
        shown: shown.clone(),
        format,
        bot: None,
    };
    let as_voter = voter(record, user);
    if let Some(vote) = earlier_vote(record, &as_voter) {
        return voter_view(&card, vote);
    }
    match quorum::may_vote(record, &as_voter) {
        true => shared(&card),
        false => no_vote(&card, user),
    }
}
