//! A choice clicked on a bot card: the click's own checks, the conditional decision write
//! (first decision wins; with a quorum, a vote), then the delivery to the waiting Task, as a
//! Slack click and a link's POST do.

use serde_json::{Map, Value};

use super::{allowed, approver, expired, votes, Card, CardAction, FOLLOW_UP_INPUT};
use crate::delivery::{deliver_decision, DeliveryOutcome};
use crate::follow_up::FollowUpAnswer;
use crate::ports::{CardRefusal, ChatApprovals, DecisionWrite, WorkflowResumer};
use crate::{ApprovalRecord, Channel, DecidedBy, Decision, HitlError, RecordedDecision, TeamsUser};

/// Decides `value` as the clicker, or answers why not; see [`super::answer_card_action`].
pub(super) async fn decide(
    card: Card<'_>,
    action: &CardAction,
    value: &str,
    store: &dyn ChatApprovals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Result<Value, HitlError> {
    let record = &card.record;
    if !allowed(record, &action.user) {
        tracing::info!(approval_id = %record.approval_id, user = %action.user.object_id, "Teams card action by someone not among the approvers");
        return Ok(votes::no_vote(&card, &action.user));
    }
    if record.decision.is_some() {
        return Ok(already_decided(card, action, value, now));
    }
    if let Some(answer) = votes::voted_already(&card, &action.user, value) {
        return Ok(answer);
    }
    let choice = Decision::from_value(value);
    if !crate::buttons::allows(&record.buttons, &choice) {
        // Our cards only carry the request's own choices: this one was not made by us.
        tracing::warn!(approval_id = %record.approval_id, "Teams card action with a value none of the request's buttons has");
        return Ok(card
            .format
            .bot_refusal_card(None, &CardRefusal::UnknownCard));
    }
    // An answer to an expired request changes nothing: it is not checked (nor kept).
    let follow_up = match expired(record, now) {
        true => None,
        false => follow_up_answer(record, value, &action.inputs)?,
    };
    let recorded = clicked(record, &action.user, choice, follow_up, now);
    let id = record.approval_id.clone();
    let written = match store.record_decision(&id, &recorded, now).await {
        Ok(written) => written,
        Err(err) => read_back(&card, &recorded, err, store).await?,
    };
    Ok(match written {
        DecisionWrite::Recorded(record) => delivered(card, record, store, resumer, now).await,
        DecisionWrite::AlreadyDecided(record) => {
            already_decided(card.with(record), action, value, now)
        }
        // Kept as a late decision (its small audit, nothing typed): nothing changed.
        DecisionWrite::TooLate(record) => card
            .with(record)
            .refused_after_outcome(CardRefusal::Expired, now),
        DecisionWrite::NotFound => card
            .format
            .bot_refusal_card(None, &CardRefusal::UnknownCard),
        DecisionWrite::Counted(record) => {
            votes::counted(card.with(record), &action.user, store, now).await
        }
        DecisionWrite::AlreadyVoted(record) => {
            let card = card.with(record);
            votes::voted_already(&card, &action.user, value)
                .unwrap_or_else(|| votes::no_vote(&card, &action.user))
        }
        DecisionWrite::NoSlot(record) => votes::no_vote(&card.with(record), &action.user),
    })
}

/// The card for a click on a decided request. The clicker's own decision, clicked again (Teams
/// sending the invoke again after a slow answer, or a second click on the same button), is
/// answered with the outcome as it is: telling them "not recorded" would be false. Anyone
/// else's click, or another choice, is told it changed nothing.
fn already_decided(card: Card<'_>, action: &CardAction, value: &str, now: i64) -> Value {
    let same = |d: &RecordedDecision| {
        d.decided_by.channel == Channel::Teams
            && d.decided_by.id.eq_ignore_ascii_case(&action.user.object_id)
            && d.decision.as_str() == value
    };
    // With a quorum, their own vote, counted before another settled it, is theirs too.
    let theirs = card.record.decision.as_ref().is_some_and(same)
        || card.record.votes.iter().any(|v| same(&v.decision));
    match theirs {
        true => card.outcome(now),
        false => card.refused_after_outcome(CardRefusal::AlreadyDecided, now),
    }
}

/// The decision as the verified clicker made it: their Entra object id and name (verified: the
/// id is never `link`), and their user principal name from the approver they were resolved as.
pub(super) fn clicked(
    record: &ApprovalRecord,
    user: &TeamsUser,
    decision: Decision,
    follow_up: Option<FollowUpAnswer>,
    now: i64,
) -> RecordedDecision {
    let upn = approver(record, user).and_then(|a| a.user_principal_name.clone());
    let name = match user.name.trim() {
        "" => approver(record, user).map_or_else(|| user.object_id.clone(), |a| a.name.clone()),
        name => name.to_string(),
    };
    RecordedDecision {
        action: crate::buttons::chosen_action(&record.buttons, &decision),
        decision,
        decided_by: DecidedBy {
            id: user.object_id.clone(),
            name: name.clone(),
            channel: Channel::Teams,
        },
        decided_at: now,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: Some(TeamsUser {
            object_id: user.object_id.clone(),
            name,
            user_principal_name: upn,
            tenant_id: user.tenant_id.clone(),
        }),
        follow_up,
        submission_id: None,
    }
}

/// The follow-up answer typed into the card (input `followUp`), checked as the link page checks
/// it; `None` when the request asks nothing after this choice. A refused answer is
/// `Hitl.InvalidInput` saying why: nothing is recorded and the person may answer again.
fn follow_up_answer(
    record: &ApprovalRecord,
    value: &str,
    inputs: &Map<String, Value>,
) -> Result<Option<FollowUpAnswer>, HitlError> {
    let Some(question) = record.question_after(value) else {
        return Ok(None);
    };
    let typed = match inputs.get(FOLLOW_UP_INPUT) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        // Teams sends inputs as text; a number or a flag is read as its text.
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(_) => return Err(HitlError::invalid_input("The answer must be text.")),
    };
    question
        .answer(typed.as_deref())
        .map(Some)
        .map_err(|refused| HitlError::invalid_input(refused.0))
}

/// The decision write failed, perhaps after it landed (a timeout): one read says what is
/// stored. This very click (same person, choice and time) counts as recorded (with a quorum:
/// as counted when it is among the votes and did not settle it); another decision as first;
/// still undecided: the write's error, so nothing is claimed to be recorded.
async fn read_back(
    card: &Card<'_>,
    recorded: &RecordedDecision,
    failure: HitlError,
    store: &dyn ChatApprovals,
) -> Result<DecisionWrite, HitlError> {
    let record = store
        .get(&card.record.approval_id)
        .await
        .map_err(|_| failure.clone())?
        .ok_or_else(|| failure.clone())?;
    let counted = record.votes.iter().any(|v| v.decision == *recorded);
    match &record.decision {
        Some(stored) if stored == recorded => Ok(DecisionWrite::Recorded(record)),
        Some(_) => Ok(DecisionWrite::AlreadyDecided(record)),
        None if counted => Ok(DecisionWrite::Counted(record)),
        None => Err(failure),
    }
}

/// The clicker's decision is recorded: tell the waiting Task (or leave it to the relay), and
/// answer with the card as it now is for everyone.
async fn delivered(
    card: Card<'_>,
    mut record: ApprovalRecord,
    store: &dyn ChatApprovals,
    resumer: &dyn WorkflowResumer,
    now: i64,
) -> Value {
    tracing::info!(approval_id = %record.approval_id, "decision recorded from a Teams card");
    match deliver_decision(&record, store, resumer, now).await {
        // The Task had stopped waiting (timed out, stopped): the card says so.
        DeliveryOutcome::Late => record.delivery.late_at = Some(now),
        // Step Functions refused it for good: the card never shows it as effective.
        DeliveryOutcome::GaveUp => {
            let reason = "Step Functions refused the decision".to_string();
            record.delivery.failed = Some(crate::DeliveryFailure { reason, at: now });
        }
        _ => {}
    }
    card.with(record).outcome(now)
}
