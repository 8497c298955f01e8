//! Deciding inside Teams: a card the bot sent carries `Action.Execute` buttons, and Teams sends
//! each click to the bot's messaging endpoint as an `adaptiveCard/action` invoke, signed by the
//! Bot Framework. The endpoint verifies the token (`saas_adapters::teams::bot_auth`), reads the
//! action (`channels::teams`) and hands it here as a [`CardAction`]: who clicked is known, so
//! a decision made here is recorded as that person, verified.
//!
//! [`answer_card_action`] answers with the card this person should now see (Teams shows it to
//! them at once); everyone else's copy is brought up to date by the Decision Relay through
//! [`TeamsCardOutcome`], and each approver's by the card's `refresh`.
//!
//! A request with a quorum counts each approver's vote ([`crate::quorum`]): while it is open,
//! a voter sees their vote and the progress, the others the progress with the buttons (the
//! shared card is updated for everyone when a bot is at hand, [`answer_and_share`]); once
//! settled, the card lists the votes.

use serde_json::{Map, Value};

use crate::ports::{CardRefusal, ChatApprovals, TeamsBot, TeamsBotFormat, WorkflowResumer};
use crate::{ApprovalId, ApprovalRecord, Channel, HitlError, TeamsUser};

mod decide;
mod outcome;
#[cfg(test)]
mod tests;
mod votes;
pub use outcome::{outcome_line, progress_line, vote_lines, TeamsCardOutcome};

/// What a card action asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardVerb {
    /// A choice button (verb `decide`): the button's value.
    Decide { value: String },
    /// Teams asking for the card as this user should see it now (verb `refresh`: an approver
    /// opening the conversation, or the card's own refresh).
    Refresh,
}

/// One verified card action: the Bot Framework token checked (signature, issuer, audience,
/// expiry, service URL, our tenant) before it is built.
#[derive(Debug, Clone, PartialEq)]
pub struct CardAction {
    /// The request the card asks about (the action's `data.approvalId`).
    pub approval_id: ApprovalId,
    pub verb: CardVerb,
    /// The card's input values by input id (the follow-up question's answer, when asked).
    pub inputs: Map<String, Value>,
    /// Who clicked: `from.aadObjectId`, `from.name`, the conversation's tenant.
    pub user: TeamsUser,
    /// The conversation the card is in (`conversation.id`).
    pub conversation_id: String,
    /// The card's activity id (`replyToId`), when Teams sends it.
    pub card_activity_id: Option<String>,
}

/// The card input that carries the follow-up question's answer.
pub const FOLLOW_UP_INPUT: &str = "followUp";

/// Answers a verified card action with the card this person should now see. One read of the
/// record first: an unknown request, or a card the bot did not send to this conversation, is
/// refused with nothing else read or written. A refresh changes nothing. A choice is recorded
/// (first decision wins) only from an allowed person, on an open request, for one of its
/// choices; then the waiting Task is resumed (or the relay does it). A follow-up answer that
/// does not fit the question is `Hitl.InvalidInput` (its text says why), nothing recorded.
pub async fn answer_card_action(
    action: CardAction,
    store: &dyn ChatApprovals,
    resumer: &dyn WorkflowResumer,
    format: &dyn TeamsBotFormat,
    now: i64,
) -> Result<Value, HitlError> {
    answer_and_share(action, store, resumer, format, None, now).await
}

/// [`answer_card_action`], and, with `bot`, a vote counted on a request with a quorum also
/// updates the shared card for everyone (the progress, buttons kept). Without one, each
/// approver sees the progress when Teams refreshes the card for them.
pub async fn answer_and_share(
    action: CardAction,
    store: &dyn ChatApprovals,
    resumer: &dyn WorkflowResumer,
    format: &dyn TeamsBotFormat,
    bot: Option<&dyn TeamsBot>,
    now: i64,
) -> Result<Value, HitlError> {
    let unknown = || Ok(format.bot_refusal_card(None, &CardRefusal::UnknownCard));
    let Some(record) = store.get(&action.approval_id).await? else {
        return unknown();
    };
    let Some(record) = as_card_sees_it(record, &action) else {
        tracing::warn!(approval_id = %action.approval_id, conversation = %action.conversation_id, "Teams card action on a card the bot did not send there");
        return unknown();
    };
    let Some(shown) = shown(&record) else {
        return unknown();
    };
    match &action.verb {
        CardVerb::Refresh => Ok(refreshed(&record, &shown, &action.user, format, now)),
        CardVerb::Decide { value } => {
            let card = Card {
                record,
                shown,
                format,
                bot,
            };
            decide::decide(card, &action, value, store, resumer, now).await
        }
    }
}

/// A bot card's record, what the card showed when it was sent, and how cards are rendered.
pub(crate) struct Card<'a> {
    pub record: ApprovalRecord,
    pub shown: Value,
    pub format: &'a dyn TeamsBotFormat,
    /// Updates the shared card when a vote is counted (none: the relay and refreshes do).
    pub bot: Option<&'a dyn TeamsBot>,
}

impl Card<'_> {
    /// The card with its buttons gone and the final outcome (or the expiry) at the end, and
    /// the votes of a request with a quorum.
    pub fn outcome(&self, now: i64) -> Value {
        outcome::final_card(self.format, &self.shown, &self.record, now)
    }

    /// The card over `stored` (the record as the store has it now), seen as this card sees
    /// it: a companion card keeps its own message and what it showed.
    pub fn with(self, stored: ApprovalRecord) -> Self {
        let record = self.view_of(stored);
        Card { record, ..self }
    }

    /// `stored` as this card sees it (see [`as_card_sees_it`]).
    pub fn view_of(&self, stored: ApprovalRecord) -> ApprovalRecord {
        match self.record.companions.first() {
            Some(c) if self.record.is_companion_view() => stored.companion_view(c),
            _ => stored,
        }
    }

    /// The outcome card with a notice saying why the action changed nothing.
    pub fn refused_after_outcome(&self, refusal: CardRefusal, now: i64) -> Value {
        self.format
            .bot_refusal_card(Some(&self.outcome(now)), &refusal)
    }
}

/// The card as this person should see it now; nothing is written.
fn refreshed(
    record: &ApprovalRecord,
    shown: &Value,
    user: &TeamsUser,
    format: &dyn TeamsBotFormat,
    now: i64,
) -> Value {
    if record.decision.is_some() || expired(record, now) {
        return outcome::final_card(format, shown, record, now);
    }
    if record.quorum.is_some() {
        return votes::refreshed(record, shown, user, format);
    }
    match allowed(record, user) {
        true => shown.clone(),
        // Its buttons would be refused anyway: say so before anyone clicks.
        false => format.bot_refusal_card(Some(shown), &CardRefusal::NotAllowed),
    }
}

/// Whether the request can no longer be decided in time: expired by the clock, or the relay
/// has begun telling the Task it expired (as final as the clock, whatever this clock says).
pub(crate) fn expired(record: &ApprovalRecord, now: i64) -> bool {
    record.decision.is_none()
        && (record.is_expired(now) || record.delivery.expiry_claimed_at.is_some())
}

/// Whether `user` may decide: anyone in the conversation when the request named nobody, else
/// only one of the approvers resolved when it was made (by Entra object id); with a quorum,
/// someone with a slot to fill ([`crate::quorum::may_vote`]: not the requester; escalation
/// targets once escalated).
pub(crate) fn allowed(record: &ApprovalRecord, user: &TeamsUser) -> bool {
    match record.quorum {
        Some(_) => crate::quorum::may_vote(record, &votes::voter(record, user)),
        // The requester (stored by object id) has no say in a first-answer request either.
        // Or, once the request escalated, one of its escalation targets (`may_vote`).
        None => {
            !crate::quorum::is_requester(record, &user.object_id)
                && (record.teams_approvers.is_empty()
                    || crate::quorum::may_vote(record, &votes::voter(record, user)))
        }
    }
}

/// The request's approver entry for `user` (with their user principal name).
pub(crate) fn approver<'r>(record: &'r ApprovalRecord, user: &TeamsUser) -> Option<&'r TeamsUser> {
    record
        .teams_approvers
        .iter()
        .find(|a| a.object_id.eq_ignore_ascii_case(&user.object_id))
}

/// What the card showed when the bot sent it (kept by Request Action as the card's JSON).
fn shown(record: &ApprovalRecord) -> Option<Value> {
    serde_json::from_str(record.message_shown.as_deref()?).ok()
}

/// The record as the acted-on card sees it: the request's own bot card, or a Teams companion
/// of a request made by Create Approval Links (its [`ApprovalRecord::companion_view`]: its
/// message, what it showed, and the same slots as the email links and Slack fill). `None`: the
/// bot sent no card of this request there.
pub(crate) fn as_card_sees_it(
    record: ApprovalRecord,
    action: &CardAction,
) -> Option<ApprovalRecord> {
    if sent_here(&record, action) {
        return Some(record);
    }
    record
        .companions
        .iter()
        .filter(|c| c.channel == Channel::Teams)
        .map(|c| record.companion_view(c))
        .find(|view| sent_here(view, action))
}

/// Whether the action comes from the very card the bot sent for this request: a Teams request
/// whose message is a bot card, in the action's conversation, and (when Teams names it) the same
/// activity. In a channel Teams names the conversation of a card the bot posted as the
/// channel's id with `;messageid=<the post's activity id>`: that id must be the card's too.
pub(crate) fn sent_here(record: &ApprovalRecord, action: &CardAction) -> bool {
    let Some(message) = record.message.as_ref() else {
        return false;
    };
    if record.origin != Channel::Teams || !is_bot_card(&message.ts) {
        return false;
    }
    let (base, thread) = split_thread(&action.conversation_id);
    let same_conversation = match split_thread(&message.channel) {
        // Stored with its thread: the very same conversation.
        (_, Some(_)) => message.channel == action.conversation_id,
        (stored, None) => stored == base && thread.is_none_or(|root| root == message.ts),
    };
    let same_activity = action
        .card_activity_id
        .as_ref()
        .is_none_or(|id| *id == message.ts);
    same_conversation && same_activity
}

/// A conversation id and the thread it names, if any (`19:…@thread.tacv2;messageid=123`).
fn split_thread(conversation_id: &str) -> (&str, Option<&str>) {
    match conversation_id.split_once(";messageid=") {
        Some((base, root)) => (base, Some(root)),
        None => (conversation_id, None),
    }
}

/// Whether a Teams message's `ts` is a card the bot sent (an activity id), not a webhook post or
/// a 1:1 message with personal links (kept as `webhook` and `bot`: nothing to update).
pub fn is_bot_card(ts: &str) -> bool {
    // The DynamoDB store states the same rule in its settle condition (`dynamodb_delivery`).
    !matches!(ts, "webhook" | crate::use_cases::teams::BOT_MESSAGE_TS)
}
