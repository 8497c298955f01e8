//! How a request's team-decision fields are laid out as DynamoDB attributes: its quorum
//! (`quorumApprovals`, `quorumRejections`), requester (`requestedBy`), votes (`votes`, a list of
//! maps: `slot`, the decision's attributes as [`decision_attributes`] writes them, and `w`, the
//! id of the write that appended it), `voteCount` (what a vote's and a reminder's conditional
//! writes compare), and reminders (`remindEvery`, `escalateAfter`, `escalateTo`,
//! `remindersSent`, `escalatedAt`, and `remind` = "due" with `remindAt` while a reminder is due:
//! the sparse `Remind` index, like the relay's `redrive`/`redriveAt`).

use approvals::quorum::{Quorum, ReminderState, Reminders, Vote};
use approvals::{ApprovalRecord, HitlError};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb_item::{
    corrupt, decision_attributes, decision_from, get_n, get_s, n, s, Item, DUE,
};

/// The sparse index of open requests with a reminder due, keyed by when (`remindAt`).
pub const REMIND_INDEX: &str = "Remind";

/// The record's team-decision fields, as `from_item` reads them.
pub struct TeamFields {
    pub quorum: Option<Quorum>,
    pub votes: Vec<Vote>,
    pub requested_by: Option<String>,
    pub reminders: Option<Reminders>,
    pub reminder_state: ReminderState,
}

/// One vote as a map of the `votes` list; `write_id` tells the write that appended it (a lost
/// answer's retry finds its own vote by it).
pub fn vote_attribute(vote: &Vote, write_id: Option<&str>) -> AttributeValue {
    let mut item = decision_attributes(&vote.decision);
    item.insert("slot".into(), s(&vote.slot));
    if let Some(w) = write_id {
        item.insert("w".into(), s(w));
    }
    AttributeValue::M(item)
}

/// The team-decision attributes of `r` (nothing for a request without them).
pub fn team_attributes(r: &ApprovalRecord) -> Item {
    let mut item = Item::new();
    if let Some(q) = r.quorum {
        item.insert("quorumApprovals".into(), n(q.approvals.into()));
        item.insert("quorumRejections".into(), n(q.rejections.into()));
    }
    if r.quorum.is_some() || !r.votes.is_empty() {
        // Present from the start, so every vote's condition compares a number.
        item.insert("voteCount".into(), n(r.votes.len() as i64));
    }
    if !r.votes.is_empty() {
        let votes = r.votes.iter().map(|v| vote_attribute(v, None)).collect();
        item.insert("votes".into(), AttributeValue::L(votes));
    }
    if let Some(who) = &r.requested_by {
        item.insert("requestedBy".into(), s(who));
    }
    if let Some(reminders) = &r.reminders {
        item.insert("remindEvery".into(), n(reminders.every_seconds));
        if let Some(after) = reminders.escalate_after {
            item.insert("escalateAfter".into(), n(after.into()));
        }
        if !reminders.escalate_to.is_empty() {
            let to = reminders.escalate_to.iter().map(|t| s(t)).collect();
            item.insert("escalateTo".into(), AttributeValue::L(to));
        }
    }
    let state = &r.reminder_state;
    if state.sent > 0 {
        item.insert("remindersSent".into(), n(state.sent.into()));
    }
    if let Some(at) = state.escalated_at {
        item.insert("escalatedAt".into(), n(at));
    }
    if let Some(at) = state.next_at {
        item.insert("remind".into(), s(DUE));
        item.insert("remindAt".into(), n(at));
    }
    item
}

fn get_u32(item: &Item, field: &str) -> Result<Option<u32>, HitlError> {
    get_n(item, field)?
        .map(|v| u32::try_from(v).map_err(|_| corrupt(field)))
        .transpose()
}

impl TeamFields {
    pub fn from_item(item: &Item) -> Result<TeamFields, HitlError> {
        let quorum = match (
            get_u32(item, "quorumApprovals")?,
            get_u32(item, "quorumRejections")?,
        ) {
            (Some(approvals), Some(rejections)) => Some(Quorum {
                approvals,
                rejections,
            }),
            (None, None) => None,
            _ => return Err(corrupt("quorumApprovals/quorumRejections")),
        };
        let reminders = get_n(item, "remindEvery")?
            .map(|every_seconds| {
                Ok::<_, HitlError>(Reminders {
                    every_seconds,
                    escalate_after: get_u32(item, "escalateAfter")?,
                    escalate_to: strings(item, "escalateTo")?,
                })
            })
            .transpose()?;
        Ok(TeamFields {
            quorum,
            votes: votes_from(item)?,
            requested_by: get_s(item, "requestedBy"),
            reminders,
            reminder_state: ReminderState {
                sent: get_u32(item, "remindersSent")?.unwrap_or(0),
                next_at: match get_s(item, "remind") {
                    Some(_) => get_n(item, "remindAt")?,
                    None => None,
                },
                escalated_at: get_n(item, "escalatedAt")?,
            },
        })
    }
}

fn strings(item: &Item, field: &str) -> Result<Vec<String>, HitlError> {
    let Some(list) = item.get(field) else {
        return Ok(Vec::new());
    };
    let list = list.as_l().map_err(|_| corrupt(field))?;
    list.iter()
        .map(|v| v.as_s().cloned().map_err(|_| corrupt(field)))
        .collect()
}

fn votes_from(item: &Item) -> Result<Vec<Vote>, HitlError> {
    let Some(list) = item.get("votes") else {
        return Ok(Vec::new());
    };
    let list = list.as_l().map_err(|_| corrupt("votes"))?;
    list.iter()
        .map(|v| {
            let m = v.as_m().map_err(|_| corrupt("votes"))?;
            Ok(Vote {
                slot: get_s(m, "slot").ok_or_else(|| corrupt("votes.slot"))?,
                decision: decision_from(m)?.ok_or_else(|| corrupt("votes.decision"))?,
            })
        })
        .collect()
}

/// Whether the vote appended by the write `write_id` is in `item`'s votes (the write landed,
/// though its answer may have been lost).
pub(crate) fn has_vote_written_by(item: &Item, write_id: &str) -> bool {
    item.get("votes")
        .and_then(|v| v.as_l().ok())
        .is_some_and(|votes| {
            votes.iter().any(|v| {
                v.as_m()
                    .is_ok_and(|m| get_s(m, "w").as_deref() == Some(write_id))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb_item::{from_item, to_item};
    use approvals::{Channel, DecidedBy, Decision, RecordedDecision, TeamsUser};

    fn vote(slot: &str, who: &str, decision: Decision) -> Vote {
        Vote {
            slot: slot.into(),
            decision: RecordedDecision {
                decision,
                decided_by: DecidedBy {
                    id: who.into(),
                    name: who.into(),
                    channel: Channel::Teams,
                },
                decided_at: 7,
                comment: Some("looks fine".into()),
                source_ip: None,
                user_agent: None,
                slack_user: None,
                teams_user: Some(TeamsUser {
                    object_id: "oid-1".into(),
                    name: "Alice".into(),
                    user_principal_name: Some("alice@corp.example".into()),
                    tenant_id: "tid".into(),
                }),
                action: None,
                follow_up: None,
                submission_id: None,
            },
        }
    }

    fn team_record() -> ApprovalRecord {
        let mut r = ApprovalRecord::new("a", "t".into(), Channel::Email, 1, 1000, 30);
        r.approvers = vec!["a@x.io".into(), "b@x.io".into(), "dave@x.io".into()];
        r.quorum = Some(Quorum {
            approvals: 2,
            rejections: 2,
        });
        r.votes = vec![
            vote("a@x.io", "a@x.io", Decision::Approve),
            vote("b@x.io", "b@x.io", Decision::Reject),
        ];
        r.requested_by = Some("dave@x.io".into());
        r.reminders = Some(Reminders {
            every_seconds: 86_400,
            escalate_after: Some(3),
            escalate_to: vec!["lead@x.io".into()],
        });
        r.reminder_state = ReminderState {
            sent: 3,
            next_at: Some(500),
            escalated_at: Some(400),
        };
        r
    }

    #[test]
    fn team_fields_round_trip_through_items() {
        let record = team_record();
        let item = to_item(&record);
        assert_eq!(from_item(&item).unwrap(), record);
        assert_eq!(item["voteCount"], n(2), "the condition attribute");
        assert_eq!(item["remind"], s("due"), "in the Remind index");
        // A vote carries the decision's attributes as the decision itself is stored.
        let AttributeValue::L(votes) = &item["votes"] else {
            panic!("a list")
        };
        let AttributeValue::M(first) = &votes[0] else {
            panic!("a map")
        };
        for name in [
            "slot",
            "decision",
            "decidedById",
            "decidedAt",
            "teamsUserObjectId",
        ] {
            assert!(first.contains_key(name), "{name} missing: {first:?}");
        }

        // Without reminders due, nothing in the index; a plain request has none of it.
        let mut quiet = team_record();
        quiet.reminder_state.next_at = None;
        quiet.reminders.as_mut().unwrap().escalate_after = None;
        quiet.reminders.as_mut().unwrap().escalate_to.clear();
        let item = to_item(&quiet);
        assert!(!item.contains_key("remind") && !item.contains_key("remindAt"));
        assert_eq!(from_item(&item).unwrap(), quiet);
        let plain = ApprovalRecord::new("p", "t".into(), Channel::Email, 1, 2, 1);
        assert!(team_attributes(&plain).is_empty());
    }

    #[test]
    fn a_vote_written_is_found_by_its_write_id() {
        let v = vote("a@x.io", "a@x.io", Decision::Approve);
        let item = Item::from([(
            "votes".to_string(),
            AttributeValue::L(vec![vote_attribute(&v, Some("w-1"))]),
        )]);
        assert!(has_vote_written_by(&item, "w-1"));
        assert!(!has_vote_written_by(&item, "w-2"));
        assert_eq!(
            votes_from(&item).unwrap(),
            vec![v],
            "w is not part of the vote"
        );
    }

    #[test]
    fn a_half_stored_quorum_or_a_vote_without_a_slot_is_a_named_error() {
        let mut item = to_item(&team_record());
        item.remove("quorumRejections");
        assert_eq!(
            from_item(&item).unwrap_err().name(),
            "Hitl.DependencyFailed"
        );
        let mut item = to_item(&team_record());
        let Some(AttributeValue::L(votes)) = item.get_mut("votes") else {
            panic!("a list")
        };
        let AttributeValue::M(first) = &mut votes[0] else {
            panic!("a map")
        };
        first.remove("slot");
        assert_eq!(
            from_item(&item).unwrap_err().name(),
            "Hitl.DependencyFailed"
        );
    }
}
