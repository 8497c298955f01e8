//! The approval store on DynamoDB. Exactly-once rests on conditional writes: a decision is
//! written only if none exists, and the delivery to Step Functions is claimed only once.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use hitl_domain::ports::{ApprovalStore, DecisionWrite, ExpiredMessage};
use hitl_domain::{
    ApprovalRecord, Channel, DecidedBy, Decision, HitlError, MessageRef, RecordedDecision,
    SlackUser,
};

use serde_json::Value;

use crate::sdk_errors::{classify, code};

type Item = HashMap<String, AttributeValue>;

/// The sparse index of open chat messages: only items with `openMessage` are in it, keyed by
/// expiry, so the sweep reads just the expired ones (see `template.yaml`).
pub const OPEN_MESSAGES_INDEX: &str = "OpenMessages";
/// The value of `openMessage`: the one partition of the index (volumes are human-sized).
const OPEN: &str = "open";

pub struct DynamoApprovalStore {
    client: Client,
    table: String,
}

impl DynamoApprovalStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoApprovalStore {
            client,
            table: table.into(),
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key(approval_id: &str) -> Item {
    HashMap::from([("approvalId".to_string(), s(approval_id))])
}

fn is_conditional_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    err: &aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    code(err) == Some("ConditionalCheckFailedException")
}

pub fn to_item(r: &ApprovalRecord) -> Item {
    let mut item = key(&r.approval_id);
    item.insert("title".into(), s(&r.title));
    if let Some(d) = &r.description {
        item.insert("description".into(), s(d));
    }
    item.insert(
        "approvers".into(),
        AttributeValue::L(r.approvers.iter().map(|a| s(a)).collect()),
    );
    item.insert("createdAt".into(), n(r.created_at));
    item.insert("expiresAt".into(), n(r.expires_at));
    item.insert("expiresAtTtl".into(), n(r.delete_after));
    if let Some(t) = &r.task_token {
        item.insert("taskToken".into(), s(t));
    }
    if let Some(d) = &r.decision {
        item.extend(decision_attributes(d));
    }
    if let Some(at) = r.resumed_at {
        item.insert("resumedAt".into(), n(at));
    }
    item.insert("origin".into(), s(channel_name(r.origin)));
    if let Some(m) = &r.message {
        item.extend(message_attributes(m));
    }
    item
}

fn message_attributes(m: &MessageRef) -> Item {
    HashMap::from([
        ("messageChannel".to_string(), s(&m.channel)),
        ("messageTs".to_string(), s(&m.ts)),
    ])
}

fn channel_of(name: Option<&str>) -> Channel {
    match name {
        Some("slack") => Channel::Slack,
        Some("teams") => Channel::Teams,
        _ => Channel::Email,
    }
}

fn decision_attributes(d: &RecordedDecision) -> Item {
    let mut item: Item = HashMap::from([
        ("decision".to_string(), s(d.decision.as_str())),
        ("decidedById".to_string(), s(&d.decided_by.id)),
        ("decidedByName".to_string(), s(&d.decided_by.name)),
        (
            "decidedChannel".to_string(),
            s(channel_name(d.decided_by.channel)),
        ),
        ("decidedAt".to_string(), n(d.decided_at)),
    ]);
    let slack = d.slack_user.as_ref();
    for (name, value) in [
        ("comment", d.comment.as_ref()),
        ("sourceIp", d.source_ip.as_ref()),
        ("userAgent", d.user_agent.as_ref()),
        ("slackUserId", slack.map(|u| &u.id)),
        ("slackUsername", slack.map(|u| &u.username)),
        ("slackTeamId", slack.and_then(|u| u.team_id.as_ref())),
    ] {
        if let Some(v) = value {
            item.insert(name.to_string(), s(v));
        }
    }
    item
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Slack => "slack",
        Channel::Teams => "teams",
    }
}

fn corrupt(field: &str) -> HitlError {
    HitlError::dependency(
        "DynamoDB",
        format!("stored approval has a missing or malformed {field}"),
    )
}

fn get_s(item: &Item, field: &str) -> Option<String> {
    item.get(field).and_then(|v| v.as_s().ok()).cloned()
}

fn get_n(item: &Item, field: &str) -> Result<Option<i64>, HitlError> {
    item.get(field)
        .map(|v| {
            v.as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| corrupt(field))
        })
        .transpose()
}

fn req_n(item: &Item, field: &str) -> Result<i64, HitlError> {
    get_n(item, field)?.ok_or_else(|| corrupt(field))
}

pub fn from_item(item: &Item) -> Result<ApprovalRecord, HitlError> {
    let decision = match get_s(item, "decision") {
        None => None,
        Some(d) => Some(RecordedDecision {
            decision: Decision::from_value(&d),
            decided_by: DecidedBy {
                id: get_s(item, "decidedById").ok_or_else(|| corrupt("decidedById"))?,
                name: get_s(item, "decidedByName").ok_or_else(|| corrupt("decidedByName"))?,
                channel: channel_of(get_s(item, "decidedChannel").as_deref()),
            },
            decided_at: req_n(item, "decidedAt")?,
            comment: get_s(item, "comment"),
            source_ip: get_s(item, "sourceIp"),
            user_agent: get_s(item, "userAgent"),
            slack_user: get_s(item, "slackUserId").map(|id| SlackUser {
                id,
                username: get_s(item, "slackUsername").unwrap_or_default(),
                team_id: get_s(item, "slackTeamId"),
            }),
        }),
    };
    Ok(ApprovalRecord {
        approval_id: get_s(item, "approvalId").ok_or_else(|| corrupt("approvalId"))?,
        title: get_s(item, "title").ok_or_else(|| corrupt("title"))?,
        description: get_s(item, "description"),
        approvers: item
            .get("approvers")
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|a| a.as_s().ok().cloned()).collect())
            .unwrap_or_default(),
        created_at: req_n(item, "createdAt")?,
        expires_at: req_n(item, "expiresAt")?,
        delete_after: req_n(item, "expiresAtTtl")?,
        task_token: get_s(item, "taskToken"),
        decision,
        resumed_at: get_n(item, "resumedAt")?,
        origin: channel_of(get_s(item, "origin").as_deref()),
        message: match (get_s(item, "messageChannel"), get_s(item, "messageTs")) {
            (Some(channel), Some(ts)) => Some(MessageRef { channel, ts }),
            _ => None,
        },
    })
}

#[async_trait]
impl ApprovalStore for DynamoApprovalStore {
    async fn create(&self, record: &ApprovalRecord) -> Result<(), HitlError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)))
            .condition_expression("attribute_not_exists(approvalId)")
            .send()
            .await
            .map_err(|e| classify("DynamoDB", e))?;
        Ok(())
    }

    async fn get(&self, approval_id: &str) -> Result<Option<ApprovalRecord>, HitlError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", e))?;
        out.item().map(from_item).transpose()
    }

    async fn attach_task_token(
        &self,
        approval_id: &str,
        task_token: &str,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .update_expression("SET taskToken = :token")
            .condition_expression("attribute_exists(approvalId)")
            .expression_attribute_values(":token", s(task_token))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out.attributes().map(from_item).transpose(),
            Err(e) if is_conditional_failure(&e) => Ok(None),
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn record_decision(
        &self,
        approval_id: &str,
        decision: &RecordedDecision,
        now: i64,
    ) -> Result<DecisionWrite, HitlError> {
        let attributes = decision_attributes(decision);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .condition_expression("attribute_exists(approvalId) AND attribute_not_exists(decision) AND expiresAt > :now")
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew);
        let mut sets = Vec::new();
        for (i, (name, value)) in attributes.into_iter().enumerate() {
            sets.push(format!("#a{i} = :v{i}"));
            update = update
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":v{i}"), value);
        }
        // A decided message is no longer open: the expiry sweep leaves it alone.
        match update
            .update_expression(format!("SET {} REMOVE openMessage", sets.join(", ")))
            .send()
            .await
        {
            Ok(out) => Ok(DecisionWrite::Recorded(from_item(
                out.attributes().ok_or_else(|| corrupt("item"))?,
            )?)),
            Err(e) if is_conditional_failure(&e) => Ok(match self.get(approval_id).await? {
                None => DecisionWrite::NotFound,
                Some(record) if record.decision.is_some() => DecisionWrite::AlreadyDecided(record),
                Some(record) => DecisionWrite::Expired(record),
            }),
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn claim_resume(&self, approval_id: &str, now: i64) -> Result<bool, HitlError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .update_expression("SET resumedAt = :now")
            .condition_expression("attribute_exists(taskToken) AND attribute_exists(decision) AND attribute_not_exists(resumedAt)")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn release_resume(&self, approval_id: &str) -> Result<(), HitlError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(approval_id)))
            .update_expression("REMOVE resumedAt")
            .condition_expression("attribute_exists(approvalId)")
            .send()
            .await
            .map_err(|e| classify("DynamoDB", e))?;
        Ok(())
    }

    async fn attach_message(
        &self,
        approval_id: &str,
        message: &MessageRef,
        blocks: &[Value],
    ) -> Result<(), HitlError> {
        let blocks = serde_json::to_string(blocks).map_err(|e| {
            HitlError::invalid_input(format!("the message blocks are not serializable: {e}"))
        })?;
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
                .expression_attribute_values(":b", s(&blocks));
            if open {
                update = update.expression_attribute_values(":o", s(OPEN));
            }
            update.send()
        };
        match attach(true).await {
            Ok(_) => return Ok(()),
            // A click already decided (it can beat this write): keep the message, not open.
            Err(e) if is_conditional_failure(&e) => {}
            Err(e) => return Err(classify("DynamoDB", e)),
        }
        match attach(false).await {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Err(HitlError::NotFound(approval_id.into())),
            Err(e) => Err(classify("DynamoDB", e)),
        }
    }

    async fn expired_open_messages(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<String>, HitlError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OPEN_MESSAGES_INDEX)
            .key_condition_expression("openMessage = :o AND expiresAt <= :now")
            .expression_attribute_values(":o", s(OPEN))
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
            .collect())
    }

    async fn claim_message_close(
        &self,
        approval_id: &str,
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
        let blocks = match get_s(&item, "messageBlocks") {
            Some(json) => serde_json::from_str(&json).map_err(|_| corrupt("messageBlocks"))?,
            None => Vec::new(),
        };
        Ok(Some(ExpiredMessage {
            approval_id: record.approval_id,
            title: record.title,
            expires_at: record.expires_at,
            message,
            blocks,
        }))
    }

    async fn release_message_close(&self, approval_id: &str) -> Result<(), HitlError> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_items() {
        let record = ApprovalRecord {
            approval_id: "a".into(),
            title: "t".into(),
            description: Some("d".into()),
            approvers: vec!["x@example.com".into()],
            created_at: 1,
            expires_at: 2,
            delete_after: 3,
            task_token: Some("tok".into()),
            decision: Some(RecordedDecision {
                decision: Decision::Reject,
                decided_by: DecidedBy {
                    id: "x@example.com".into(),
                    name: "x@example.com".into(),
                    channel: Channel::Email,
                },
                decided_at: 2,
                comment: Some("no".into()),
                source_ip: None,
                user_agent: Some("ua".into()),
                slack_user: None,
            }),
            resumed_at: Some(2),
            origin: Channel::Email,
            message: None,
        };
        assert_eq!(from_item(&to_item(&record)).unwrap(), record);

        // A Slack decision on a custom button, with the message that asked.
        let mut slack = record.clone();
        slack.origin = Channel::Slack;
        slack.message = Some(MessageRef {
            channel: "C1".into(),
            ts: "1700000000.000100".into(),
        });
        let decision = slack.decision.as_mut().unwrap();
        decision.decision = Decision::Custom("defer".into());
        decision.decided_by.channel = Channel::Slack;
        decision.slack_user = Some(SlackUser {
            id: "U1".into(),
            username: "alice".into(),
            team_id: Some("T1".into()),
        });
        assert_eq!(from_item(&to_item(&slack)).unwrap(), slack);
    }

    #[test]
    fn a_malformed_item_is_a_named_error_not_a_panic() {
        let mut item = key("a");
        item.insert("title".into(), s("t"));
        item.insert("createdAt".into(), s("not a number"));
        assert_eq!(
            from_item(&item).unwrap_err().name(),
            "Hitl.DependencyFailed"
        );
    }
}
