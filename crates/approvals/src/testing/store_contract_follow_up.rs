//! The store contract's part on follow-up questions: the question stays on the request, the
//! typed answer on the decision (a late one's too), exactly as given.

use crate::approval::ApprovalRecord;
use crate::follow_up::{Answer, AnswerKind, FollowUp, FollowUpAnswer};
use crate::ports::{ChatApprovals, DecisionWrite};
use crate::{ApprovalId, Channel, DecidedBy, Decision, RecordedDecision};

const NOW: i64 = 1_800_000_000;
const EXPIRES: i64 = NOW + 100;

fn answered(who: &str, answer: Option<Answer>) -> RecordedDecision {
    RecordedDecision {
        decision: Decision::Reject,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Slack,
        },
        decided_at: NOW,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: Some(FollowUpAnswer {
            question: "How many replicas?".into(),
            answer,
        }),
    }
}

pub(super) async fn questions_and_answers_are_kept(s: &dyn ChatApprovals, p: &str) {
    let question = FollowUp {
        question: "How many replicas?".into(),
        kind: AnswerKind::Number,
        after: vec!["reject".into(), "defer".into()],
        required: false,
    };
    let id = ApprovalId::from(format!("{p}-follow-up"));
    let mut record = ApprovalRecord::new(id.clone(), "t".into(), Channel::Slack, NOW, EXPIRES, 1);
    record.follow_up = Some(question.clone());
    s.create(&record).await.expect("create");
    let stored = s.get(&id).await.unwrap().expect("created record");
    assert_eq!(stored.follow_up, Some(question), "the question is kept");

    let decision = answered(
        "a",
        Some(Answer::Number(serde_json::Number::from_f64(2.5).unwrap())),
    );
    let write = s.record_decision(&id, &decision, NOW + 1).await;
    let Ok(DecisionWrite::Recorded(record)) = write else {
        panic!("decision with an answer not recorded: {write:?}");
    };
    assert_eq!(
        record.decision.as_ref(),
        Some(&decision),
        "the answer comes back as written"
    );
    let read = s.get(&id).await.unwrap().unwrap();
    assert_eq!(read.decision, Some(decision), "and is read back typed");

    let late_id = ApprovalId::from(format!("{p}-follow-up-late"));
    let late_request =
        ApprovalRecord::new(late_id.clone(), "t".into(), Channel::Slack, NOW, EXPIRES, 1);
    s.create(&late_request).await.expect("create");
    let late = answered("b", None);
    let write = s.record_decision(&late_id, &late, EXPIRES).await;
    let Ok(DecisionWrite::TooLate(record)) = write else {
        panic!("a decision at expiry is not late: {write:?}");
    };
    assert_eq!(
        record.late_decisions,
        vec![late.late_audit()],
        "a late decision is kept in the audit, without its answer"
    );
}
