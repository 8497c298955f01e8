//! One request on several channels, on the approvals table. `companions`: a list of
//! `{channel, messageChannel, messageTs, shown?}` maps, the same request posted to Slack or
//! Teams (never written empty). `slackApprovers`: the approvers' Slack user ids, index-aligned
//! with `approvers` (`""`: not in Slack; DynamoDB keeps empty strings inside a list). The Teams
//! approvers are `teamsApprovers`, as a Teams bot request keeps them. `requesterIds`: a string
//! set (the requester's Slack id, Entra object id), so two posts racing (a Parallel state's
//! Slack and Teams branches) each `ADD` theirs and neither is lost nor kept twice.
//!
//! Attaching is one conditional `UpdateItem` for each case: the outcome final already (decided,
//! or an expiry shown or given up) makes every message due for the relay now, its message
//! update started over; otherwise the request is in the relay index by its expiry at the
//! latest. Both refuse a record that is missing, not made by Create Approval Links, or full;
//! which of those it was is read afterwards.

use approvals::approval::{ChannelIdentities, Companion, MAX_COMPANIONS};
use approvals::{ApprovalId, ApprovalRecord, Channel, HitlError, MessageRef};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::dynamodb_item::{corrupt, get_s, n, s, Item, DUE};
use crate::dynamodb_store::DynamoApprovalStore;

/// A record that takes one more companion: there, made by Create Approval Links, not full.
const TAKES_ONE_MORE: &str = "attribute_exists(approvalId) AND origin = :email \
AND (attribute_not_exists(companions) OR size(companions) < :max)";
/// What its messages should show is final and was shown (or given up) already, or decided.
const OUTCOME_FINAL: &str = "(attribute_exists(decision) OR attribute_exists(messageUpdatedAt) \
OR attribute_exists(messageUpdateFailedAt))";
const APPEND: &str =
    "SET companions = list_append(if_not_exists(companions, :empty), :one), redrive = :due";

/// `companions`, `slackApprovers` and `requesterIds` (each left out when empty), as `to_item`
/// writes them.
pub fn companions_attributes(r: &ApprovalRecord) -> Item {
    let mut item = Item::new();
    if !r.companions.is_empty() {
        let list = r.companions.iter().map(companion_value).collect();
        item.insert("companions".into(), AttributeValue::L(list));
    }
    if !r.slack_approvers.is_empty() {
        let list = r.slack_approvers.iter().map(|id| s(id)).collect();
        item.insert("slackApprovers".into(), AttributeValue::L(list));
    }
    let ids: Vec<String> = r
        .requester_ids
        .iter()
        .filter(|id| !id.is_empty())
        .cloned()
        .collect();
    if !ids.is_empty() {
        item.insert("requesterIds".into(), AttributeValue::Ss(ids));
    }
    item
}

fn companion_value(c: &Companion) -> AttributeValue {
    let mut m = Item::from([
        ("channel".to_string(), s(channel_name(c.channel))),
        ("messageChannel".to_string(), s(&c.message.channel)),
        ("messageTs".to_string(), s(&c.message.ts)),
    ]);
    if let Some(shown) = &c.shown {
        m.insert("shown".into(), s(shown));
    }
    AttributeValue::M(m)
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Slack => "slack",
        Channel::Teams => "teams",
    }
}

/// The stored companions, in the order they were attached.
pub fn companions_from(item: &Item) -> Result<Vec<Companion>, HitlError> {
    let Some(list) = item.get("companions") else {
        return Ok(Vec::new());
    };
    let list = list.as_l().map_err(|_| corrupt("companions"))?;
    list.iter()
        .map(|c| {
            let m = c.as_m().map_err(|_| corrupt("companions"))?;
            let field = |name: &str| get_s(m, name).ok_or_else(|| corrupt("companions"));
            let channel = match field("channel")?.as_str() {
                "slack" => Channel::Slack,
                "teams" => Channel::Teams,
                _ => return Err(corrupt("companions.channel")),
            };
            Ok(Companion {
                channel,
                message: MessageRef {
                    channel: field("messageChannel")?,
                    ts: field("messageTs")?,
                },
                shown: get_s(m, "shown"),
            })
        })
        .collect()
}

/// `slackApprovers`, empty strings kept in their places.
pub fn slack_approvers_from(item: &Item) -> Result<Vec<String>, HitlError> {
    let Some(list) = item.get("slackApprovers") else {
        return Ok(Vec::new());
    };
    let list = list.as_l().map_err(|_| corrupt("slackApprovers"))?;
    list.iter()
        .map(|v| v.as_s().cloned().map_err(|_| corrupt("slackApprovers")))
        .collect()
}

/// `requesterIds`, sorted (a set keeps no order).
pub fn requester_ids_from(item: &Item) -> Result<Vec<String>, HitlError> {
    let Some(set) = item.get("requesterIds") else {
        return Ok(Vec::new());
    };
    let mut ids = set.as_ss().map_err(|_| corrupt("requesterIds"))?.clone();
    ids.sort();
    Ok(ids)
}

/// The `SET` of the channel's approvers and the `ADD` of the requester's id, with their values.
fn identities_update(
    identities: &ChannelIdentities,
) -> (String, Vec<(&'static str, AttributeValue)>) {
    let (attribute, approvers, requester) = match identities {
        ChannelIdentities::Slack {
            approvers,
            requester,
        } => (
            "slackApprovers",
            AttributeValue::L(approvers.iter().map(|id| s(id)).collect()),
            requester,
        ),
        ChannelIdentities::Teams {
            approvers,
            requester,
        } => (
            "teamsApprovers",
            crate::dynamodb_teams::approvers_attributes(approvers)
                .remove("teamsApprovers")
                .unwrap_or(AttributeValue::L(Vec::new())),
            requester,
        ),
    };
    let mut update = format!(", {attribute} = :approvers");
    let mut values = vec![(":approvers", approvers)];
    if let Some(id) = requester.as_ref().filter(|id| !id.is_empty()) {
        update.push_str(" ADD requesterIds :requester");
        values.push((":requester", AttributeValue::Ss(vec![id.clone()])));
    }
    (update, values)
}

impl DynamoApprovalStore {
    /// [`approvals::ports::MessageStore::attach_companion`]: see the module's documentation.
    pub(crate) async fn add_companion(
        &self,
        approval_id: &ApprovalId,
        companion: &Companion,
        identities: &ChannelIdentities,
        now: i64,
    ) -> Result<(), HitlError> {
        let (identities, identity_values) = identities_update(identities);
        let values: Vec<(&str, AttributeValue)> = [
            (":email", s("email")),
            (":max", n(MAX_COMPANIONS as i64)),
            (":empty", AttributeValue::L(Vec::new())),
            (":one", AttributeValue::L(vec![companion_value(companion)])),
            (":due", s(DUE)),
        ]
        .into_iter()
        .chain(identity_values)
        .collect();
        // Usually open: by its expiry at the latest (where an open request waits).
        let open = format!("{APPEND}, redriveAt = if_not_exists(redriveAt, expiresAt){identities}");
        // The outcome was final before this post: every message is brought up to date again,
        // now (the new one shows it too).
        let again = format!("{APPEND}, redriveAt = :now{identities} REMOVE messageUpdatedAt, messageUpdateFailedAt, messageUpdateFailedReason, messageUpdateAttempts");
        let mut again_values = values.clone();
        again_values.push((":now", n(now)));
        // A decision may land between the two writes: the second then applies. A third try
        // covers a record that changed case twice (an expiry shown, then another post).
        for _ in 0..3 {
            let first = self
                .update(
                    approval_id,
                    &open,
                    &format!("{TAKES_ONE_MORE} AND NOT {OUTCOME_FINAL}"),
                    values.clone(),
                    ReturnValue::None,
                )
                .await?;
            if first.is_some() {
                return Ok(());
            }
            let second = self
                .update(
                    approval_id,
                    &again,
                    &format!("{TAKES_ONE_MORE} AND {OUTCOME_FINAL}"),
                    again_values.clone(),
                    ReturnValue::None,
                )
                .await?;
            if second.is_some() {
                return Ok(());
            }
            self.companion_refusal(approval_id).await?;
        }
        Err(HitlError::transient(
            "DynamoDB",
            format!("approval {approval_id} kept changing while a companion was attached"),
        ))
    }

    /// Why neither write applied: `Err` with the refusal, or `Ok` when the record takes a
    /// companion after all (it changed between the writes: they are tried again).
    async fn companion_refusal(&self, approval_id: &ApprovalId) -> Result<(), HitlError> {
        let Some(item) = self.read_item(approval_id).await? else {
            return Err(HitlError::NotFound(approval_id.to_string()));
        };
        if get_s(&item, "origin").as_deref().unwrap_or("email") != "email" {
            return Err(HitlError::invalid_input(format!(
                "approval {approval_id} was made by a chat channel's Request Action; only a request made by Create Approval Links can be posted to other channels"
            )));
        }
        if companions_from(&item)?.len() >= MAX_COMPANIONS {
            return Err(HitlError::invalid_input(format!(
                "approval {approval_id} was posted to {MAX_COMPANIONS} channels already"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companions_identities_and_requester_ids_round_trip() {
        let mut r = ApprovalRecord::new("a", "t".into(), Channel::Email, 1, 2, 3);
        r.companions = vec![
            Companion {
                channel: Channel::Slack,
                message: MessageRef {
                    channel: "C1".into(),
                    ts: "1700000000.000100".into(),
                },
                shown: Some("[]".into()),
            },
            Companion {
                channel: Channel::Teams,
                message: MessageRef {
                    channel: "19:abc@thread.tacv2".into(),
                    ts: "1700000000001".into(),
                },
                shown: None,
            },
        ];
        r.slack_approvers = vec!["U1".into(), String::new(), "U3".into()];
        r.requester_ids = vec!["OID-9".into(), "U9".into()];
        let item = companions_attributes(&r);
        assert_eq!(companions_from(&item).unwrap(), r.companions);
        assert_eq!(slack_approvers_from(&item).unwrap(), r.slack_approvers);
        assert_eq!(requester_ids_from(&item).unwrap(), r.requester_ids);
        assert!(companions_attributes(&ApprovalRecord::new(
            "b",
            "t".into(),
            Channel::Email,
            1,
            2,
            3
        ))
        .is_empty());
    }

    #[test]
    fn a_companion_on_an_unknown_channel_is_a_named_error() {
        let mut item = Item::new();
        let m = Item::from([
            ("channel".to_string(), s("fax")),
            ("messageChannel".to_string(), s("C")),
            ("messageTs".to_string(), s("1")),
        ]);
        item.insert(
            "companions".into(),
            AttributeValue::L(vec![AttributeValue::M(m)]),
        );
        assert_eq!(
            companions_from(&item).unwrap_err().name(),
            "Hitl.DependencyFailed"
        );
    }
}
