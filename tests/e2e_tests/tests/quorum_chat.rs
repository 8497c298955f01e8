//! Team decisions in chat on the local stack: a Slack request whose allowed users are the
//! approvers (votes clicked through the Slack stand-in, signed as Slack signs them) and a
//! Teams bot card (clicks signed as the Bot Framework signs them). The message shows the
//! progress while open, the votes once settled; the workflow gets every vote, verified.

use std::time::{Duration, Instant};

use e2e_tests::votes::*;
use e2e_tests::*;
use serde_json::{json, Value};

mod teams_bot_support;
use teams_bot_support::*;

const LONG: Duration = Duration::from_secs(90);

/// Waits until the Slack message at `channel`/`ts` holds `needle`; the message then.
async fn slack_message_holding(channel: &str, ts: &str, needle: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let message = slack_message(channel, ts).await;
        if message.to_string().contains(needle) {
            return message;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in {message}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn two_of_three_in_slack_shows_the_progress_then_lists_the_votes() {
    let tag = unique("quorum");
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({"channel": "#approvals", "header": "Rotate the keys?",
            "text": format!("Keys {tag} are 90 days old"),
            "allowedUsers": ["U0ALICE", "U0BOB", "U0CAROL"], "quorum": {"approvals": 2}}),
    )
    .await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);

    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    let progress = "1 of 2 approved; waiting for <@U0BOB>, <@U0CAROL>";
    let message = slack_message_holding(&channel, &ts, progress).await;
    assert!(has_buttons(&message), "the others still vote: {message}");
    note_to("U0ALICE", &format!("Your approval is counted: {progress}")).await;

    // Alice again, rejecting this time: told she voted, nothing changes.
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "reject", json!({})).await;
    assert_eq!(status, 200);
    note_to("U0ALICE", "a second vote changes nothing").await;
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let (status, _) = slack_click(&channel, &ts, "U0BOB", "approve", json!({})).await;
    assert_eq!(status, 200);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    let decision = &end.output["decision"];
    assert_eq!(
        decision["slackUser"]["id"], "U0BOB",
        "the settling vote: {decision}"
    );
    let seen: Vec<(String, String, String, bool)> = votes_of(decision)
        .into_iter()
        .map(|v| (v.approver, v.by, v.channel, v.verified))
        .collect();
    let slack = |u: &str| (u.to_string(), u.to_string(), "slack".to_string(), true);
    assert_eq!(seen, vec![slack("U0ALICE"), slack("U0BOB")], "{decision}");
    assert_eq!(
        decision["tally"]["waitingFor"],
        json!(["U0CAROL"]),
        "{decision}"
    );
    assert_eq!(resumes(&arn).await, 1);

    // Everyone's message: the outcome and each vote, nothing left to click.
    let message = slack_message_holding(&channel, &ts, "2 of 2 approved").await;
    assert!(!has_buttons(&message), "{message}");
    let shown = message["blocks"].to_string();
    for voter in ["<@U0ALICE>", "<@U0BOB>"] {
        assert!(shown.contains(voter), "{voter} listed: {shown}");
    }
    assert!(!shown.contains("waiting for"), "{shown}");
}

#[tokio::test]
async fn two_of_two_on_the_teams_bot_card_needs_both_and_both_are_verified() {
    let channel = conversation("channel").await;
    let title = unique("Open port 22 on bastion");
    let payload = json!({"title": title, "conversationId": channel,
        "approvers": ["alice@example.com", "bob@example.com"],
        "quorum": {"approvals": "all"}});
    let arn = run_one_task("TeamsRequestActionFunction", payload, json!({})).await;
    let message = teams_message_with(&title).await;
    assert_eq!(message["via"], "bot", "{message}");

    let alice = click("alice@example.com", &message, json!({"action": "Approve"})).await;
    let card = answered_card(&alice);
    let shown = card.to_string();
    assert!(shown.contains("1 of 2 approved; waiting for"), "{shown}");
    assert!(shown.contains("bob@example.com"), "{shown}");
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let bob = click("bob@example.com", &message, json!({"action": "Approve"})).await;
    let card = answered_card(&bob);
    assert!(!card_has_buttons(card), "settled: {card}");

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let out = &end.output;
    assert_eq!(out["decision"], "approve", "{out}");
    let alice_id = object_id("alice@example.com").await;
    let bob_id = object_id("bob@example.com").await;
    let seen: Vec<(String, String, String, bool)> = votes_of(out)
        .into_iter()
        .map(|v| (v.approver, v.by, v.channel, v.verified))
        .collect();
    let teams = |upn: &str, id: &str| (upn.to_string(), id.to_string(), "teams".into(), true);
    let expected = vec![
        teams("alice@example.com", &alice_id),
        teams("bob@example.com", &bob_id),
    ];
    assert_eq!(seen, expected, "{out}");
    assert_eq!(out["tally"]["approvals"], 2, "{out}");
    assert_eq!(resumes(&arn).await, 1);

    // Everyone's copy once the relay updated it: the outcome, nothing to click.
    closed_card(&message).await;
}

/// A Teams bot request keeps personal links as its email fallback: one vote per approver
/// whatever the channel. Alice votes on the card; her link then says she voted; Bob's link
/// fills his own place and settles the request (red before e0b8e4d: 403, no slot for an
/// address on a request whose slots were keyed by Entra object id only).
#[tokio::test]
async fn on_a_teams_bot_request_a_vote_counts_once_across_card_and_email() {
    let channel = conversation("channel").await;
    let title = unique("Rotate the bastion key");
    let payload = json!({"title": title, "conversationId": channel,
        "approvers": ["alice@example.com", "bob@example.com"],
        "quorum": {"approvals": "all"}});
    let arn = run_one_task("TeamsRequestActionFunction", payload, json!({})).await;
    let message = teams_message_with(&title).await;
    let id = approval_id_of(&message["card"]).expect("a button names the request");

    let alice = click("alice@example.com", &message, json!({"action": "Approve"})).await;
    assert!(answered_card(&alice)
        .to_string()
        .contains("1 of 2 approved"));
    let again = confirm(&signed_link(&id, approvals::Decision::Reject, 0).await, &[]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("You voted already"), "{}", again.body);
    assert!(again.body.contains("in Teams"), "{}", again.body);

    let bob = confirm(
        &signed_link(&id, approvals::Decision::Approve, 1).await,
        &[],
    )
    .await;
    assert_eq!(
        bob.status, 200,
        "Bob's link counts for his place: {}",
        bob.body
    );
    assert!(bob.body.contains("settles the request"), "{}", bob.body);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["decision"], "approve", "{end:?}");
    // Bob's place filled by his link (a link on a Teams request reads as Teams: the page
    // cannot tell whether it came by email or in a Teams message).
    let alice_id = object_id("alice@example.com").await;
    let seen: Vec<(String, String, bool)> = votes_of(&end.output)
        .into_iter()
        .map(|v| (v.approver, v.by, v.verified))
        .collect();
    let vote = |slot: &str, by: &str| (slot.to_string(), by.to_string(), true);
    let expected = [
        vote("alice@example.com", &alice_id),
        vote("bob@example.com", "bob@example.com"),
    ];
    assert_eq!(seen, expected, "{}", end.output);
    assert_eq!(resumes(&arn).await, 1);
}

/// Three Slack approvers of a three-of-three request click Approve at the same moment.
async fn slack_all_at_once(round: usize) {
    let tag = unique(&format!("quorum-race{round}"));
    let users = ["U0ALICE", "U0BOB", "U0CAROL"];
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({"channel": "#approvals", "header": "Rotate the keys?", "text": format!("Keys {tag}"),
            "allowedUsers": users, "quorum": {"approvals": "all"}}),
    )
    .await;
    let (channel, ts) = message_ref(&slack_message_with(&tag).await);
    // Each client shows the message as first posted.
    let stale = json!({"stale": true});
    let (a, b, c) = tokio::join!(
        slack_click(&channel, &ts, users[0], "approve", stale.clone()),
        slack_click(&channel, &ts, users[1], "approve", stale.clone()),
        slack_click(&channel, &ts, users[2], "approve", stale.clone())
    );
    assert_eq!((a.0, b.0, c.0), (200, 200, 200), "round {round}");
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "round {round}: {end:?}");
    let mut voters: Vec<String> = votes_of(&end.output["decision"])
        .into_iter()
        .map(|v| v.by)
        .collect();
    voters.sort();
    assert_eq!(
        voters, users,
        "round {round}: no vote lost or counted twice"
    );
    assert_eq!(resumes(&arn).await, 1, "round {round}: resumed once");
    let message = slack_message_holding(&channel, &ts, "3 of 3 approved").await;
    assert!(!has_buttons(&message), "round {round}: {message}");
}

#[tokio::test]
async fn three_slack_approvers_clicking_at_once_are_all_counted_and_resume_once() {
    for round in 0..3 {
        slack_all_at_once(round).await;
    }
}

/// Alice, Bob and Carol click Approve on the bot's card at the same moment.
#[tokio::test]
async fn three_teams_approvers_clicking_at_once_are_all_counted_and_resume_once() {
    let people = ["alice@example.com", "bob@example.com", "carol@example.com"];
    for round in 0..3 {
        let channel = conversation("channel").await;
        let title = unique(&format!("Open port 22, race {round}"));
        let payload = json!({"title": title, "conversationId": channel,
            "approvers": people, "quorum": {"approvals": "all"}});
        let arn = run_one_task("TeamsRequestActionFunction", payload, json!({})).await;
        let message = teams_message_with(&title).await;
        let approve = pressing(&message["card"], "Approve");
        let (a, b, c) = tokio::join!(
            click(people[0], &message, approve.clone()),
            click(people[1], &message, approve.clone()),
            click(people[2], &message, approve.clone())
        );
        for answer in [&a, &b, &c] {
            answered_card(answer);
        }
        let end = wait_for_end(&arn, LONG).await;
        assert_eq!(end.output["decision"], "approve", "round {round}: {end:?}");
        let votes = votes_of(&end.output);
        let mut slots: Vec<String> = votes.iter().map(|v| v.approver.clone()).collect();
        slots.sort();
        assert_eq!(
            slots, people,
            "round {round}: no vote lost or counted twice"
        );
        assert!(votes.iter().all(|v| v.verified), "round {round}");
        assert_eq!(resumes(&arn).await, 1, "round {round}: resumed once");
    }
}
