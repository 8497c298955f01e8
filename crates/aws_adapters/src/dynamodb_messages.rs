//! Chat messages on the approvals table: which message asked, and the sparse `OpenMessages`
//! index of messages that still show buttons, for the expiry sweep.

use approvals::approval::{ChannelIdentities, Companion};
use approvals::ports::{ExpiredMessage, MessageStore};
use approvals::{ApprovalId, HitlError, MessageRef};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use crate::dynamodb_item::{corrupt, from_item, get_s, key, n, s};
use crate::dynamodb_store::{is_conditional_failure, DynamoApprovalStore};
use crate::sdk_errors::classify;

/// The sparse index of open chat messages: only items with `openMessage` are in it, keyed by
/// expiry, so the sweep reads just the expired ones (see `template.yaml`).
pub const OPEN_MESSAGES_INDEX: &str = "OpenMessages";
/// The value of `openMessage`: the one partition of the index (volumes are human-sized).
const OPEN: &str = "open";

#[async_trait]
impl MessageStore for DynamoApprovalStore {
    async fn attach_message(
        &self,
        approval_id: &ApprovalId,
        message: &MessageRef,
        shown: Option<&str>,
    ) -> Result<(), HitlError> {
        let open = shown.is_some();
        // Kept under its first name, `messageBlocks` (Slack's blocks were the first thing shown).
        let shown = shown.unwrap_or_default();
        let attach = |open: bool| {
            let (set, condition) = if open {
                (
                    "SET messageChannel = :c, messageTs = :t, messageBlocks = :b, openMessage = :o",
                    "attribute_exists(approvalId) AND attribute_not_exists(decision)",
                )
            } else {
                (
                    "SET messageChannel = :c, messageTs = :t, messageBlocks = :b",
                    "attribute_exists(approvalId)",
                )
            };
            let mut update = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(approval_id)))
                .update_expression(set)
                .condition_expression(condition)
                .expression_attribute_values(":c", s(&message.channel))
                .expression_attribute_values(":t", s(&message.ts))
                .expression_attribute_values(":b", s(shown));
            if open {
                update = update.expression_attribute_values(":o", s(OPEN));
            }
            update.send()
        };
        // A message with nothing shown (kept for an idempotent retry) has no buttons to close.
        match attach(open).await {
            Ok(_) => return Ok(()),
            // A click already decided (it can beat this write): keep the message, not open.
            Err(e) if is_conditional_failure(&e) => {}
            Err(e) => return Err(classify("DynamoDB", e)),
        }
        match attach(false).await {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => {
                Err(HitlError::NotFound(approval_id.to_string()))
            }
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn expired_open_messages(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<ApprovalId>, HitlError> {
        self.due_in_index(
            OPEN_MESSAGES_INDEX,
            ("openMessage", OPEN),
            "expiresAt",
            now,
            limit,
        )
        .await
    }

    async fn claim_message_close(
        &self,
        approval_id: &ApprovalId,
        now: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError> {
        // The index is eventually consistent; this conditional write is not, so a decision
        // recorded in time always wins over the sweep.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .update_expression("REMOVE openMessage SET messageClosedAt = :now")
            .condition_expression(
                "attribute_exists(openMessage) AND attribute_not_exists(decision) AND expiresAt <= :now",
            )
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let item = match result {
            Ok(out) => out.attributes().cloned().ok_or_else(|| corrupt("item"))?,
            Err(e) if is_conditional_failure(&e) => return Ok(None),
            Err(e) => return Err(classify("DynamoDB", e)),
        };
        let record = from_item(&item)?;
        let message = record.message.ok_or_else(|| corrupt("messageTs"))?;
        let shown = get_s(&item, "messageBlocks").unwrap_or_default();
        Ok(Some(ExpiredMessage {
            approval_id: record.approval_id,
            title: record.title,
            expires_at: record.expires_at,
            message,
            shown,
            origin: record.origin,
        }))
    }

    async fn release_message_close(&self, approval_id: &ApprovalId) -> Result<(), HitlError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .update_expression("SET openMessage = :o REMOVE messageClosedAt")
            .condition_expression("attribute_exists(approvalId) AND attribute_not_exists(decision)")
            .expression_attribute_values(":o", s(OPEN))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn attach_companion(
        &self,
        approval_id: &ApprovalId,
        companion: &Companion,
        identities: &ChannelIdentities,
        now: i64,
    ) -> Result<(), HitlError> {
        // In `dynamodb_companions`, with how companions are laid out.
        self.add_companion(approval_id, companion, identities, now)
            .await
    }
}
