//! The store contract's part on Teams bot cards: a request's resolved approvers and a
//! decision's Teams user come back as stored, a late click keeps neither, and a bot card (unlike
//! a webhook post) keeps the record in the relay index until the card shows the outcome, or,
//! expired undecided, the expiry.

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
    an_expired_bot_card_stays_due_until_it_shows_the_expiry(s, p).await;
}

/// Undecided and expired: the Task told (or refused for good) settles a webhook post, but a
/// bot card stays in the relay index until the card says it expired.
async fn an_expired_bot_card_stays_due_until_it_shows_the_expiry(s: &dyn ChatApprovals, p: &str) {
    let tok = TaskToken::from("tok");
    let card = MessageRef {
        channel: "19:abc@thread.tacv2".into(),
        ts: "1700000000002".into(),
    };
    let webhook = MessageRef {
        channel: "teams".into(),
        ts: "webhook".into(),
    };
    for (name, message, given_up) in [
        ("told", &card, false),
        ("refused", &card, true),
        ("webhook", &webhook, false),
    ] {
        let id = ApprovalId::from(format!("{p}-teams-expired-{name}"));
        teams_request(s, &id, NOW).await;
        s.attach_message(&id, message, Some("{}")).await.unwrap();
        assert!(s.claim_expiry(&id, &tok, NOW, NOW + 10).await.unwrap());
        if given_up {
            assert!(s.give_up_delivery(&id, &tok, "why", NOW + 1).await.unwrap());
        } else {
            s.finish_expiry(&id, &tok, NOW + 1).await.unwrap();
        }
        let record = get(s, &id).await;
        if message.ts == "webhook" {
            assert!(
                s.settle(&id).await.unwrap(),
                "nothing to update on a webhook post"
            );
            continue;
        }
        assert!(record.needs_message_update(NOW + 1), "{name}");
        assert!(
            !s.settle(&id).await.unwrap(),
            "{name}: the card still shows its buttons"
        );
        let due = s.due_for_relay(NOW + 10, 100).await.unwrap();
        assert!(due.contains(&id), "{name}: still in the relay index");
        s.message_updated(&id, NOW + 2).await.unwrap();
        assert!(
            s.settle(&id).await.unwrap(),
            "{name}: the card shows the expiry"
        );
        assert!(!s.due_for_relay(NOW + 10, 100).await.unwrap().contains(&id));
    }
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
