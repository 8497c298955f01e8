//! Reminders and escalation of a team decision on the local stack: the Approval Reminders
//! schedule fired on demand (it also fires by itself every minute, so every check here holds
//! whichever run sends a reminder). A reminder goes only to whoever has not voted; after the
//! reminders the request names, the escalation target gets personal links and fills a slot;
//! once settled, nothing asks again, and a reminder in flight says it was already decided.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use e2e_tests::votes::*;
use e2e_tests::*;
use serde_json::{json, Value};

const FLOW: &str = "EmailApprovalStateMachine";
const REMIND: &str = "ApprovalRemindersFunction.Remind";
const LONG: Duration = Duration::from_secs(90);
const EVERY: u64 = 5;
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";
const CAT: &str = "cat@example.com";
const LEAD: &str = "lead@example.com";

async fn ask(title: &str, approvers: &[&str], reminders: Value) -> String {
    let input = json!({"title": title, "description": "Grant prod read access to ci-bot.",
        "approvers": approvers, "quorum": {"approvals": 2}, "reminders": reminders});
    start_execution(FLOW, input).await
}

fn approval_id_of(link: &str) -> String {
    let path = link.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

/// The emails of `title` to `person` whose subject starts with `prefix`, now.
async fn count_to(person: &str, prefix: &str, title: &str) -> usize {
    let all = emails_now(title).await;
    all.iter()
        .filter(|e| e.subject.starts_with(prefix) && e.to.iter().any(|t| t == person))
        .count()
}

/// `remindersSent` of the request (0 when absent).
async fn reminders_sent(approval_id: &str) -> u32 {
    attr(&approval_record(approval_id).await, "remindersSent")
        .parse()
        .unwrap_or(0)
}

/// Fires the reminder schedule (waiting for each next one to be due) until the request has
/// had `count` reminders, whichever run sent them.
async fn reminded(approval_id: &str, count: u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while reminders_sent(approval_id).await < count {
        assert!(Instant::now() < deadline, "not reminded {count} times");
        let report = fire_schedule(REMIND).await;
        if !lists(&report, "reminded", approval_id) {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[tokio::test]
async fn reminders_ask_only_who_has_not_voted_then_the_lead_fills_the_slot() {
    let title = unique("Grant access");
    let rules = json!({"everySeconds": EVERY, "escalateAfter": 2, "escalateTo": [LEAD]});
    let arn = ask(&title, &[ANN, BEN], rules).await;
    let links = personal_links(&title, &[ANN, BEN]).await;
    let id = approval_id_of(&links[ANN].approve);
    assert_eq!(confirm(&links[ANN].approve, &[]).await.status, 200);

    reminded(&id, 1).await;
    // On a slow machine the minute schedule may already have sent the second one as well.
    let to_ben = emails_to(BEN, "Reminder", &title, 1).await;
    let reminder = to_ben
        .iter()
        .find(|e| e.text.contains("Reminder 1:"))
        .unwrap_or_else(|| panic!("no first reminder to Ben: {to_ben:?}"));
    assert!(
        reminder.text.contains("1 of 2 approvals so far"),
        "{}",
        reminder.text
    );
    let (approve, _) = links_of(reminder);
    assert_eq!(approval_id_of(&approve), id, "Ben's own links again");
    assert_eq!(count_to(ANN, "Reminder", &title).await, 0, "Ann voted");
    // Before the escalation the lead has nothing (one reminder of the two).
    if reminders_sent(&id).await < 2 {
        assert_eq!(count_to(LEAD, "", &title).await, 0, "not escalated yet");
    }

    reminded(&id, 2).await;
    let to_lead = &emails_to(LEAD, "Reminder", &title, 1).await[0];
    assert!(
        to_lead.text.contains("escalated to you"),
        "{}",
        to_lead.text
    );
    assert!(to_lead.text.contains(BEN), "whose place: {}", to_lead.text);
    assert!(
        item_has(&id, "escalatedAt").await,
        "escalated after 2 reminders"
    );
    assert_eq!(count_to(ANN, "Reminder", &title).await, 0, "Ann voted");
    let (lead_approve, _) = links_of(to_lead);
    let page = confirm(&lead_approve, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("settles the request"), "{}", page.body);
    assert!(page.body.contains("filled by"), "{}", page.body);

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    let votes = votes_of(&end.output["decision"]);
    let slots: Vec<(&str, &str)> = votes
        .iter()
        .map(|v| (v.approver.as_str(), v.by.as_str()))
        .collect();
    assert_eq!(
        slots,
        [(ANN, ANN), (BEN, LEAD)],
        "the lead filled Ben's slot"
    );
    assert!(votes.iter().all(|v| v.verified && v.channel == "email"));
    assert_eq!(resumes(&arn).await, 1);

    nobody_reminded_after(&id, &title).await;
}

/// Once settled, the next run reminds nobody of the request, which left the reminder index.
async fn nobody_reminded_after(id: &str, title: &str) {
    let before = emails_now(title).await.len();
    tokio::time::sleep(Duration::from_secs(EVERY + 1)).await;
    let report = fire_schedule(REMIND).await;
    assert!(!lists(&report, "reminded", id), "{report}");
    assert_eq!(
        emails_now(title).await.len(),
        before,
        "no email after the settlement"
    );
    assert!(!item_has(id, "remind").await, "out of the reminder index");
}

async fn item_has(approval_id: &str, attribute: &str) -> bool {
    approval_record(approval_id).await.contains_key(attribute)
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-12-07T01:02:03.456Z`).
fn epoch_seconds(rfc3339: &str) -> f64 {
    let (date, time) = rfc3339.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let t: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = if d[1] <= 2 { d[0] - 1 } else { d[0] };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((d[1] + 9) % 12) + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days as f64 * 86_400.0 + t[0] * 3600.0 + t[1] * 60.0 + t[2]
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// What one race left Cat (who never votes): asked, told, or nothing.
#[derive(Debug, PartialEq)]
enum Seen {
    Asked,
    ToldDecided,
    Nothing,
}

/// A 2-of-3 request Ann approved; once its reminder is due, the reminder run and Ben's
/// settling vote at the same moment (Ben's click `delay` later).
async fn race(round: usize, delay: Duration) -> Seen {
    let title = unique(&format!("Grant access race{round}"));
    let arn = ask(&title, &[ANN, BEN, CAT], json!({"everySeconds": EVERY})).await;
    let links = personal_links(&title, &[ANN, BEN, CAT]).await;
    let id = approval_id_of(&links[ANN].approve);
    assert_eq!(confirm(&links[ANN].approve, &[]).await.status, 200);
    tokio::time::sleep(Duration::from_millis(EVERY * 1000 + 300)).await;
    let sent_before = reminders_sent(&id).await;
    let asked_before = count_to(CAT, "Reminder", &title).await;

    let vote = async {
        tokio::time::sleep(delay).await;
        let page = confirm(&links[BEN].approve, &[]).await;
        (page, now_seconds())
    };
    let (report, (page, settled_by)) = tokio::join!(fire_schedule(REMIND), vote);
    assert_eq!(page.status, 200, "round {round}: {}", page.body);
    assert!(page.body.contains("settles the request"), "{}", page.body);
    assert_eq!(wait_for_end(&arn, LONG).await.output["outcome"], "approved");
    assert_eq!(resumes(&arn).await, 1, "round {round}");

    let sent = reminders_sent(&id).await;
    let notes = each_reminder_sent_once(&title, sent, round, &report).await;
    asked_only_before(&title, settled_by, round).await;
    nothing_after(&id, &title, sent, notes, round).await;
    match (sent - sent_before, notes.0 - asked_before, notes.1) {
        (0, _, _) => Seen::Nothing,
        (_, _, 1) => Seen::ToldDecided,
        _ => Seen::Asked,
    }
}

/// Every reminder claimed (`sent`) reached Cat once, asking or saying it was decided; Ann
/// (who voted) and Ben (who settled it) were never reminded of it. Cat's (asked, told).
async fn each_reminder_sent_once(
    title: &str,
    sent: u32,
    round: usize,
    report: &Value,
) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let notes = loop {
        let asked = count_to(CAT, "Reminder", title).await;
        let told = count_to(CAT, "Decided", title).await;
        if asked + told >= sent as usize || Instant::now() > deadline {
            break (asked, told);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(notes.0 + notes.1, sent as usize, "round {round}: {report}");
    assert_eq!(
        count_to(ANN, "", title).await,
        1,
        "Ann only got the request"
    );
    assert_eq!(
        count_to(BEN, "Decided", title).await,
        0,
        "Ben settled it himself"
    );
    notes
}

/// A reminder that asked was on its way before the vote settled the request (answered at
/// `settled_by`); one in flight said it was decided, without links.
async fn asked_only_before(title: &str, settled_by: f64, round: usize) {
    let outbox: Value = local_api("/_local/api/emails").await;
    for email in emails_now(title).await {
        if email.subject.starts_with("Reminder") {
            let at = sent_at_of(&outbox, &email.id);
            assert!(
                at <= settled_by + 1.0,
                "round {round}: asked after it settled"
            );
        }
        if email.subject.starts_with("Decided") {
            assert!(email.text.contains("already decided"), "{}", email.text);
            assert!(
                !email.text.contains("Approve: "),
                "no links: {}",
                email.text
            );
        }
    }
}

/// Once settled, later runs remind nobody and the request left the reminder index.
async fn nothing_after(id: &str, title: &str, sent: u32, notes: (usize, usize), round: usize) {
    tokio::time::sleep(Duration::from_secs(EVERY + 1)).await;
    fire_schedule(REMIND).await;
    assert_eq!(reminders_sent(id).await, sent, "round {round}");
    assert!(
        !item_has(id, "remind").await,
        "round {round}: still in the index"
    );
    let after = (
        count_to(CAT, "Reminder", title).await,
        count_to(CAT, "Decided", title).await,
    );
    assert_eq!(
        after, notes,
        "round {round}: nothing sent after the settlement"
    );
}

fn sent_at_of(outbox: &Value, email_id: &str) -> f64 {
    let all = outbox.as_array().unwrap();
    let email = all.iter().find(|e| e["id"] == email_id).unwrap();
    epoch_seconds(email["sentAt"].as_str().unwrap())
}

#[tokio::test]
async fn a_quorum_reached_while_a_reminder_is_sent_is_never_asked_after() {
    let delays = [0, 0, 20, 50, 100, 200];
    let mut seen = Vec::new();
    for (round, ms) in delays.into_iter().enumerate() {
        let outcome = race(round, Duration::from_millis(ms)).await;
        println!("round {round} (vote {ms} ms after the run): {outcome:?}");
        seen.push(outcome);
    }
    println!("{seen:?}");
}

/// The reply in the Slack thread of `channel`/`ts` whose text holds `needle`.
async fn thread_reply(channel: &str, ts: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let messages = chat().await["slack"]["messages"].clone();
        let found = messages.as_array().unwrap().iter().find(|m| {
            m["channel"] == channel
                && m["threadTs"] == ts
                && m["text"].as_str().unwrap_or_default().contains(needle)
        });
        if let Some(m) = found {
            return m["text"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no reply {needle:?} in the thread"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// In Slack the reminder is a reply in the request's thread naming only who has not voted;
/// escalated, the target's click fills the missing approver's place.
#[tokio::test]
async fn a_slack_reminder_replies_in_the_thread_and_the_escalation_target_fills_the_slot() {
    let tag = unique("remind");
    let rules = json!({"everySeconds": EVERY, "escalateAfter": 1, "escalateTo": ["U0CAROL"]});
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({"channel": "#approvals", "header": "Rotate the keys?", "text": format!("Keys {tag}"),
            "allowedUsers": ["U0ALICE", "U0BOB"], "quorum": {"approvals": "all"},
            "reminders": rules}),
    )
    .await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let id = approval_of_message(&channel, &ts).await;
    // Slack is answered at once; the vote is counted when the message shows it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !slack_message(&channel, &ts)
        .await
        .to_string()
        .contains("1 of 2 approved")
    {
        assert!(Instant::now() < deadline, "Alice's vote never shown");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    reminded(&id, 1).await;

    let reply = thread_reply(&channel, &ts, "Reminder 1").await;
    assert!(reply.contains("<@U0BOB>"), "{reply}");
    assert!(!reply.contains("<@U0ALICE>"), "Alice voted: {reply}");
    assert!(reply.contains("Escalated to <@U0CAROL>"), "{reply}");

    let (status, _) = slack_click(&channel, &ts, "U0CAROL", "approve", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    let votes = votes_of(&end.output["decision"]);
    let slots: Vec<(&str, &str)> = votes
        .iter()
        .map(|v| (v.approver.as_str(), v.by.as_str()))
        .collect();
    assert_eq!(slots, [("U0ALICE", "U0ALICE"), ("U0BOB", "U0CAROL")]);
    assert_eq!(resumes(&arn).await, 1);
}

/// The request whose Slack message is `channel`/`ts` (its record names the message).
async fn approval_of_message(channel: &str, ts: &str) -> String {
    let records = dynamodb()
        .await
        .scan()
        .table_name("ApprovalsTable")
        .send()
        .await
        .unwrap();
    let found = records
        .items()
        .iter()
        .find(|item| attr(item, "messageChannel") == channel && attr(item, "messageTs") == ts);
    attr(found.expect("a record names the message"), "approvalId")
}
