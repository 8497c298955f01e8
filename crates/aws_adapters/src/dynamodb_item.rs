//! How an approval record is laid out as a DynamoDB item, attribute by attribute.

use std::collections::HashMap;

use approvals::{
    ApprovalRecord, Channel, ChosenAction, DecidedBy, Decision, DeliveryState, HitlError, Lease,
    MessageRef, RecordedDecision, SlackUser, TaskToken,
};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb_follow_up::{
    answer_attributes, answer_from, question_attributes, question_from,
};

pub type Item = HashMap<String, AttributeValue>;

/// The value of `redrive`: the one partition of the sparse relay index.
pub const DUE: &str = "due";

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

pub fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn key(approval_id: &str) -> Item {
    HashMap::from([("approvalId".to_string(), s(approval_id))])
}

pub fn to_item(r: &ApprovalRecord) -> Item {
    let mut item = key(&r.approval_id);
    item.insert("title".into(), s(&r.title));
    item.insert(
        "approvers".into(),
        AttributeValue::L(r.approvers.iter().map(|a| s(a)).collect()),
    );
    item.insert("createdAt".into(), n(r.created_at));
    item.insert("expiresAt".into(), n(r.expires_at));
    item.insert("expiresAtTtl".into(), n(r.delete_after));
    item.insert("origin".into(), s(channel_name(r.origin)));
    if !r.action_ids.is_empty() {
        item.insert("actionIds".into(), strings(&r.action_ids));
    }
    let task_token = r.task_token.as_ref().map(|t| t.as_str().to_string());
    for (name, value) in [
        ("description", &r.description),
        ("taskToken", &task_token),
        ("messageBlocks", &r.message_shown),
        ("executionArn", &r.execution_arn),
    ] {
        if let Some(v) = value {
            item.insert(name.into(), s(v));
        }
    }
    if let Some(d) = &r.decision {
        item.extend(decision_attributes(d));
    }
    if !r.late_decisions.is_empty() {
        let late = r.late_decisions.iter().map(late_decision).collect();
        item.insert("lateDecisions".into(), AttributeValue::L(late));
    }
    if let Some(m) = &r.message {
        item.insert("messageChannel".into(), s(&m.channel));
        item.insert("messageTs".into(), s(&m.ts));
    }
    item.extend(delivery_attributes(&r.delivery));
    if let Some(at) = r.message_updated_at {
        item.insert("messageUpdatedAt".into(), n(at));
    }
    item.extend(crate::dynamodb_delivery::message_update_attributes(r));
    if let Some(question) = &r.follow_up {
        item.extend(question_attributes(question));
    }
    item.extend(crate::dynamodb_buttons::buttons_attributes(&r.buttons));
    item.extend(crate::dynamodb_teams::approvers_attributes(
        &r.teams_approvers,
    ));
    item.extend(crate::dynamodb_quorum::team_attributes(r));
    item.extend(crate::dynamodb_companions::companions_attributes(r));
    item
}

fn delivery_attributes(d: &DeliveryState) -> Item {
    let mut item = Item::new();
    if let Some(lease) = &d.lease {
        item.insert("leaseToken".into(), s(&lease.token));
        item.insert("leaseUntil".into(), n(lease.until));
    }
    if d.attempts > 0 {
        item.insert("deliveryAttempts".into(), n(d.attempts.into()));
    }
    for (name, value) in [
        ("deliveredAt", d.delivered_at),
        ("lateAt", d.late_at),
        ("expirySentAt", d.expiry_sent_at),
        ("expiryClaimedAt", d.expiry_claimed_at),
    ] {
        if let Some(v) = value {
            item.insert(name.into(), n(v));
        }
    }
    item.extend(crate::dynamodb_delivery::delivery_failure_attributes(
        d.failed.as_ref(),
    ));
    if let Some(at) = d.relay_at {
        item.insert("redrive".into(), s(DUE));
        item.insert("redriveAt".into(), n(at));
    }
    item
}

/// The attributes of a decision, as `SET` writes them. `decidedAt` is among them: the local
/// stack's fault injection recognises the decision write by it.
pub fn decision_attributes(d: &RecordedDecision) -> Item {
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
    if let Some(answered) = &d.follow_up {
        item.extend(answer_attributes(answered));
    }
    item.extend(crate::dynamodb_teams::decision_user_attributes(
        d.teams_user.as_ref(),
    ));
    if let Some(action) = &d.action {
        item.insert("actionId".into(), s(&action.action_id));
        item.insert("actionType".into(), s(&action.kind));
        item.insert("actionSelected".into(), strings(&action.selected));
    }
    for (name, value) in [
        ("comment", d.comment.as_ref()),
        ("sourceIp", d.source_ip.as_ref()),
        ("userAgent", d.user_agent.as_ref()),
        ("slackUserId", slack.map(|u| &u.id)),
        ("slackUsername", slack.map(|u| &u.username)),
        ("slackTeamId", slack.and_then(|u| u.team_id.as_ref())),
        ("submissionId", d.submission_id.as_ref()),
    ] {
        if let Some(v) = value {
            item.insert(name.to_string(), s(v));
        }
    }
    item
}

fn strings(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v)).collect())
}

fn get_strings(item: &Item, field: &str) -> Vec<String> {
    item.get(field)
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|a| a.as_s().ok().cloned()).collect())
        .unwrap_or_default()
}

/// A late decision as one map in the `lateDecisions` list (same attribute names), reduced to
/// its small audit (no comment, answer or user agent), so late clicks cannot grow the item.
pub fn late_decision(d: &RecordedDecision) -> AttributeValue {
    AttributeValue::M(decision_attributes(&d.late_audit()))
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Slack => "slack",
        Channel::Teams => "teams",
    }
}

fn channel_of(name: Option<&str>) -> Channel {
    match name {
        Some("slack") => Channel::Slack,
        Some("teams") => Channel::Teams,
        _ => Channel::Email,
    }
}

pub fn corrupt(field: &str) -> HitlError {
    HitlError::dependency(
        "DynamoDB",
        format!("stored approval has a missing or malformed {field}"),
    )
}

pub fn get_s(item: &Item, field: &str) -> Option<String> {
    item.get(field).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn get_n(item: &Item, field: &str) -> Result<Option<i64>, HitlError> {
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

pub(crate) fn decision_from(item: &Item) -> Result<Option<RecordedDecision>, HitlError> {
    let Some(d) = get_s(item, "decision") else {
        return Ok(None);
    };
    Ok(Some(RecordedDecision {
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
        teams_user: crate::dynamodb_teams::decision_user_from(item)?,
        action: get_s(item, "actionId").map(|action_id| ChosenAction {
            action_id,
            kind: get_s(item, "actionType").unwrap_or_default(),
            selected: get_strings(item, "actionSelected"),
        }),
        follow_up: answer_from(item)?,
        submission_id: get_s(item, "submissionId"),
    }))
}

fn delivery_from(item: &Item) -> Result<DeliveryState, HitlError> {
    let lease = match (get_s(item, "leaseToken"), get_n(item, "leaseUntil")?) {
        (Some(token), Some(until)) => Some(Lease {
            token: token.into(),
            until,
        }),
        _ => None,
    };
    Ok(DeliveryState {
        lease,
        attempts: get_n(item, "deliveryAttempts")?.unwrap_or(0).max(0) as u32,
        delivered_at: get_n(item, "deliveredAt")?,
        late_at: get_n(item, "lateAt")?,
        expiry_sent_at: get_n(item, "expirySentAt")?,
        expiry_claimed_at: get_n(item, "expiryClaimedAt")?,
        failed: crate::dynamodb_delivery::delivery_failure(item)?,
        relay_at: match get_s(item, "redrive") {
            Some(_) => get_n(item, "redriveAt")?,
            None => None,
        },
    })
}

pub fn from_item(item: &Item) -> Result<ApprovalRecord, HitlError> {
    let late_decisions = match item.get("lateDecisions").and_then(|v| v.as_l().ok()) {
        Some(list) => list
            .iter()
            .filter_map(|v| v.as_m().ok())
            .map(|m| decision_from(m).and_then(|d| d.ok_or_else(|| corrupt("lateDecisions"))))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let team = crate::dynamodb_quorum::TeamFields::from_item(item)?;
    Ok(ApprovalRecord {
        approval_id: get_s(item, "approvalId")
            .ok_or_else(|| corrupt("approvalId"))?
            .into(),
        title: get_s(item, "title").ok_or_else(|| corrupt("title"))?,
        description: get_s(item, "description"),
        approvers: get_strings(item, "approvers"),
        teams_approvers: crate::dynamodb_teams::approvers_from(item)?,
        created_at: req_n(item, "createdAt")?,
        expires_at: req_n(item, "expiresAt")?,
        delete_after: req_n(item, "expiresAtTtl")?,
        task_token: get_s(item, "taskToken").map(TaskToken::from),
        decision: decision_from(item)?,
        delivery: delivery_from(item)?,
        late_decisions,
        origin: channel_of(get_s(item, "origin").as_deref()),
        message: match (get_s(item, "messageChannel"), get_s(item, "messageTs")) {
            (Some(channel), Some(ts)) => Some(MessageRef { channel, ts }),
            _ => None,
        },
        message_shown: get_s(item, "messageBlocks"),
        message_updated_at: get_n(item, "messageUpdatedAt")?,
        message_update_attempts: get_n(item, "messageUpdateAttempts")?.unwrap_or(0).max(0) as u32,
        message_progress_votes: get_n(item, "messageProgressVotes")?.unwrap_or(0).max(0) as u32,
        message_update_failed: crate::dynamodb_delivery::message_update_failure(item)?,
        action_ids: get_strings(item, "actionIds"),
        follow_up: question_from(item)?,
        buttons: crate::dynamodb_buttons::buttons_from(item)?,
        execution_arn: get_s(item, "executionArn"),
        quorum: team.quorum,
        votes: team.votes,
        requested_by: team.requested_by,
        reminders: team.reminders,
        reminder_state: team.reminder_state,
        companions: crate::dynamodb_companions::companions_from(item)?,
        slack_approvers: crate::dynamodb_companions::slack_approvers_from(item)?,
        requester_ids: crate::dynamodb_companions::requester_ids_from(item)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision() -> RecordedDecision {
        RecordedDecision {
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
            teams_user: None,
            action: None,
            follow_up: Some(approvals::FollowUpAnswer {
                question: "Why?".into(),
                answer: Some(approvals::Answer::Text("idle".into())),
            }),
            submission_id: Some("page-1".into()),
        }
    }

    #[test]
    fn records_round_trip_through_items() {
        let mut record = ApprovalRecord::new("a", "t".into(), Channel::Email, 1, 2, 30);
        record.description = Some("d".into());
        record.approvers = vec!["x@example.com".into()];
        record.task_token = Some("tok".into());
        record.execution_arn = Some("arn:aws:states:us-east-1:1:execution:m:e".into());
        record.decision = Some(decision());
        record.delivery = DeliveryState {
            lease: Some(Lease {
                token: "tok".into(),
                until: 9,
            }),
            attempts: 2,
            delivered_at: Some(3),
            late_at: None,
            expiry_sent_at: None,
            expiry_claimed_at: Some(2),
            relay_at: Some(9),
            failed: Some(approvals::DeliveryFailure {
                reason: "r".into(),
                at: 5,
            }),
        };
        record.late_decisions = vec![decision().late_audit()];
        record.buttons = vec![approvals::ChoiceButton::new(
            "Next week",
            "defer",
            approvals::ButtonStyle::Default,
        )];
        record.follow_up = Some(approvals::FollowUp {
            question: "Why?".into(),
            kind: approvals::AnswerKind::Text,
            after: vec![],
            required: true,
        });
        assert_eq!(from_item(&to_item(&record)).unwrap(), record);

        // A Slack decision on a custom button, with the message that asked.
        let mut slack = record.clone();
        slack.origin = Channel::Slack;
        slack.message = Some(MessageRef {
            channel: "C1".into(),
            ts: "1700000000.000100".into(),
        });
        slack.message_shown = Some("[]".into());
        slack.message_updated_at = Some(4);
        slack.message_update_attempts = 3;
        slack.message_progress_votes = 2;
        slack.message_update_failed = Some(approvals::MessageUpdateFailure {
            reason: "Slack.ChannelNotFound: is_archived".into(),
            at: 5,
        });
        let decision = slack.decision.as_mut().unwrap();
        decision.decision = Decision::Custom("defer".into());
        decision.decided_by.channel = Channel::Slack;
        decision.slack_user = Some(SlackUser {
            id: "U1".into(),
            username: "alice".into(),
            team_id: Some("T1".into()),
        });
        decision.action = Some(ChosenAction {
            action_id: "regions".into(),
            kind: "checkboxes".into(),
            selected: vec!["eu".into(), "us".into()],
        });
        slack.action_ids = vec!["regions".into(), "go".into()];
        assert_eq!(from_item(&to_item(&slack)).unwrap(), slack);

        // A request made by links, posted to Slack too.
        let mut posted = record.clone();
        posted.companions = vec![approvals::approval::Companion {
            channel: Channel::Slack,
            message: slack.message.clone().unwrap(),
            shown: Some("[]".into()),
        }];
        posted.slack_approvers = vec![String::new()];
        posted.requester_ids = vec!["U9".into()];
        assert_eq!(from_item(&to_item(&posted)).unwrap(), posted);
    }

    #[test]
    fn a_late_decision_is_stored_without_what_was_typed() {
        let AttributeValue::M(late) = late_decision(&decision()) else {
            panic!("a map")
        };
        for typed in [
            "comment",
            "userAgent",
            "followUpAnswer",
            "followUpQuestion",
            "submissionId",
        ] {
            assert!(!late.contains_key(typed), "{typed} kept: {late:?}");
        }
        assert!(late.contains_key("decidedByName") && late.contains_key("decidedAt"));
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
