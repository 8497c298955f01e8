//! A vote on a request with a quorum: read the record (strongly consistent), apply
//! [`approvals::quorum::cast`], then ONE conditional `UpdateItem` that holds only while the
//! votes are as read (`voteCount`), the request undecided, not expired and its expiry not
//! claimed. It appends the vote and, when the vote settles the request, also records the
//! decision, queues its delivery (the relay index, due after one lease) and takes the record
//! out of the open-message and reminder indexes. A lost race (another vote landed between the
//! read and the write) is read and cast again, a bounded number of times.

use approvals::approval::{LEASE_SECONDS, MAX_APPROVERS};
use approvals::ports::DecisionWrite;
use approvals::quorum::{cast, Cast, Vote};
use approvals::{ApprovalId, HitlError, RecordedDecision};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::dynamodb_item::{decision_attributes, from_item, get_s, n, s, Item, DUE};
use crate::dynamodb_quorum::{has_vote_written_by, vote_attribute};
use crate::dynamodb_store::{committed, DynamoApprovalStore};

/// Rounds of read, cast and conditional write: each lost round means another vote landed, and
/// there are at most as many votes as slots (escalation targets fill slots, not add them).
const VOTE_ROUNDS: usize = MAX_APPROVERS + 2;

impl DynamoApprovalStore {
    /// Records `decision` as a vote on the request stored as `item` (read just now).
    pub(crate) async fn record_vote(
        &self,
        approval_id: &ApprovalId,
        decision: &RecordedDecision,
        now: i64,
        mut item: Item,
    ) -> Result<DecisionWrite, HitlError> {
        // Tells this call's vote apart from anyone else's, should its answer be lost.
        let write_id = uuid::Uuid::new_v4().simple().to_string();
        for _ in 0..VOTE_ROUNDS {
            let record = from_item(&item)?;
            if has_vote_written_by(&item, &write_id) {
                // Our write landed on an attempt whose answer was lost, and the SDK's retry of
                // the very same request found it: this caller's vote, counted once.
                if get_s(&item, "decisionWrite").as_deref() == Some(write_id.as_str()) {
                    committed(&record, decision);
                    return Ok(DecisionWrite::Recorded(record));
                }
                return Ok(DecisionWrite::Counted(record));
            }
            if record.decision.is_some() {
                return Ok(DecisionWrite::AlreadyDecided(record));
            }
            // A claimed expiry is as final as the clock: the Task is being told it expired.
            if record.is_expired(now) || record.delivery.expiry_claimed_at.is_some() {
                return self.keep_late(approval_id, decision).await;
            }
            let (vote, settles) = match cast(&record, decision) {
                Cast::AlreadyVoted(_) => return Ok(DecisionWrite::AlreadyVoted(record)),
                Cast::NoSlot => return Ok(DecisionWrite::NoSlot(record)),
                Cast::Counted(vote) => (vote, false),
                Cast::Settles(vote) => (vote, true),
            };
            let write = VoteWrite {
                vote: &vote,
                count: record.votes.len(),
                settles,
                write_id: &write_id,
                now,
            };
            if let Some(after) = self.write_vote(approval_id, &write).await? {
                let record = from_item(&after)?;
                if settles {
                    committed(&record, decision);
                    return Ok(DecisionWrite::Recorded(record));
                }
                return Ok(DecisionWrite::Counted(record));
            }
            match self.read_item(approval_id).await? {
                Some(again) => item = again,
                None => return Ok(DecisionWrite::NotFound),
            }
        }
        Err(HitlError::transient(
            "DynamoDB",
            format!("approval {approval_id} kept changing while a vote was recorded"),
        ))
    }

    /// The vote's one conditional write: the item after it, or `None` when the record changed
    /// since it was read (or was decided, expired, or its expiry claimed).
    async fn write_vote(
        &self,
        approval_id: &str,
        write: &VoteWrite<'_>,
    ) -> Result<Option<Item>, HitlError> {
        let (update, condition, names, values) = write.expressions();
        self.update_named(
            approval_id,
            &update,
            &condition,
            names,
            values,
            ReturnValue::AllNew,
        )
        .await
    }
}

/// What one vote writes.
struct VoteWrite<'a> {
    vote: &'a Vote,
    /// The votes counted when the record was read: the write holds only if still so.
    count: usize,
    settles: bool,
    write_id: &'a str,
    now: i64,
}

type Names = Vec<(String, String)>;
type Values = Vec<(String, AttributeValue)>;

impl VoteWrite<'_> {
    /// The update and condition expressions, with their attribute names and values.
    fn expressions(&self) -> (String, String, Names, Values) {
        let mut values: Values = vec![
            (":now".into(), n(self.now)),
            (":count".into(), n(self.count as i64)),
            (":next".into(), n(self.count as i64 + 1)),
            (":empty".into(), AttributeValue::L(Vec::new())),
            (
                ":vote".into(),
                AttributeValue::L(vec![vote_attribute(self.vote, Some(self.write_id))]),
            ),
        ];
        let mut names = Names::new();
        let mut sets = vec![
            "votes = list_append(if_not_exists(votes, :empty), :vote)".to_string(),
            "voteCount = :next".to_string(),
        ];
        let mut update_tail = String::new();
        if self.settles {
            // The settling vote's decision is the request's; due for the relay after one
            // lease (delivered even if this caller dies now); no longer open, nor reminded.
            for (i, (name, value)) in decision_attributes(&self.vote.decision)
                .into_iter()
                .enumerate()
            {
                sets.push(format!("#a{i} = :v{i}"));
                names.push((format!("#a{i}"), name));
                values.push((format!(":v{i}"), value));
            }
            sets.extend(
                ["redrive = :due", "redriveAt = :at", "decisionWrite = :w"].map(String::from),
            );
            values.push((":due".into(), s(DUE)));
            values.push((":at".into(), n(self.now + LEASE_SECONDS)));
            values.push((":w".into(), s(self.write_id)));
            update_tail = " REMOVE openMessage, remind, remindAt".into();
        }
        // A quorum request stores voteCount from its creation; an older item may lack it.
        let unchanged = match self.count {
            0 => "(attribute_not_exists(voteCount) OR voteCount = :count)",
            _ => "voteCount = :count",
        };
        let condition = format!(
            "attribute_exists(approvalId) AND attribute_not_exists(decision) AND expiresAt > :now AND attribute_not_exists(expiryClaimedAt) AND {unchanged}"
        );
        let update = format!("SET {}{update_tail}", sets.join(", "));
        (update, condition, names, values)
    }
}
