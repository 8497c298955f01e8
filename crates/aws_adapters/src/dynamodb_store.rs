//! The approval store on DynamoDB. Exactly-once rests on conditional writes: a request is
//! created once, a decision is written only if none exists and the request has not expired,
//! and deliveries are leases (see `dynamodb_delivery`).

use std::collections::HashMap;

use approvals::approval::{LEASE_SECONDS, MAX_LATE_DECISIONS};
use approvals::ports::{ApprovalStore, DecisionWrite};
use approvals::{ApprovalId, ApprovalRecord, HitlError, RecordedDecision, TaskToken};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use crate::dynamodb_item::{
    corrupt, decision_attributes, from_item, get_s, key, late_decision, n, s, to_item, Item, DUE,
};
use crate::sdk_errors::{classify, code};

pub use crate::dynamodb_messages::OPEN_MESSAGES_INDEX;

/// The sparse index of records with delivery work left, keyed by when it is due.
pub const RELAY_INDEX: &str = "Redrive";

pub struct DynamoApprovalStore {
    pub(crate) client: Client,
    pub(crate) table: String,
}

impl DynamoApprovalStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoApprovalStore {
            client,
            table: table.into(),
        }
    }

    /// One conditional `UpdateItem`: the attributes `returning` asks for, or `None` when the
    /// condition did not hold. `values` are `:name` placeholders.
    pub(crate) async fn update(
        &self,
        approval_id: &str,
        update: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
        returning: ReturnValue,
    ) -> Result<Option<Item>, HitlError> {
        let values = values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        self.update_named(
            approval_id,
            update,
            condition,
            Vec::new(),
            values,
            returning,
        )
        .await
    }

    /// [`Self::update`] with `#name` placeholders too (`names`: placeholder, attribute), for
    /// attribute names DynamoDB reserves (`comment`) or made up at run time.
    pub(crate) async fn update_named(
        &self,
        approval_id: &str,
        update: &str,
        condition: &str,
        names: Vec<(String, String)>,
        values: Vec<(String, AttributeValue)>,
        returning: ReturnValue,
    ) -> Result<Option<Item>, HitlError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .update_expression(update)
            .condition_expression(condition)
            .return_values(returning);
        for (name, attribute) in names {
            request = request.expression_attribute_names(name, attribute);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(out) => Ok(Some(out.attributes().cloned().unwrap_or_default())),
            Err(e) if is_conditional_failure(&e) => Ok(None),
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    /// Ids in a sparse index whose one partition is `key`, with `due` at or before `now`,
    /// soonest first, at most `limit`.
    pub(crate) async fn due_in_index(
        &self,
        index: &str,
        key: (&str, &str),
        due: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<ApprovalId>, HitlError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(format!("{} = :key AND {due} <= :now", key.0))
            .expression_attribute_values(":key", s(key.1))
            .expression_attribute_values(":now", n(now))
            .scan_index_forward(true)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", e))?;
        Ok(out
            .items()
            .iter()
            .filter_map(|item| get_s(item, "approvalId"))
            .map(ApprovalId::from)
            .collect())
    }

    async fn append_late_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
    ) -> Result<(), HitlError> {
        // Capped, so a stream of late clicks cannot grow the item without bound.
        self.update(
            approval_id,
            "SET lateDecisions = list_append(if_not_exists(lateDecisions, :empty), :one)",
            "attribute_exists(approvalId) AND attribute_not_exists(decision) AND (attribute_not_exists(lateDecisions) OR size(lateDecisions) < :max)",
            vec![
                (":empty", AttributeValue::L(Vec::new())),
                (":one", AttributeValue::L(vec![late_decision(decision)])),
                (":max", n(MAX_LATE_DECISIONS as i64)),
            ],
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }
}

/// What a new token clears: its delivery starts afresh (see `DeliveryState::restart_for_new_token`).
const NEW_TOKEN: &str =
    "REMOVE deliveredAt, lateAt, leaseToken, leaseUntil, deliveryAttempts, expirySentAt, deliveryFailedAt, deliveryFailedReason";
/// Rounds of read and conditional write `attach_task_token` tries before giving up (each lost
/// round means another writer changed the record between the two).
const ATTACH_ATTEMPTS: usize = 3;

/// The write that attaches `token` to `record` as read, on the condition that the parts it
/// depends on (the token, the decision) are unchanged. Decided: due after one lease, in case
/// the delivery that follows does not happen. Undecided and expired: the wait fails its Task
/// with `Hitl.Expired`, so the expiry is claimed (no decision after it).
fn token_write(
    record: &ApprovalRecord,
    token: &str,
    now: i64,
) -> (String, String, Vec<(&'static str, AttributeValue)>) {
    let mut values = vec![(":token", s(token)), (":due", s(DUE))];
    let mut sets = vec!["taskToken = :token", "redrive = :due"];
    let mut condition = vec!["attribute_exists(approvalId)"];
    if record.decision.is_some() {
        sets.push("redriveAt = :at");
        values.push((":at", n(now + LEASE_SECONDS)));
        condition.push("attribute_exists(decision)");
    } else {
        sets.push("redriveAt = expiresAt");
        condition.push("attribute_not_exists(decision)");
        if record.is_expired(now) {
            sets.push("expiryClaimedAt = if_not_exists(expiryClaimedAt, :now)");
            values.push((":now", n(now)));
        }
    }
    let new_token = record.task_token.as_deref() != Some(token);
    match &record.task_token {
        Some(old) => {
            condition.push("taskToken = :old");
            values.push((":old", s(old)));
        }
        None => condition.push("attribute_not_exists(taskToken)"),
    }
    let update = format!(
        "SET {}{}",
        sets.join(", "),
        if new_token {
            format!(" {NEW_TOKEN}")
        } else {
            String::new()
        }
    );
    (update, condition.join(" AND "), values)
}

pub(crate) fn is_conditional_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    err: &aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    code(err) == Some("ConditionalCheckFailedException")
}

#[async_trait]
impl ApprovalStore for DynamoApprovalStore {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        let mut record = record.clone();
        if record.task_token.is_some() {
            record.delivery.relay_at = Some(record.expires_at);
        }
        crate::dynamodb_reminders::first_reminder(&mut record);
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record)))
            .condition_expression("attribute_not_exists(approvalId)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => {
                // Our own put landed on an attempt whose answer was lost, and the SDK's retry
                // found it: the same request, created once.
                match self.get(&record.approval_id).await? {
                    Some(existing) if existing == record => Ok(()),
                    _ => Err(HitlError::AlreadyExists(record.approval_id.to_string())),
                }
            }
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn get(&self, approval_id: &ApprovalId) -> Result<Option<ApprovalRecord>, HitlError> {
        let record = self
            .read_item(approval_id)
            .await?
            .as_ref()
            .map(from_item)
            .transpose()?;
        if let Some(r) = &record {
            // The rest of the request's log lines name the execution that asked.
            lambda_kit::correlation::record_read(&r.approval_id, r.execution_arn.as_deref());
        }
        Ok(record)
    }

    async fn attach_task_token(
        &self,
        approval_id: &ApprovalId,
        task_token: &TaskToken,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        // The usual first wait: a new token on an open request, due at its expiry (a Task still
        // waiting then is told). One write.
        let first = self
            .update(
                approval_id,
                &format!("SET taskToken = :token, redrive = :due, redriveAt = expiresAt {NEW_TOKEN}"),
                "attribute_exists(approvalId) AND attribute_not_exists(decision) AND expiresAt > :now AND (attribute_not_exists(taskToken) OR taskToken <> :token)",
                vec![(":token", s(task_token)), (":due", s(DUE)), (":now", n(now))],
                ReturnValue::AllNew,
            )
            .await?;
        if let Some(item) = first {
            return from_item(&item).map(Some);
        }
        // Decided already, expired, or the same token again: the write depends on what is
        // stored, so read it and write on the condition that it did not change meanwhile.
        for _ in 0..ATTACH_ATTEMPTS {
            let Some(record) = self.get(approval_id).await? else {
                return Ok(None);
            };
            let (update, condition, values) = token_write(&record, task_token, now);
            if let Some(item) = self
                .update(
                    approval_id,
                    &update,
                    &condition,
                    values,
                    ReturnValue::AllNew,
                )
                .await?
            {
                return from_item(&item).map(Some);
            }
        }
        Err(HitlError::transient(
            "DynamoDB",
            format!("approval {approval_id} kept changing while its task token was stored"),
        ))
    }

    async fn record_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            // A request with a quorum is voted on instead (`dynamodb_votes`), after a read.
            .condition_expression("attribute_exists(approvalId) AND attribute_not_exists(decision) AND expiresAt > :now AND attribute_not_exists(expiryClaimedAt) AND attribute_not_exists(quorumApprovals)")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":due", s(DUE))
            .expression_attribute_values(":at", n(now + LEASE_SECONDS))
            .return_values(ReturnValue::AllNew);
        // Tells this call's write apart from anyone else's, should its answer be lost.
        let write_id = uuid::Uuid::new_v4().simple().to_string();
        update = update.expression_attribute_values(":w", s(&write_id));
        let mut sets = vec![
            "redrive = :due".to_string(),
            "redriveAt = :at".to_string(),
            "decisionWrite = :w".to_string(),
        ];
        for (i, (name, value)) in decision_attributes(decision).into_iter().enumerate() {
            sets.push(format!("#a{i} = :v{i}"));
            update = update
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":v{i}"), value);
        }
        // Due for the relay after one lease: delivered even if this caller dies now. A
        // decided message is no longer open: the expiry sweep leaves it alone; nor is anyone
        // reminded of a decided request.
        let result = update
            .update_expression(format!(
                "SET {} REMOVE openMessage, remind, remindAt",
                sets.join(", ")
            ))
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes().ok_or_else(|| corrupt("item"))?;
                let record = from_item(item)?;
                committed(&record, decision);
                Ok(DecisionWrite::Recorded(record))
            }
            Err(e) if is_conditional_failure(&e) => {
                self.refused_decision(approval_id, decision, &write_id, now)
                    .await
            }
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }
}

impl DynamoApprovalStore {
    /// The record's item as stored (strongly consistent), with the attributes only the
    /// adapter reads (`decisionWrite`).
    pub(crate) async fn read_item(
        &self,
        approval_id: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, HitlError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", e))?;
        Ok(out.item)
    }

    /// Why the decision write's condition failed: unknown, decided first, expired (then the
    /// decision is kept as late), or a request with a quorum (then it is a vote).
    async fn refused_decision(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        write_id: &str,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let Some(item) = self.read_item(approval_id).await? else {
            return Ok(DecisionWrite::NotFound);
        };
        let record = from_item(&item)?;
        if get_s(&item, "decisionWrite").as_deref() == Some(write_id) {
            // Our own write landed on an attempt whose answer was lost, and the SDK's retry
            // of the very same request found it: this caller's decision, recorded once.
            committed(&record, decision);
            return Ok(DecisionWrite::Recorded(record));
        }
        if record.quorum.is_some() {
            return self.record_vote(approval_id, decision, now, item).await;
        }
        if record.decision.is_some() {
            return Ok(DecisionWrite::AlreadyDecided(record));
        }
        self.keep_late(approval_id, decision).await
    }

    /// Keeps a decision that came after the expiry as late: `TooLate`, or `AlreadyDecided` when
    /// a decision was recorded in time meanwhile.
    pub(crate) async fn keep_late(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
    ) -> Result<DecisionWrite, HitlError> {
        self.append_late_decision(approval_id, decision).await?;
        match self.get(approval_id).await? {
            Some(record) if record.decision.is_some() => Ok(DecisionWrite::AlreadyDecided(record)),
            Some(record) => {
                lambda_kit::metrics::late_click(approval_id, record.execution_arn.as_deref());
                Ok(DecisionWrite::TooLate(record))
            }
            None => Ok(DecisionWrite::NotFound),
        }
    }
}

/// A decision write committed, by whichever path (a link, a Slack click): counted
/// (`DecisionsRecorded`), and the resume latency of this request's delivery starts here, to the
/// millisecond (the record keeps whole seconds).
pub(crate) fn committed(record: &ApprovalRecord, decision: &RecordedDecision) {
    let (id, arn) = (&record.approval_id, record.execution_arn.as_deref());
    let at_ms = lambda_kit::metrics::now_ms();
    lambda_kit::correlation::decision_committed(id, at_ms);
    lambda_kit::metrics::decision_recorded(decision.decided_by.channel, id, arn);
}
