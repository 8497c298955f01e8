//! Clicks at the same moment, end to end: whoever wins, exactly one decision is recorded, the
//! execution ends on that decision's branch, the record holds it and names its author, and
//! every other click is told who decided.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

const ROUNDS: usize = 4;
const LONG: Duration = Duration::from_secs(90);
const APPROVERS: [&str; 3] = ["ann@example.com", "ben@example.com", "cat@example.com"];
/// What each approver clicks, all at once.
const CLICKS: [&str; 3] = ["approve", "reject", "approve"];

fn past_tense(decision: &str) -> &'static str {
    match decision {
        "approve" => "Approved",
        _ => "Rejected",
    }
}

/// The execution ended on `decision`'s branch, and the record holds that one decision by
/// `winner`; no click was stored as late.
async fn assert_one_decision(arn: &str, decision: &str, winner: &str, winner_field: &str) {
    let end = wait_for_end(arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let outcome = if decision == "approve" {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(end.output["outcome"], outcome, "{}", end.output);
    let output = &end.output["decision"];
    assert_eq!(output["decision"], decision, "{}", end.output);
    let item = approval_record(output["approvalId"].as_str().unwrap()).await;
    assert_eq!(attr(&item, "decision"), decision, "{item:?}");
    assert_eq!(attr(&item, winner_field), winner, "{item:?}");
    assert_eq!(
        attr(&item, "decidedById"),
        output["decidedBy"]["id"].as_str().unwrap(),
        "the execution got the recorded decision: {item:?}"
    );
    assert!(!item.contains_key("lateDecisions"), "{item:?}");
}

/// Three approvers click their own links (approve, reject, approve) at the same moment.
async fn email_round(round: usize) {
    let title = unique(&format!("Concurrent clicks {round}"));
    let arn = start_execution(
        "EmailApprovalStateMachine",
        json!({"title": title, "description": "Three people, one moment.", "approvers": APPROVERS}),
    )
    .await;
    let emails = emails_matching(&title, APPROVERS.len()).await;
    let link = |i: usize| {
        let email = emails
            .iter()
            .find(|e| e.to == [APPROVERS[i]])
            .unwrap_or_else(|| panic!("{} has an email of their own", APPROVERS[i]));
        let (approve, reject) = links_of(email);
        if CLICKS[i] == "approve" {
            approve
        } else {
            reject
        }
    };
    let links = [link(0), link(1), link(2)];
    let (a, b, c) = tokio::join!(
        confirm(&links[0], &[]),
        confirm(&links[1], &[]),
        confirm(&links[2], &[])
    );
    let pages = [a, b, c];
    let summary: Vec<(u16, bool)> = pages
        .iter()
        .map(|p| (p.status, p.body.contains("your decision is recorded")))
        .collect();
    let recorded: Vec<usize> = (0..3).filter(|&i| pages[i].status == 200).collect();
    assert_eq!(recorded.len(), 1, "round {round}: {summary:?}");
    let w = recorded[0];
    assert!(pages[w].body.contains("your decision is recorded"));
    let told = format!("{} by {}", past_tense(CLICKS[w]), APPROVERS[w]);
    for (i, page) in pages.iter().enumerate().filter(|(i, _)| *i != w) {
        assert_eq!(page.status, 409, "round {round}, click {i}: {}", page.body);
        assert!(
            page.body.contains("already decided") && page.body.contains(&told),
            "round {round}, click {i} must name the winner ({told}): {}",
            page.body
        );
        assert!(!page.body.contains("your decision is recorded"));
    }
    println!("email round {round}: {} ({}) won", APPROVERS[w], CLICKS[w]);
    assert_one_decision(&arn, CLICKS[w], APPROVERS[w], "decidedById").await;
}

#[tokio::test]
async fn three_approvers_clicking_at_once_record_exactly_one_decision() {
    let rounds: Vec<_> = (0..ROUNDS).map(|r| tokio::spawn(email_round(r))).collect();
    for round in rounds {
        round.await.unwrap();
    }
}

async fn start_slack_race(round: usize) -> (String, String, String) {
    let tag = unique(&format!("race{round}"));
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({
            "channel": "#approvals", "header": "Delete the volume?", "text": format!("Race {tag}"),
            "buttons": [
                {"label": "Delete", "value": "approve", "style": "danger"},
                {"label": "Keep", "value": "reject"}
            ],
            "allowedUsers": ["U0ALICE", "U0BOB"]
        }),
    )
    .await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);
    (arn, channel, ts)
}

/// The "Already decided" notes `user` got so far.
async fn already_decided_notes(user: &str) -> Vec<String> {
    slack_ephemerals_for(user)
        .await
        .into_iter()
        .filter(|t| t.contains("Already decided"))
        .collect()
}

/// Waits for the message to lose its buttons (the click or the relay updates it).
async fn closed_message(channel: &str, ts: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let message = slack_message(channel, ts).await;
        if !has_buttons(&message) {
            return message;
        }
        assert!(Instant::now() < deadline, "still has buttons: {message}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits for `user`'s "Already decided" notes beyond the first `before` of them (in `round`).
async fn notes_after(user: &str, before: usize, round: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let notes = already_decided_notes(user).await;
        if notes.len() > before {
            return notes[before..].to_vec();
        }
        assert!(
            Instant::now() < deadline,
            "round {round}: {user} never told"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Alice approves and Bob rejects the same message at the same moment, a few times over.
#[tokio::test]
async fn two_slack_clicks_at_once_record_exactly_one_decision() {
    for round in 0..ROUNDS {
        let (arn, channel, ts) = start_slack_race(round).await;
        let before = (
            already_decided_notes("U0ALICE").await.len(),
            already_decided_notes("U0BOB").await.len(),
        );
        // Both clicks as on the message first posted: each client still shows the buttons.
        let stale = json!({"stale": true});
        let (alice, bob) = tokio::join!(
            slack_click(&channel, &ts, "U0ALICE", "approve", stale.clone()),
            slack_click(&channel, &ts, "U0BOB", "reject", stale.clone())
        );
        assert_eq!((alice.0, bob.0), (200, 200), "{alice:?} {bob:?}");

        let end = wait_for_end(&arn, LONG).await;
        let winner = end.output["decision"]["slackUser"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("round {round}: {}", end.output))
            .to_string();
        let (decision, loser, loser_before, winner_before) = match winner.as_str() {
            "U0ALICE" => ("approve", "U0BOB", before.1, before.0),
            "U0BOB" => ("reject", "U0ALICE", before.0, before.1),
            other => panic!("round {round}: decided by {other}"),
        };
        println!("Slack round {round}: {winner} ({decision}) won");
        assert_one_decision(&arn, decision, &winner, "slackUserId").await;

        // The loser is told who decided; the winner is not told anything of the kind.
        let told = notes_after(loser, loser_before, round).await;
        assert!(
            told.iter().all(|t| t.contains(&format!("<@{winner}>"))),
            "round {round}: {told:?}"
        );
        assert_eq!(
            already_decided_notes(&winner).await.len(),
            winner_before,
            "round {round}: the winner was told someone else decided"
        );
        let line = last_line(&closed_message(&channel, &ts).await);
        assert!(
            line.contains(&format!("<@{winner}>")) && !line.contains(&format!("<@{loser}>")),
            "round {round}: {line}"
        );
    }
}
