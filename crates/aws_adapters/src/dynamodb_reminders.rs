//! Reminders on the approvals table: the sparse `Remind` index (`remind` = "due",
//! `remindAt`) of open requests with a reminder due, and the claim of one reminder as one
//! conditional write, so a reminder goes out once and never after a vote that settled the
//! request first (that vote's write takes the record out of the index).

use approvals::ports::ReminderStore;
use approvals::{ApprovalId, ApprovalRecord, HitlError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::dynamodb_item::{from_item, n, s, DUE};
use crate::dynamodb_quorum::REMIND_INDEX;
use crate::dynamodb_store::DynamoApprovalStore;

/// A request with reminders enters the reminder index at its creation: the first reminder is
/// due one interval after it was made, unless its creator said when.
pub(crate) fn first_reminder(record: &mut ApprovalRecord) {
    if let Some(reminders) = &record.reminders {
        let state = &mut record.reminder_state;
        state.next_at = state
            .next_at
            .or(Some(record.created_at + reminders.every_seconds));
    }
}

/// `field` still holds `count` (absent counts as 0), with `:name` its value placeholder.
fn unchanged(field: &str, name: &str, count: i64) -> String {
    match count {
        0 => format!("(attribute_not_exists({field}) OR {field} = {name})"),
        _ => format!("{field} = {name}"),
    }
}

/// The claim's update and condition, with its values.
fn claim_write(
    sent: u32,
    votes: usize,
    escalate: bool,
    next_at: Option<i64>,
    now: i64,
) -> (String, String, Vec<(&'static str, AttributeValue)>) {
    let mut values = vec![
        (":now", n(now)),
        (":sent", n(sent.into())),
        (":next", n(i64::from(sent) + 1)),
        (":votes", n(votes as i64)),
    ];
    let mut sets = vec!["remindersSent = :next"];
    if escalate {
        sets.push("escalatedAt = if_not_exists(escalatedAt, :now)");
    }
    let remove = match next_at {
        Some(at) => {
            sets.push("remind = :due, remindAt = :at");
            values.push((":due", s(DUE)));
            values.push((":at", n(at)));
            ""
        }
        None => " REMOVE remind, remindAt",
    };
    let condition = format!(
        "attribute_exists(remind) AND attribute_not_exists(decision) AND expiresAt > :now AND attribute_not_exists(expiryClaimedAt) AND {} AND {}",
        unchanged("remindersSent", ":sent", sent.into()),
        unchanged("voteCount", ":votes", votes as i64),
    );
    (
        format!("SET {}{remove}", sets.join(", ")),
        condition,
        values,
    )
}

#[async_trait]
impl ReminderStore for DynamoApprovalStore {
    async fn due_for_reminder(&self, now: i64, limit: usize) -> Result<Vec<ApprovalId>, HitlError> {
        self.due_in_index(REMIND_INDEX, ("remind", DUE), "remindAt", now, limit)
            .await
    }

    async fn claim_reminder(
        &self,
        approval_id: &ApprovalId,
        sent: u32,
        votes: usize,
        escalate: bool,
        next_at: Option<i64>,
        now: i64,
    ) -> Result<Option<ApprovalRecord>, HitlError> {
        let (update, condition, values) = claim_write(sent, votes, escalate, next_at, now);
        self.update(
            approval_id,
            &update,
            &condition,
            values,
            ReturnValue::AllNew,
        )
        .await?
        .map(|item| from_item(&item))
        .transpose()
    }

    async fn stop_reminders(&self, approval_id: &ApprovalId) -> Result<(), HitlError> {
        self.update(
            approval_id,
            "REMOVE remind, remindAt",
            "attribute_exists(approvalId)",
            Vec::new(),
            ReturnValue::None,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_holds_only_while_nothing_changed_and_sets_the_next_reminder() {
        let (update, condition, _) = claim_write(2, 1, true, Some(900), 100);
        assert_eq!(
            update,
            "SET remindersSent = :next, escalatedAt = if_not_exists(escalatedAt, :now), remind = :due, remindAt = :at"
        );
        for part in [
            "remindersSent = :sent",
            "voteCount = :votes",
            "attribute_not_exists(decision)",
            "expiresAt > :now",
            "attribute_not_exists(expiryClaimedAt)",
        ] {
            assert!(condition.contains(part), "{part} missing: {condition}");
        }
        let (update, condition, _) = claim_write(0, 0, false, None, 100);
        assert_eq!(update, "SET remindersSent = :next REMOVE remind, remindAt");
        assert!(condition.contains("attribute_not_exists(remindersSent) OR"));
    }
}
