//! Reminders on Slack and the Teams bot, and what faults do to a run.

use super::*;
use crate::ports::BotConversation;

#[tokio::test]
async fn on_slack_the_thread_is_told_who_decided() {
    let mut record = slack_request();
    *record.reminder_state.next_at.as_mut().unwrap() = NOW;
    let world = World::with(record);
    *world.store.after_claim.lock().unwrap() = Some(decision("U0BOB", Decision::Reject));
    world.run(NOW).await;
    let posted = world.slack.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].1.text, "already decided: rejected by U0BOB");
    assert_eq!(posted[0].1.thread_ts.as_deref(), Some("1700000000.000100"));
}

fn slack_request() -> ApprovalRecord {
    let mut record = team_request(Channel::Slack);
    record.approvers = vec!["U0ALICE".into(), "U0BOB".into()];
    record.reminders.as_mut().unwrap().escalate_to = vec!["U0LEAD".into()];
    record.message = Some(MessageRef {
        channel: "C0APPROVALS".into(),
        ts: "1700000000.000100".into(),
    });
    record
}

#[tokio::test]
async fn slack_reminders_are_thread_replies_naming_the_waiting_and_then_the_escalation() {
    let mut record = slack_request();
    vote(&mut record, "U0ALICE", Decision::Approve);
    let world = World::with(record);
    world.run(NOW).await;
    world.run(NOW + HOUR).await;
    let posted = world.slack.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2);
    assert!(posted.iter().all(|(channel, m)| channel == "C0APPROVALS"
        && m.thread_ts.as_deref() == Some("1700000000.000100")));
    assert_eq!(posted[0].1.text, "#1 waiting U0BOB escalation ");
    assert_eq!(posted[1].1.text, "#2 waiting U0BOB escalation U0LEAD");
    assert!(world.mail.to().is_empty(), "a Slack request is not emailed");
}

#[tokio::test]
async fn a_teams_bot_card_is_reminded_in_its_conversation() {
    let mut record = team_request(Channel::Teams);
    record.message = Some(MessageRef {
        channel: "19:abc@thread.tacv2".into(),
        ts: "activity-1".into(),
    });
    let world = World::with(record);
    world.run(NOW).await;
    let sent = world.bot.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].0,
        BotConversation::Conversation("19:abc@thread.tacv2".into())
    );
    assert_eq!(
        sent[0].1["waiting"],
        json!(["alice@corp.com", "bob@corp.com", "carol@corp.com"])
    );
}

#[tokio::test]
async fn a_failed_send_is_counted_and_the_reminder_stays_counted() {
    let mut world = World::with(team_request(Channel::Email));
    world.mail.refuse = vec!["bob@corp.com".into()];
    let report = world.run(NOW).await;
    assert_eq!((report.messages_sent, report.messages_failed), (2, 1));
    assert_eq!(
        world.failures.load(Ordering::SeqCst),
        1,
        "told to the function's metrics"
    );
    assert_eq!(
        world.record().reminder_state.sent,
        1,
        "counted: bob is not asked every minute"
    );
    let later = world.run(NOW + 60).await;
    assert_eq!((later.messages_sent, later.messages_failed), (0, 0));

    // A Teams bot that fails, and a channel the deployment lacks, fail the same way.
    let mut record = team_request(Channel::Teams);
    record.message = Some(MessageRef {
        channel: "19:abc@thread.tacv2".into(),
        ts: "activity-1".into(),
    });
    let world = World::with(record);
    *world.bot.fail_with.lock().unwrap() = Some(HitlError::transient("Teams", "timed out"));
    let report = world.run(NOW).await;
    assert_eq!(
        (report.messages_failed, world.record().reminder_state.sent),
        (1, 1)
    );
}

#[tokio::test]
async fn a_failed_read_after_the_claim_sends_nothing_and_the_run_goes_on() {
    let world = World::with(team_request(Channel::Email));
    let mut other = team_request(Channel::Email);
    other.approval_id = "a-2".into();
    world.store.put(other);
    world
        .store
        .fail_reads_after_claim
        .store(true, Ordering::SeqCst);
    let report = world.run(NOW).await;
    assert!(
        world.mail.to().is_empty(),
        "not known to be open: not asked"
    );
    assert_eq!(
        report.reminded,
        [ApprovalId::from("a-1")],
        "claimed, counted"
    );
    assert_eq!(report.messages_failed, 1);
    assert_eq!(
        report.retry_later,
        [ApprovalId::from("a-2")],
        "its first read failed: next run"
    );
    assert_eq!(world.store.record("a-2").reminder_state.sent, 0);
}

#[tokio::test]
async fn without_a_channel_for_the_request_its_reminder_fails_as_a_configuration_error() {
    let world = World::with(slack_request());
    let failed = Mutex::new(Vec::new());
    let on_failure = |e: &HitlError| failed.lock().unwrap().push(e.name());
    let channels = ReminderChannels {
        mail: None,
        slack: None,
        bot: None,
        format: &Plain,
        on_failure: &on_failure,
    };
    let report = send_due_reminders(&world.store, &channels, NOW, 100, &|| true)
        .await
        .unwrap();
    assert_eq!(report.messages_failed, 1);
    assert_eq!(*failed.lock().unwrap(), ["Hitl.Config"]);
}

#[tokio::test]
async fn a_request_nobody_can_be_reminded_of_leaves_the_index() {
    let mut record = team_request(Channel::Email);
    record.approvers.clear();
    record.quorum = None;
    let world = World::with(record);
    let report = world.run(NOW).await;
    assert_eq!(report.stopped, 1);
    assert_eq!(world.record().reminder_state.next_at, None);
}

#[tokio::test]
async fn no_request_is_started_once_the_budget_is_spent() {
    let world = World::with(team_request(Channel::Email));
    let channels = ReminderChannels {
        mail: None,
        slack: None,
        bot: None,
        format: &Plain,
        on_failure: &|_| {},
    };
    let spent = AtomicBool::new(false);
    let report = send_due_reminders(&world.store, &channels, NOW, 100, &|| {
        !spent.load(Ordering::SeqCst)
    })
    .await;
    assert_eq!(report.unwrap().reminded.len(), 1);
    world.store.put_due("a-1", NOW);
    spent.store(true, Ordering::SeqCst);
    let report = send_due_reminders(&world.store, &channels, NOW, 100, &|| {
        !spent.load(Ordering::SeqCst)
    })
    .await;
    assert!(report.unwrap().reminded.is_empty());
}
