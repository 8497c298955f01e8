//! The store contract's part on Teams bot cards: a request's resolved approvers and a
//! decision's Teams user come back as stored, a late click keeps neither, and a bot card (unlike
//! a webhook post) keeps the record in the relay index until the card shows the outcome.

use super::store_contract::{decision, deliver, get, NOW};
use crate::approval::ApprovalRecord;
use crate::ports::{ChatApprovals, DecisionWrite, FinalDelivery};
use crate::{ApprovalId, Channel, Decision, MessageRef, TaskToken, TeamsUser};

fn person(oid: &str, upn: Option<&str>) -> TeamsUser {
    TeamsUser {
        object_id: oid.into(),
        name: format!("Person {oid}"),
        user_principal_name: upn.map(str::to_string),
        tenant_id: "tenant-1".into(),
    }
}

async fn teams_request(s: &dyn ChatApprovals, id: &ApprovalId, expires: i64) -> ApprovalRecord {
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Teams, NOW, expires, 1);
    record.task_token = Some(TaskToken::from("tok"));
    record.teams_approvers = vec![
        person("oid-1", Some("alice@corp.example")),
        person("oid-2", None),
    ];
    s.create(&record).await.expect("create");
    record
}

pub(super) async fn teams_bot_cards_are_kept(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-teams-card"));
    let record = teams_request(s, &id, NOW + 100).await;
    assert_eq!(get(s, &id).await.teams_approvers, record.teams_approvers);

    let card = MessageRef {
        channel: "19:abc@thread.tacv2".into(),
        ts: "1700000000001".into(),
    };
    s.attach_message(&id, &card, Some(r#"{"type":"AdaptiveCard"}"#))
        .await
        .unwrap();
    let mut clicked = decision("oid-1", Decision::Approve);
    clicked.decided_by.channel = Channel::Teams;
    clicked.teams_user = Some(person("oid-1", Some("alice@corp.example")));
    let written = s.record_decision(&id, &clicked, NOW).await.unwrap();
    assert!(matches!(written, DecisionWrite::Recorded(_)), "{written:?}");
    let stored = get(s, &id).await;
    assert_eq!(stored.decision, Some(clicked.clone()), "teamsUser kept");
    assert!(stored.has_updatable_message());

    deliver(s, &id, "tok", FinalDelivery::Delivered, NOW).await;
    assert!(
        !s.settle(&id).await.unwrap(),
        "the bot card still shows its buttons"
    );
    s.message_updated(&id, NOW + 1).await.unwrap();
    assert!(s.settle(&id).await.unwrap(), "the card shows the outcome");

    a_webhook_post_settles_once_delivered(s, p).await;
    a_late_click_keeps_no_teams_user(s, p, clicked).await;
}

async fn a_webhook_post_settles_once_delivered(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-teams-webhook"));
    teams_request(s, &id, NOW + 100).await;
    let posted = MessageRef {
        channel: "teams".into(),
        ts: "webhook".into(),
    };
    s.attach_message(&id, &posted, None).await.unwrap();
    s.record_decision(&id, &decision("link", Decision::Approve), NOW)
        .await
        .unwrap();
    deliver(s, &id, "tok", FinalDelivery::Delivered, NOW).await;
    assert!(
        s.settle(&id).await.unwrap(),
        "nothing to update on a webhook post"
    );
}

async fn a_late_click_keeps_no_teams_user(
    s: &dyn ChatApprovals,
    p: &str,
    clicked: crate::RecordedDecision,
) {
    let id = ApprovalId::from(format!("{p}-teams-late"));
    teams_request(s, &id, NOW - 1).await;
    let written = s.record_decision(&id, &clicked, NOW).await.unwrap();
    assert!(matches!(written, DecisionWrite::TooLate(_)), "{written:?}");
    let late = get(s, &id).await.late_decisions;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].decided_by.id, "oid-1");
    assert_eq!(
        late[0].teams_user, None,
        "a late click keeps its small audit"
    );
}
