//! Deliveries on the approvals table: leases tied to the task token they deliver, and the
//! sparse `Redrive` index (`redrive` + `redriveAt`) of records with work left. Every rule here
//! is a condition expression, so it holds however many deliverers race.

use approvals::ports::{DeliveryClaim, DeliveryStore, FinalDelivery};
use approvals::{
    ApprovalId, ApprovalRecord, DeliveryFailure, HitlError, MessageUpdateFailure, TaskToken,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use crate::dynamodb_item::{get_n, get_s, n, s, Item, DUE};
use crate::dynamodb_store::{DynamoApprovalStore, RELAY_INDEX};

/// No live lease on this token: none, run out, or taken for another token.
const LEASE_FREE: &str =
    "(attribute_not_exists(leaseUntil) OR leaseUntil <= :now OR leaseToken <> :token)";
const TAKE_LEASE: &str = "SET leaseToken = :token, leaseUntil = :until, redrive = :due, redriveAt = :until, deliveryAttempts = if_not_exists(deliveryAttempts, :zero) + :one";

/// [`approvals::ApprovalRecord::is_settled`] as a condition expression. Undecided: the Task
/// told (or none waits), and a Teams bot card or companions show the expiry; decided:
/// delivered (or late, or given up), and every updatable message shows the outcome (or its
/// update was given up).
const SETTLED: &str = "attribute_exists(approvalId) AND (\
(attribute_not_exists(decision) AND (attribute_not_exists(taskToken) OR attribute_exists(expirySentAt) OR attribute_exists(deliveryFailedAt)) \
AND (((attribute_not_exists(messageTs) OR origin <> :teams OR messageTs IN (:webhook, :bot)) AND attribute_not_exists(companions)) \
OR attribute_exists(messageUpdatedAt) OR attribute_exists(messageUpdateFailedAt))) \
OR (attribute_exists(decision) AND attribute_not_exists(taskToken)) \
OR (attribute_exists(decision) AND (attribute_exists(deliveredAt) OR attribute_exists(lateAt) OR attribute_exists(deliveryFailedAt)) \
AND (((attribute_not_exists(messageTs) OR (origin <> :slack AND (origin <> :teams OR messageTs IN (:webhook, :bot)))) AND attribute_not_exists(companions)) \
OR attribute_exists(messageUpdatedAt) OR attribute_exists(messageUpdateFailedAt))))";

/// [`approvals::ApprovalRecord::progress_open`] as a condition expression: a request with a
/// quorum, undecided, not expired at `:now` (nor its expiry claimed), whose Teams bot card or
/// companions show no outcome yet (nor was it given up).
const PROGRESS_OPEN: &str = "attribute_exists(quorumApprovals) AND attribute_not_exists(decision) \
AND attribute_not_exists(expiryClaimedAt) AND expiresAt > :now \
AND ((origin = :teams AND attribute_exists(messageTs) AND NOT messageTs IN (:webhook, :bot)) \
OR attribute_exists(companions)) \
AND attribute_not_exists(messageUpdatedAt) AND attribute_not_exists(messageUpdateFailedAt)";
/// The card shows no more votes than `:votes`: a progress may be recorded over it.
const NO_NEWER_PROGRESS: &str =
    "(attribute_not_exists(messageProgressVotes) OR messageProgressVotes <= :votes)";
/// The card shows fewer votes than are counted.
const PROGRESS_BEHIND: &str = "((attribute_not_exists(messageProgressVotes) AND voteCount > :zero) OR voteCount > messageProgressVotes)";

#[async_trait]
impl DeliveryStore for DynamoApprovalStore {
    async fn claim_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<Option<DeliveryClaim>, HitlError> {
        let old = self
            .update(
                approval_id,
                TAKE_LEASE,
                &format!("taskToken = :token AND attribute_exists(decision) AND attribute_not_exists(deliveredAt) AND attribute_not_exists(lateAt) AND attribute_not_exists(deliveryFailedAt) AND {LEASE_FREE}"),
                lease_values(token, now, until),
                ReturnValue::AllOld,
            )
            .await?;
        Ok(old.map(|old| DeliveryClaim {
            takeover: get_s(&old, "leaseToken").as_deref() == Some(token.as_str()),
        }))
    }

    async fn finish_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        outcome: FinalDelivery,
        now: i64,
    ) -> Result<(), HitlError> {
        // "Late" is inferred from "no longer waiting", and a slower deliverer can infer it after
        // another delivered: a delivery wins over it, whatever the order.
        let (update, condition) = match outcome {
            FinalDelivery::Delivered => (
                "SET deliveredAt = :now REMOVE leaseToken, leaseUntil, lateAt",
                "taskToken = :token",
            ),
            // Only under this deliverer's own lease (another's takeover records the delivery).
            FinalDelivery::Late { .. } => (
                "SET lateAt = :now REMOVE leaseToken, leaseUntil",
                "taskToken = :token AND attribute_not_exists(deliveredAt) AND leaseUntil = :until",
            ),
        };
        let mut values = vec![(":now", n(now)), (":token", s(token))];
        if let FinalDelivery::Late { lease_until } = outcome {
            values.push((":until", n(lease_until)));
        }
        self.update(approval_id, update, condition, values, ReturnValue::None)
            .await?;
        Ok(())
    }

    async fn release_lease(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        retry_at: i64,
    ) -> Result<(), HitlError> {
        self.update(
            approval_id,
            "SET redrive = :due, redriveAt = :at REMOVE leaseToken, leaseUntil",
            "leaseToken = :token",
            vec![(":due", s(DUE)), (":at", n(retry_at)), (":token", s(token))],
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }

    async fn give_up_delivery(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        let given_up = self
            .update(
                approval_id,
                // Due at once: the relay brings a chat message up to date, or settles it.
                "SET deliveryFailedAt = :now, deliveryFailedReason = :why, redrive = :due, redriveAt = :now REMOVE leaseToken, leaseUntil",
                "taskToken = :token AND attribute_not_exists(deliveredAt) AND attribute_not_exists(lateAt) AND attribute_not_exists(expirySentAt) AND attribute_not_exists(deliveryFailedAt)",
                vec![(":now", n(now)), (":why", s(reason)), (":due", s(DUE)), (":token", s(token))],
                ReturnValue::None,
            )
            .await?;
        if given_up.is_none() {
            return Ok(false);
        }
        // Out of the index now when nothing else is left; if this write fails, the relay does it.
        if let Err(err) = self.settle(approval_id).await {
            tracing::warn!(approval_id = %approval_id, error = err.name(), "given up; the relay settles it");
        }
        Ok(true)
    }

    async fn claim_expiry(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
        until: i64,
    ) -> Result<bool, HitlError> {
        let claimed = self
            .update(
                approval_id,
                // The claim is kept for good: no decision is recorded after it.
                &format!("{TAKE_LEASE}, expiryClaimedAt = if_not_exists(expiryClaimedAt, :now)"),
                &format!("taskToken = :token AND attribute_not_exists(decision) AND expiresAt <= :now AND attribute_not_exists(expirySentAt) AND attribute_not_exists(deliveryFailedAt) AND {LEASE_FREE}"),
                lease_values(token, now, until),
                ReturnValue::None,
            )
            .await?;
        Ok(claimed.is_some())
    }

    async fn finish_expiry(
        &self,
        approval_id: &ApprovalId,
        token: &TaskToken,
        now: i64,
    ) -> Result<(), HitlError> {
        // Another token waits now (a repeated wait): it is told on its own.
        self.update(
            approval_id,
            "SET expirySentAt = :now REMOVE leaseToken, leaseUntil",
            "taskToken = :token",
            vec![(":now", n(now)), (":token", s(token))],
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }

    async fn message_updated(&self, approval_id: &ApprovalId, now: i64) -> Result<(), HitlError> {
        self.update(
            approval_id,
            "SET messageUpdatedAt = :now",
            "attribute_exists(approvalId)",
            vec![(":now", n(now))],
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }

    async fn every_message_updated(
        &self,
        approval_id: &ApprovalId,
        companions: usize,
        now: i64,
    ) -> Result<bool, HitlError> {
        // As many companions as the relay read, or one attached since still shows buttons.
        let (seen, mut values) = match companions {
            0 => ("attribute_not_exists(companions)", vec![]),
            _ => (
                "size(companions) = :seen",
                vec![(":seen", n(companions as i64))],
            ),
        };
        values.push((":now", n(now)));
        let updated = self
            .update(
                approval_id,
                "SET messageUpdatedAt = :now",
                &format!("attribute_exists(approvalId) AND {seen}"),
                values,
                ReturnValue::None,
            )
            .await?;
        Ok(updated.is_some())
    }

    async fn message_update_failed(
        &self,
        approval_id: &ApprovalId,
        retry_at: i64,
    ) -> Result<(), HitlError> {
        self.update(
            approval_id,
            "SET redriveAt = :at, messageUpdateAttempts = if_not_exists(messageUpdateAttempts, :zero) + :one",
            "attribute_exists(redrive)",
            vec![(":at", n(retry_at)), (":zero", n(0)), (":one", n(1))],
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }

    async fn give_up_message_update(
        &self,
        approval_id: &ApprovalId,
        reason: &str,
        now: i64,
    ) -> Result<bool, HitlError> {
        let given_up = self
            .update(
                approval_id,
                "SET messageUpdateFailedAt = :now, messageUpdateFailedReason = :why",
                "attribute_exists(approvalId) AND attribute_not_exists(messageUpdatedAt) AND attribute_not_exists(messageUpdateFailedAt)",
                vec![(":now", n(now)), (":why", s(reason))],
                ReturnValue::None,
            )
            .await?;
        Ok(given_up.is_some())
    }

    async fn settle(&self, approval_id: &ApprovalId) -> Result<bool, HitlError> {
        let settled = self
            .update(
                approval_id,
                "REMOVE redrive, redriveAt",
                SETTLED,
                [(":slack", s("slack"))]
                    .into_iter()
                    .chain(not_bot_card_values())
                    .collect(),
                ReturnValue::None,
            )
            .await?;
        Ok(settled.is_some())
    }

    async fn reschedule(&self, approval_id: &ApprovalId, at: i64) -> Result<(), HitlError> {
        self.update(
            approval_id,
            "SET redriveAt = :at",
            "attribute_exists(redrive)",
            vec![(":at", n(at))],
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }

    async fn progress_due(&self, approval_id: &ApprovalId, now: i64) -> Result<bool, HitlError> {
        let mut values = not_bot_card_values();
        values.extend([(":now", n(now)), (":zero", n(0))]);
        let due = self
            .update(
                approval_id,
                "SET redriveAt = :now",
                &format!("attribute_exists(redrive) AND redriveAt > :now AND {PROGRESS_OPEN} AND {PROGRESS_BEHIND}"),
                values,
                ReturnValue::None,
            )
            .await?;
        Ok(due.is_some())
    }

    async fn progress_shown(
        &self,
        approval_id: &ApprovalId,
        votes: u32,
        now: i64,
    ) -> Result<bool, HitlError> {
        let mut values = not_bot_card_values();
        values.extend([(":now", n(now)), (":votes", n(votes.into()))]);
        // No vote since it was read: back where an open request waits, at its expiry.
        let caught_up = self
            .update(
                approval_id,
                "SET messageProgressVotes = :votes, redriveAt = expiresAt",
                &format!("{PROGRESS_OPEN} AND {NO_NEWER_PROGRESS} AND voteCount = :votes AND attribute_exists(redrive)"),
                values.clone(),
                ReturnValue::None,
            )
            .await?;
        if caught_up.is_some() {
            return Ok(true);
        }
        // A vote since (it made the record due for its own progress), or not in the index.
        let recorded = self
            .update(
                approval_id,
                "SET messageProgressVotes = :votes",
                &format!("{PROGRESS_OPEN} AND {NO_NEWER_PROGRESS}"),
                values,
                ReturnValue::None,
            )
            .await?;
        Ok(recorded.is_some())
    }

    async fn due_for_relay(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        self.due_in_index(RELAY_INDEX, ("redrive", DUE), "redriveAt", now, limit)
            .await
    }
}

/// `:teams`, and the two `messageTs` of a Teams message that is no bot card (`:webhook`, `:bot`:
/// `approvals::use_cases::teams_card::is_bot_card`).
fn not_bot_card_values() -> Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)> {
    vec![
        (":teams", s("teams")),
        (":webhook", s("webhook")),
        (":bot", s(approvals::use_cases::teams::BOT_MESSAGE_TS)),
    ]
}

fn lease_values(
    token: &str,
    now: i64,
    until: i64,
) -> Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)> {
    vec![
        (":token", s(token)),
        (":now", n(now)),
        (":until", n(until)),
        (":due", s(DUE)),
        (":zero", n(0)),
        (":one", n(1)),
    ]
}

/// The message-update bookkeeping of a record, as `to_item` writes it.
pub(crate) fn message_update_attributes(r: &ApprovalRecord) -> Item {
    let mut item = Item::new();
    if r.message_update_attempts > 0 {
        item.insert(
            "messageUpdateAttempts".into(),
            n(r.message_update_attempts.into()),
        );
    }
    if r.message_progress_votes > 0 {
        item.insert(
            "messageProgressVotes".into(),
            n(r.message_progress_votes.into()),
        );
    }
    if let Some(failure) = &r.message_update_failed {
        item.insert("messageUpdateFailedAt".into(), n(failure.at));
        item.insert("messageUpdateFailedReason".into(), s(&failure.reason));
    }
    item
}

/// The delivery given up, as `to_item` writes it (`deliveryFailedAt` and its reason).
pub(crate) fn delivery_failure_attributes(failure: Option<&DeliveryFailure>) -> Item {
    let mut item = Item::new();
    if let Some(failure) = failure {
        item.insert("deliveryFailedAt".into(), n(failure.at));
        item.insert("deliveryFailedReason".into(), s(&failure.reason));
    }
    item
}

/// The delivery given up, if it was (`deliveryFailedAt` and its reason).
pub(crate) fn delivery_failure(item: &Item) -> Result<Option<DeliveryFailure>, HitlError> {
    let Some(at) = get_n(item, "deliveryFailedAt")? else {
        return Ok(None);
    };
    let reason = get_s(item, "deliveryFailedReason").unwrap_or_default();
    Ok(Some(DeliveryFailure { reason, at }))
}

/// The message update given up, if it was (`messageUpdateFailedAt` and its reason).
pub(crate) fn message_update_failure(
    item: &Item,
) -> Result<Option<MessageUpdateFailure>, HitlError> {
    let Some(at) = get_n(item, "messageUpdateFailedAt")? else {
        return Ok(None);
    };
    let reason = get_s(item, "messageUpdateFailedReason").unwrap_or_default();
    Ok(Some(MessageUpdateFailure { reason, at }))
}
