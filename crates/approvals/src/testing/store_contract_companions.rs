//! The store contract's part on one request posted to several channels: a companion (the
//! request posted to Slack or Teams) is attached to a request made by Create Approval Links
//! only, at most [`MAX_COMPANIONS`] of them, with that channel's identities of the approvers and
//! requester; the record then waits in the relay index by its expiry, or is due at once with
//! its message update started over when its outcome was final already; it does not settle until
//! every message shows the outcome, and the relay's "updated" is refused when a companion was
//! attached after it read the record. Racing posts (a Parallel state's Slack and Teams
//! branches) are both kept. The in-memory store (unit tests) and the DynamoDB store (on a moto
//! answering one request at a time) run it alike.

use futures_util::future::join;

use super::store_contract::{decision, deliver, get, new_request, new_request_from, EXPIRES, NOW};
use crate::approval::{ChannelIdentities, Companion, MAX_COMPANIONS};
use crate::ports::{ChatApprovals, DecisionWrite, FinalDelivery};
use crate::quorum::Quorum;
use crate::{ApprovalId, ApprovalRecord, Channel, Decision, HitlError, MessageRef, TeamsUser};

/// Runs every companion check; ids start with `prefix` so runs do not collide.
pub async fn check_companion_contract(store: &dyn ChatApprovals, prefix: &str) {
    a_companion_is_kept_with_its_channel_s_identities(store, prefix).await;
    only_a_request_made_by_links_takes_companions_and_only_so_many(store, prefix).await;
    a_post_after_the_outcome_is_due_at_once_and_shown_again(store, prefix).await;
    companions_keep_the_record_until_every_message_shows_the_outcome(store, prefix).await;
    a_vote_makes_companions_due_for_their_progress(store, prefix).await;
    for round in 0..3 {
        racing_posts_are_both_kept(store, &format!("{prefix}-race{round}")).await;
    }
}

pub(super) fn slack_post(ts: &str) -> Companion {
    Companion {
        channel: Channel::Slack,
        message: MessageRef {
            channel: "C0APPROVALS".into(),
            ts: ts.into(),
        },
        shown: Some(r#"[{"type":"actions"}]"#.into()),
    }
}

fn teams_post() -> Companion {
    Companion {
        channel: Channel::Teams,
        message: MessageRef {
            channel: "19:abc@thread.tacv2".into(),
            ts: "1700000000001".into(),
        },
        shown: None,
    }
}

fn in_slack(requester: &str) -> ChannelIdentities {
    ChannelIdentities::Slack {
        approvers: vec!["U0ANN".into(), String::new()],
        requester: Some(requester.into()),
    }
}

fn in_teams() -> ChannelIdentities {
    ChannelIdentities::Teams {
        approvers: ["ann", "bob"]
            .map(|who| TeamsUser {
                object_id: format!("oid-{who}"),
                name: who.into(),
                user_principal_name: Some(format!("{who}@corp.example")),
                tenant_id: "tenant-1".into(),
            })
            .to_vec(),
        requester: Some("oid-dan".into()),
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// A request made by Create Approval Links asking Ann and Bob; waiting on a Task when `token`.
async fn links_request(s: &dyn ChatApprovals, id: &ApprovalId, token: bool) -> ApprovalRecord {
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Email, NOW, EXPIRES, 1);
    record.task_token = token.then(|| "tok".into());
    record.approvers = vec!["ann@x.io".into(), "bob@x.io".into()];
    s.create(&record).await.expect("create");
    get(s, id).await
}

async fn a_companion_is_kept_with_its_channel_s_identities(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-companion"));
    assert_eq!(links_request(s, &id, false).await.delivery.relay_at, None);
    let post = slack_post("1700000000.000100");
    s.attach_companion(&id, &post, &in_slack("U0DAN"), NOW + 1)
        .await
        .unwrap();
    let r = get(s, &id).await;
    assert_eq!(r.companions, vec![post.clone()], "kept as posted");
    assert_eq!(r.slack_approvers, vec!["U0ANN".to_string(), String::new()]);
    assert_eq!(r.requester_ids, vec!["U0DAN".to_string()]);
    assert_eq!(
        r.delivery.relay_at,
        Some(EXPIRES),
        "the relay shows its expiry"
    );
    // The same requester again (a retried post) is kept once; a Teams post adds its people.
    s.attach_companion(&id, &post, &in_slack("U0DAN"), NOW + 2)
        .await
        .unwrap();
    s.attach_companion(&id, &teams_post(), &in_teams(), NOW + 3)
        .await
        .unwrap();
    let r = get(s, &id).await;
    assert_eq!(r.companions.len(), 3);
    assert_eq!(r.teams_approvers[1].object_id, "oid-bob");
    assert_eq!(r.slack_approvers[0], "U0ANN", "the Slack ids stay");
    assert_eq!(sorted(r.requester_ids), vec!["U0DAN", "oid-dan"]);
    assert_eq!(r.delivery.relay_at, Some(EXPIRES), "still by its expiry");

    // Waiting on a Task already: stays where it is in the index.
    let waiting = ApprovalId::from(format!("{p}-companion-waiting"));
    links_request(s, &waiting, true).await;
    s.attach_companion(&waiting, &post, &in_slack("U0DAN"), NOW + 1)
        .await
        .unwrap();
    assert_eq!(get(s, &waiting).await.delivery.relay_at, Some(EXPIRES));
}

async fn only_a_request_made_by_links_takes_companions_and_only_so_many(
    s: &dyn ChatApprovals,
    p: &str,
) {
    let post = slack_post("1700000000.000200");
    let unknown = ApprovalId::from(format!("{p}-companion-unknown"));
    assert_eq!(
        s.attach_companion(&unknown, &post, &in_slack("U0DAN"), NOW)
            .await,
        Err(HitlError::NotFound(unknown.to_string()))
    );
    for origin in [Channel::Slack, Channel::Teams] {
        let id = ApprovalId::from(format!("{p}-companion-from-{origin:?}"));
        new_request_from(s, &id, None, origin).await;
        let refused = s
            .attach_companion(&id, &post, &in_slack("U0DAN"), NOW)
            .await;
        assert_eq!(refused.map_err(|e| e.name()), Err("Hitl.InvalidInput"));
        assert!(get(s, &id).await.companions.is_empty(), "nothing kept");
    }
    let id = ApprovalId::from(format!("{p}-companion-full"));
    new_request(s, &id, None).await;
    for n in 0..MAX_COMPANIONS {
        let post = slack_post(&format!("1700000000.{n:06}"));
        s.attach_companion(&id, &post, &in_slack("U0DAN"), NOW)
            .await
            .unwrap();
    }
    let refused = s
        .attach_companion(&id, &post, &in_slack("U0DAN"), NOW)
        .await;
    assert!(
        matches!(&refused, Err(HitlError::InvalidInput(m)) if m.contains("channels already")),
        "{refused:?}"
    );
    assert_eq!(get(s, &id).await.companions.len(), MAX_COMPANIONS);
}

async fn a_post_after_the_outcome_is_due_at_once_and_shown_again(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-companion-after"));
    links_request(s, &id, true).await;
    let first = slack_post("1700000000.000300");
    s.attach_companion(&id, &first, &in_slack("U0DAN"), NOW)
        .await
        .unwrap();
    s.record_decision(&id, &decision("ann@x.io", Decision::Approve), NOW)
        .await
        .unwrap();
    deliver(s, &id, "tok", FinalDelivery::Delivered, NOW).await;
    s.message_update_failed(&id, NOW + 20).await.unwrap();
    assert!(s
        .give_up_message_update(&id, "Slack.ChannelNotFound", NOW + 30)
        .await
        .unwrap());
    assert!(s.settle(&id).await.unwrap(), "settled without that update");
    // The Teams post lands after all that: every message is shown the outcome again, now.
    s.attach_companion(&id, &teams_post(), &in_teams(), NOW + 40)
        .await
        .unwrap();
    let r = get(s, &id).await;
    assert_eq!(r.delivery.relay_at, Some(NOW + 40), "due at once");
    assert_eq!(r.message_updated_at, None);
    assert_eq!(r.message_update_failed, None, "started over");
    assert_eq!(r.message_update_attempts, 0, "started over");
    assert!(!s.settle(&id).await.unwrap(), "the new card shows buttons");
    assert!(r.needs_message_update(NOW + 40));

    // Expired and its expiry shown on every message, then posted again: shown there too.
    let id = ApprovalId::from(format!("{p}-companion-after-expiry"));
    links_request(s, &id, false).await;
    s.attach_companion(&id, &first, &in_slack("U0DAN"), NOW)
        .await
        .unwrap();
    s.message_updated(&id, EXPIRES).await.unwrap();
    assert!(s.settle(&id).await.unwrap());
    s.attach_companion(&id, &teams_post(), &in_teams(), EXPIRES + 5)
        .await
        .unwrap();
    let r = get(s, &id).await;
    assert_eq!(
        (r.delivery.relay_at, r.message_updated_at),
        (Some(EXPIRES + 5), None)
    );
}

async fn companions_keep_the_record_until_every_message_shows_the_outcome(
    s: &dyn ChatApprovals,
    p: &str,
) {
    let id = ApprovalId::from(format!("{p}-companion-settle"));
    links_request(s, &id, true).await;
    s.attach_companion(
        &id,
        &slack_post("1700000000.000400"),
        &in_slack("U0DAN"),
        NOW,
    )
    .await
    .unwrap();
    s.record_decision(&id, &decision("ann@x.io", Decision::Approve), NOW)
        .await
        .unwrap();
    deliver(s, &id, "tok", FinalDelivery::Delivered, NOW).await;
    assert!(
        !s.settle(&id).await.unwrap(),
        "delivered, but the Slack post still shows buttons"
    );
    // A relay that read the record before the Teams post was attached showed it one message.
    s.attach_companion(&id, &teams_post(), &in_teams(), NOW + 1)
        .await
        .unwrap();
    assert!(
        !s.every_message_updated(&id, 1, NOW + 1).await.unwrap(),
        "refused: the Teams card was not shown the outcome"
    );
    assert_eq!(get(s, &id).await.message_updated_at, None);
    assert!(!s.settle(&id).await.unwrap());
    assert!(s.every_message_updated(&id, 2, NOW + 2).await.unwrap());
    assert!(s.settle(&id).await.unwrap(), "every message shows it");
    assert_eq!(get(s, &id).await.delivery.relay_at, None);

    // Undecided and expired: not settled until the expiry shows on the post.
    let id = ApprovalId::from(format!("{p}-companion-settle-expired"));
    links_request(s, &id, false).await;
    s.attach_companion(
        &id,
        &slack_post("1700000000.000500"),
        &in_slack("U0DAN"),
        NOW,
    )
    .await
    .unwrap();
    assert!(
        !s.settle(&id).await.unwrap(),
        "the relay shows its expiry first"
    );
    assert!(s.every_message_updated(&id, 1, EXPIRES).await.unwrap());
    assert!(s.settle(&id).await.unwrap());
}

async fn a_vote_makes_companions_due_for_their_progress(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-companion-progress"));
    let mut record = ApprovalRecord::new(id.as_str(), "t".into(), Channel::Email, NOW, EXPIRES, 1);
    record.task_token = Some("tok".into());
    record.approvers = vec!["ann@x.io".into(), "bob@x.io".into()];
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    s.create(&record).await.expect("create");
    let counted = s
        .record_decision(&id, &decision("ann@x.io", Decision::Approve), NOW)
        .await
        .unwrap();
    assert!(matches!(counted, DecisionWrite::Counted(_)));
    assert!(
        !s.progress_due(&id, NOW + 1).await.unwrap(),
        "links only: no message shows progress"
    );
    s.attach_companion(
        &id,
        &slack_post("1700000000.000600"),
        &in_slack("U0DAN"),
        NOW + 1,
    )
    .await
    .unwrap();
    assert!(
        s.progress_due(&id, NOW + 2).await.unwrap(),
        "the post shows it"
    );
    assert_eq!(get(s, &id).await.delivery.relay_at, Some(NOW + 2));
    assert!(s.progress_shown(&id, 1, NOW + 3).await.unwrap());
    let r = get(s, &id).await;
    assert_eq!(
        (r.message_progress_votes, r.delivery.relay_at),
        (1, Some(EXPIRES))
    );
}

async fn racing_posts_are_both_kept(s: &dyn ChatApprovals, p: &str) {
    let id = ApprovalId::from(format!("{p}-companions"));
    links_request(s, &id, true).await;
    let slack = slack_post("1700000000.000700");
    let (a, b) = join(
        s.attach_companion(&id, &slack, &in_slack("U0DAN"), NOW),
        s.attach_companion(&id, &teams_post(), &in_teams(), NOW),
    )
    .await;
    assert_eq!((a, b), (Ok(()), Ok(())));
    let r = get(s, &id).await;
    let mut channels: Vec<_> = r
        .companions
        .iter()
        .map(|c| format!("{:?}", c.channel))
        .collect();
    channels.sort();
    assert_eq!(channels, vec!["Slack", "Teams"], "both posts kept");
    assert_eq!(r.slack_approvers.len(), 2);
    assert_eq!(r.teams_approvers.len(), 2);
    assert_eq!(sorted(r.requester_ids), vec!["U0DAN", "oid-dan"]);
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_in_memory_store_keeps_the_companion_contract() {
        let store = crate::testing::FakeStore::default();
        super::check_companion_contract(&store, "mem").await;
    }
}
