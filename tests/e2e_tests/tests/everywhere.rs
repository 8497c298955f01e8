//! One request on email, Slack and Teams at once, on the local stack: Create Approval Links
//! makes it, Send Email, Slack Request Action and Teams Request Action (with its `approvalId`)
//! carry it to each channel, and Wait For Approval waits for whichever settles it. The runs
//! use the README's example (`examples/asl/everywhere-two-owners-delete-snapshots.asl.json`),
//! its quorum changed where a test needs another.
//!
//! Alice answers by her email link, Bob with the Slack button (the stand-in finds him by his
//! address, as `users.lookupByEmail` does), Carol on the Teams bot's card (found in the
//! directory by her address): each is one vote, whichever channel they use, and every other
//! message shows the outcome once it is settled, its buttons gone.

use std::time::{Duration, Instant};

use e2e_tests::examples::*;
use e2e_tests::votes::*;
use e2e_tests::*;
use serde_json::{json, Value};

mod teams_bot_support;
use teams_bot_support::*;

const EXAMPLE: &str = "examples/asl/everywhere-two-owners-delete-snapshots.asl.json";
const LONG: Duration = Duration::from_secs(90);
const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const CAROL: &str = "carol@example.com";

/// The example with `quorum` in place of its own, started for a new cluster: the execution,
/// the request's title.
async fn ask_everywhere(quorum: Value) -> (String, String) {
    let cluster = unique("orders");
    let mut definition = example(EXAMPLE);
    definition["States"]["CreateApprovalLinks"]["Parameters"]["quorum"] = quorum;
    let text = serde_json::to_string(&definition).unwrap();
    let definition: Value = serde_json::from_str(&substitute_function_arns(&text)).unwrap();
    let input = json!({"cluster": cluster, "conversationId": conversation("channel").await});
    let arn = start_workflow("everywhere", &definition, &input).await;
    let title = format!("Delete the snapshots of {cluster} older than 90 days?");
    (arn, title)
}

/// Where the request went: Alice's personal links, the Slack message, the Teams card.
struct Asked {
    alice: Personal,
    slack: (String, String),
    card: Value,
}

async fn asked(title: &str) -> Asked {
    let alice = personal_links(title, &[ALICE]).await.remove(ALICE).unwrap();
    let slack = message_ref(&slack_message_with(title).await);
    let card = teams_message_with(title).await;
    assert_eq!(card["via"], "bot", "{card}");
    Asked { alice, slack, card }
}

/// Waits (firing the relay) until the Slack message has no buttons; the message then.
async fn closed_slack_message((channel, ts): &(String, String)) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        fire_relay().await;
        let message = slack_message(channel, ts).await;
        if !has_buttons(&message) {
            return message;
        }
        assert!(Instant::now() < deadline, "still has buttons: {message}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Three approvers, three channels, all at the same moment, all three needed: each counted
/// once in its own place, the workflow resumed once with every vote and where it was cast, and
/// then every message shows the outcome and offers nothing to click.
#[tokio::test]
async fn three_approvers_on_three_channels_at_once_each_count_once_and_resume_once() {
    for round in 0..2 {
        let (arn, title) = ask_everywhere(json!({"approvals": "all"})).await;
        let at = asked(&title).await;
        let (email, slack, teams) = tokio::join!(
            confirm(&at.alice.approve, &[]),
            slack_click(&at.slack.0, &at.slack.1, "U0BOB", "approve", json!({})),
            click(CAROL, &at.card, json!({"action": "Approve"})),
        );
        assert_eq!(email.status, 200, "round {round}: {}", email.body);
        assert_eq!(slack.0, 200, "round {round}");
        assert_eq!(teams["status"], 200, "round {round}: {teams}");

        let end = wait_for_end(&arn, LONG).await;
        assert_eq!(end.output["outcome"], "deleted", "round {round}: {end:?}");
        let carol_id = object_id(CAROL).await;
        let mut seen: Vec<(String, String, String, bool)> = votes_of(&end.output["decision"])
            .into_iter()
            .map(|v| (v.approver, v.by, v.channel, v.verified))
            .collect();
        seen.sort();
        let vote = |slot: &str, by: &str, channel: &str| {
            (slot.to_string(), by.to_string(), channel.to_string(), true)
        };
        assert_eq!(
            seen,
            [
                vote(ALICE, ALICE, "email"),
                vote(BOB, "U0BOB", "slack"),
                vote(CAROL, &carol_id, "teams")
            ],
            "round {round}: {}",
            end.output
        );
        assert_eq!(resumes(&arn).await, 1, "round {round}");

        let slack_now = closed_slack_message(&at.slack).await.to_string();
        assert!(slack_now.contains("Approved"), "{slack_now}");
        let card_now = closed_card(&at.card).await.to_string();
        assert!(card_now.contains("Approved"), "{card_now}");
        // Alice's link afterwards: who decided, where and when, each vote with its channel.
        let page = get(&at.alice.reject).await;
        for said in ["by email", "in Slack", "in Teams", "Approved"] {
            assert!(page.body.contains(said), "no {said:?}: {}", page.body);
        }
    }
}

/// First answer decides: Carol rejects on the Teams card; the Slack message and every link
/// then show her rejection, where and when; Bob's click and Alice's link change nothing.
#[tokio::test]
async fn the_first_answer_on_any_channel_decides_and_every_other_message_shows_it() {
    let (arn, title) = ask_everywhere(json!({"approvals": "first"})).await;
    let at = asked(&title).await;
    let answer = click(CAROL, &at.card, json!({"action": "Reject"})).await;
    assert!(!card_has_buttons(answered_card(&answer)), "{answer}");
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "kept", "{end:?}");
    assert_eq!(end.output["decision"]["decidedBy"]["channel"], "teams");
    assert_eq!(resumes(&arn).await, 1);

    let slack_now = closed_slack_message(&at.slack).await.to_string();
    assert!(slack_now.contains("Rejected"), "{slack_now}");
    let stale = json!({"stale": true}); // Bob's client still shows the buttons.
    let (status, _) = slack_click(&at.slack.0, &at.slack.1, "U0BOB", "approve", stale).await;
    assert_eq!(status, 200);
    note_to("U0BOB", "Already decided").await;

    let page = get(&at.alice.approve).await;
    assert!(page.body.contains("Rejected by"), "{}", page.body);
    assert!(page.body.contains("in Teams"), "{}", page.body);
    let late = confirm(&at.alice.approve, &[]).await;
    assert_eq!(late.status, 409, "{}", late.body);
    let again = wait_for_end(&arn, LONG).await;
    assert_eq!(again.output["outcome"], "kept", "nothing changed");
}
