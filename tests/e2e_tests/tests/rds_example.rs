//! The seed's example as a real workflow: idle RDS instances (found by tag) reviewed one by
//! one; only the approved one is stopped.

use std::time::Duration;

use e2e_tests::*;
use serde_json::json;

async fn create_instance(id: &str, idle: bool) {
    local_stack::rds::create_instance(&endpoints().edge, id, idle)
        .await
        .unwrap();
}

/// The first `count` approval emails (not reminders) about any of `instances`, waiting 30 s.
async fn asked_about(instances: &[&str], count: usize) -> Vec<SentEmail> {
    let url = format!("{}/_local/api/emails", endpoints().api);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let all: Vec<SentEmail> = http().get(&url).send().await.unwrap().json().await.unwrap();
        let found: Vec<SentEmail> = all
            .into_iter()
            .filter(|e| e.subject.contains("Stop idle RDS instance"))
            .filter(|e| !e.subject.starts_with("Reminder:"))
            .filter(|e| instances.iter().any(|i| e.subject.contains(i)))
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {count} email(s) about {instances:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn status_of(id: &str) -> String {
    local_stack::rds::instance_status(&endpoints().edge, id)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_the_approved_idle_instance_is_stopped() {
    let (keep, stop, busy) = (unique("db-keep"), unique("db-stop"), unique("db-busy"));
    create_instance(&stop, true).await;
    create_instance(&keep, true).await;
    create_instance(&busy, false).await;
    for id in [&stop, &keep, &busy] {
        assert_eq!(status_of(id).await, "available");
    }

    let arn = start_execution(
        "RdsIdleReviewStateMachine",
        json!({"approvers": ["owner@example.com"]}),
    )
    .await;
    // One by one: the second request is sent only after the first is decided. (Only the
    // emails about this test's instances: other tests of this file ask about theirs.)
    let first = asked_about(&[&stop, &keep], 1).await.remove(0);
    let (approve, reject) = links_of(&first);
    let first_is_stop = first.subject.contains(&stop);
    assert!(
        first_is_stop || first.subject.contains(&keep),
        "{}",
        first.subject
    );
    confirm(if first_is_stop { &approve } else { &reject }, &[]).await;

    let both = asked_about(&[&stop, &keep], 2).await;
    let second = both.iter().find(|e| e.id != first.id).unwrap();
    let (approve, reject) = links_of(second);
    confirm(if first_is_stop { &reject } else { &approve }, &[]).await;

    let end = wait_for_end(&arn, Duration::from_secs(90)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let results = end.output["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let outcome_of = |id: &str| {
        results
            .iter()
            .find(|r| r["instance"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {results:?}"))
    };
    assert_eq!(outcome_of(&stop)["outcome"], "stopped");
    assert_eq!(outcome_of(&keep)["outcome"], "kept");
    // An instance without the idle tag is listed but never put to an approver.
    assert_eq!(
        outcome_of(&busy),
        json!({"instance": busy, "outcome": "not-idle"})
    );
    assert_eq!(status_of(&stop).await, "stopped");
    assert_eq!(status_of(&keep).await, "available");
    assert_eq!(status_of(&busy).await, "available");
    assert!(!both.iter().any(|e| e.subject.contains(&busy)));
}

#[tokio::test]
async fn the_review_can_ask_in_slack_and_reports_there() {
    // Named in the input (not tagged), so the tag-based review above never sees it as idle.
    let db = unique("db-slack");
    create_instance(&db, false).await;
    let arn = start_execution(
        "RdsIdleReviewStateMachine",
        json!({"via": "slack", "channel": "#approvals", "allowedUsers": ["U0CAROL"], "instanceIds": [db]}),
    )
    .await;
    let asked = slack_message_with(&db).await;
    let (channel, ts) = (
        asked["channel"].as_str().unwrap().to_string(),
        asked["ts"].as_str().unwrap().to_string(),
    );
    let (status, _) = slack_click(&channel, &ts, "U0CAROL", "reject", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["results"][0]["outcome"], "kept");
    assert_eq!(end.output["results"][0]["decidedBy"], "U0CAROL");
    assert_eq!(status_of(&db).await, "available");
    let summary = slack_message_with("Idle RDS review done").await;
    assert!(summary["text"].as_str().unwrap().contains(&db), "{summary}");
}

/// Fires the schedule `name` now (as EventBridge Scheduler would) and waits for its function.
async fn fire(name: &str) {
    let url = format!("{}/_local/api/schedules/{name}/fire", endpoints().api);
    let r = http().post(url).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "{name}: {}",
        r.text().await.unwrap()
    );
}

/// Reminder emails about `db` sent to `to` so far.
async fn reminders_to(db: &str, to: &str) -> usize {
    let url = format!("{}/_local/api/emails", endpoints().api);
    let all: Vec<SentEmail> = http().get(&url).send().await.unwrap().json().await.unwrap();
    all.iter()
        .filter(|e| e.subject.starts_with("Reminder:") && e.subject.contains(db))
        .filter(|e| e.to.iter().any(|t| t == to))
        .count()
}

const REMINDERS: &str = "ApprovalRemindersFunction.Remind";

/// The weekly review's team decision, with reminders a few seconds apart: both owners must
/// approve; the one who does not answer is reminded (the other is not), and after two
/// reminders the lead fills the silent owner's place and the instance is stopped.
#[tokio::test]
async fn the_review_asks_both_owners_reminds_the_silent_one_and_escalates_to_the_lead() {
    // Named in the input (not tagged), so the tag-based review above never sees it as idle.
    let db = unique("db-owners");
    create_instance(&db, false).await;
    let (first, second, lead) = (
        "owner@example.com",
        "second-owner@example.com",
        "dba-lead@example.com",
    );
    let input = json!({
        "instanceIds": [db], "approvers": [first, second], "quorum": {"approvals": "all"},
        "reminders": {"everySeconds": 5, "escalateAfter": 2, "escalateTo": [lead]},
        "timeoutSeconds": 300
    });
    let arn = start_execution("RdsIdleReviewStateMachine", input).await;
    let asked = emails_matching(&format!("Stop idle RDS instance {db}?"), 2).await;
    let own = asked.iter().find(|e| e.to == [first]).unwrap();
    let counted = confirm(&links_of(own).0, &[]).await;
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert!(
        counted.body.contains(second),
        "waiting for the second owner: {}",
        counted.body
    );

    // Reminders to the owner who has not answered only (the schedule's own minute tick may
    // send one too), until the second one, which escalates.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(6)).await;
        fire(REMINDERS).await;
        assert_eq!(
            reminders_to(&db, first).await,
            0,
            "the owner who voted is not reminded"
        );
        if reminders_to(&db, second).await >= 2 {
            break;
        }
    }
    assert!(
        reminders_to(&db, second).await >= 2,
        "two reminders in 24 s"
    );
    // The second reminder escalated: the lead got the request with links of their own.
    let escalated = emails_matching(&db, 1)
        .await
        .into_iter()
        .find(|e| e.to == [lead])
        .expect("the lead is asked after two reminders");
    let stand_in = confirm(&links_of(&escalated).0, &[]).await;
    assert_eq!(stand_in.status, 200, "{}", stand_in.body);

    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let result = &end.output["results"][0];
    assert_eq!(result["outcome"], "stopped", "{end:?}");
    assert_eq!(
        result["decidedBy"], lead,
        "the lead's vote settled it: {end:?}"
    );
    assert_eq!(status_of(&db).await, "stopped");
    // Settled: later reminder passes send nothing more about it.
    let reminded = reminders_to(&db, second).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    fire(REMINDERS).await;
    assert_eq!(reminders_to(&db, second).await, reminded);
}
