//! Deciding inside Teams on the local stack: Teams Request Action sends the bot's card to a
//! channel or group chat (`conversationId`), and people click its `Action.Execute` buttons
//! through the Bot Framework stand-in, which signs each invoke as Teams would (or as a forger
//! would: another key, another audience, expired, another tenant, no token) and sends it to the
//! Decision API's `POST /teams/messages`. What the clicker sees is the card the endpoint
//! answers; what everyone sees afterwards is the card the Decision Relay puts in its place.
//! The directory: alice, bob, carol and dave are in the default channel and group chat.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

mod teams_bot_support;
use teams_bot_support::*;

/// A request the bot sends to `conversation_id` with `approvers`: the execution, the card's
/// message as the stand-in holds it, and the request's approval id.
async fn ask(conversation_id: &str, approvers: &[&str], extra: Value) -> (String, Value, String) {
    let title = unique("Drop the staging database");
    let mut payload = json!({"title": title, "conversationId": conversation_id,
        "approvers": approvers, "facts": [{"title": "Size", "value": "40 GB"}]});
    payload
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let arn = run_one_task("TeamsRequestActionFunction", payload, json!({})).await;
    let message = teams_message_with(&title).await;
    assert_eq!(message["via"], "bot", "{message}");
    assert_eq!(message["where"]["conversationId"], conversation_id);
    let approval_id = approval_id_of(&message["card"]).expect("a button names the request");
    (arn, message, approval_id)
}

#[tokio::test]
async fn forged_clicks_are_refused_and_an_approvers_click_decides_as_them() {
    let channel = conversation("channel").await;
    let (arn, message, id) = ask(
        &channel,
        &["alice@example.com", "bob@example.com"],
        json!({}),
    )
    .await;
    assert!(card_has_buttons(&message["card"]), "{message}");

    // Each forgery is 401 with nothing in the body, and nothing is decided.
    for token in [
        "other-key",
        "other-audience",
        "expired",
        "other-tenant",
        "none",
    ] {
        let answer = click(
            "alice@example.com",
            &message,
            json!({"action": "Approve", "token": token}),
        )
        .await;
        assert_eq!(answer["status"], 401, "{token}: {answer}");
        assert!(
            answer["body"].is_null() || answer["body"] == "",
            "{token}: {answer}"
        );
    }
    // Someone in the channel who is not an approver: a card saying why, nothing recorded.
    let carol = click("carol@example.com", &message, json!({"action": "Approve"})).await;
    let card = answered_card(&carol).to_string();
    assert!(card.contains("not one of the approvers"), "{card}");
    assert_eq!(stored_decision(&id).await, "");
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let alice = click("alice@example.com", &message, json!({"action": "Approve"})).await;
    let card = answered_card(&alice);
    assert!(!card_has_buttons(card), "nothing left to click: {card}");
    assert!(card.to_string().contains("Approved by Alice"), "{card}");

    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let out = &end.output;
    assert_eq!(out["decision"], "approve", "{out}");
    assert_eq!(
        out["decidedBy"]["id"],
        object_id("alice@example.com").await,
        "{out}"
    );
    assert_eq!(out["decidedBy"]["name"], "Alice", "{out}");
    assert_eq!(out["decidedBy"]["verified"], true, "{out}");
    assert_eq!(out["decidedBy"]["channel"], "teams", "{out}");
    assert_eq!(
        out["teamsUser"]["userPrincipalName"], "alice@example.com",
        "{out}"
    );
    assert_eq!(
        out["teamsUser"]["objectId"], out["decidedBy"]["id"],
        "{out}"
    );

    // A second approver's click (a client still showing the buttons): already decided.
    let data = json!({"approvalId": id, "value": "reject"});
    let bob = click(
        "bob@example.com",
        &message,
        json!({"verb": "decide", "data": data}),
    )
    .await;
    let card = answered_card(&bob).to_string();
    assert!(card.contains("already decided"), "{card}");
    assert!(
        card.contains("Approved by Alice"),
        "the recorded outcome: {card}"
    );
    assert_eq!(stored_decision(&id).await, "approve");

    // Everyone's copy: the outcome, no buttons.
    let card = updated_card(&message).await;
    assert!(!card_has_buttons(&card), "{card}");
    assert!(card.to_string().contains("Approved by Alice"), "{card}");
}

#[tokio::test]
async fn a_card_the_bot_did_not_send_for_that_request_changes_nothing() {
    let group = conversation("groupChat").await;
    let channel = conversation("channel").await;
    let (arn, message, id) = ask(&group, &["alice@example.com"], json!({})).await;
    let (other_arn, other, _) = ask(&channel, &["alice@example.com"], json!({})).await;
    for (on, data) in [
        // The other card, naming this request.
        (&other, json!({"approvalId": id, "value": "approve"})),
        // This card, naming a request that does not exist.
        (
            &message,
            json!({"approvalId": "no-such-request", "value": "approve"}),
        ),
    ] {
        let answer = click(
            "alice@example.com",
            on,
            json!({"verb": "decide", "data": data}),
        )
        .await;
        let card = answered_card(&answer);
        assert!(card.to_string().contains("not sent by this app"), "{card}");
        assert!(!card_has_buttons(card), "{card}");
    }
    assert_eq!(stored_decision(&id).await, "");
    assert_eq!(execution_status(&arn).await, "RUNNING");
    assert_eq!(execution_status(&other_arn).await, "RUNNING");
}

#[tokio::test]
async fn a_click_after_the_request_expired_says_so_and_decides_nothing() {
    let group = conversation("groupChat").await;
    let (arn, message, id) =
        ask(&group, &["bob@example.com"], json!({"expiresInSeconds": 5})).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    // Bob's client still shows the card as sent. The card itself may already say it expired
    // (the relay updates it once the expiry is told: its schedule, or another test of this
    // binary firing it), so the click is what the Approve button sent, not a look-up of it.
    let approve = pressing(&message["card"], "Approve");
    let answer = click("bob@example.com", &message, approve).await;
    let card = answered_card(&answer);
    assert!(card.to_string().contains("expired"), "{card}");
    assert!(!card_has_buttons(card), "{card}");
    fire_relay().await;
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "FAILED", "{end:?}");
    assert_eq!(end.error.as_deref(), Some("Hitl.Expired"), "{end:?}");
    // The approver's copy, as Teams refreshes it for them: the expiry, nothing to click.
    let data = json!({"approvalId": id});
    let refresh = click(
        "bob@example.com",
        &message,
        json!({"verb": "refresh", "data": data}),
    )
    .await;
    let card = answered_card(&refresh);
    assert!(!card_has_buttons(card), "{card}");
    assert!(card.to_string().contains("Expired"), "{card}");
    assert_ne!(
        stored_decision(&id).await,
        "approve",
        "not an accepted decision"
    );
    // Everyone's copy: the relay replaced the card with its expiry, nothing to click.
    let card = updated_card(&message).await;
    assert!(!card_has_buttons(&card), "{card}");
    assert!(card.to_string().contains("without a decision"), "{card}");
}

#[tokio::test]
async fn two_approvers_clicking_at_once_make_one_decision() {
    let channel = conversation("channel").await;
    let (arn, message, id) = ask(
        &channel,
        &["alice@example.com", "bob@example.com"],
        json!({}),
    )
    .await;
    let (alice, bob) = tokio::join!(
        click("alice@example.com", &message, json!({"action": "Approve"})),
        click("bob@example.com", &message, json!({"action": "Reject"})),
    );
    let (alice, bob) = (
        answered_card(&alice).to_string(),
        answered_card(&bob).to_string(),
    );
    let refused: Vec<&String> = [&alice, &bob]
        .into_iter()
        .filter(|c| c.contains("already decided"))
        .collect();
    assert_eq!(refused.len(), 1, "one wins, one is told:\n{alice}\n{bob}");
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    let (winner, card) = match end.output["decision"].as_str() {
        Some("approve") => ("Alice", &alice),
        Some("reject") => ("Bob", &bob),
        other => panic!("{other:?}: {end:?}"),
    };
    assert_eq!(end.output["decidedBy"]["name"], winner);
    assert!(
        !card.contains("already decided"),
        "the winner sees their decision: {card}"
    );
    assert_eq!(
        stored_decision(&id).await,
        end.output["decision"].as_str().unwrap()
    );
    let history = history_event_types(&arn).await;
    let resumed = history.iter().filter(|e| *e == "TaskSucceeded").count();
    assert_eq!(resumed, 1, "{history:?}");
}

#[tokio::test]
async fn a_click_racing_the_expiry_either_decides_or_says_it_expired_never_both() {
    let group = conversation("groupChat").await;
    let (arn, message, id) = ask(
        &group,
        &["dave@example.com"],
        json!({"expiresInSeconds": 5}),
    )
    .await;
    let expires_at: i64 = attr(&approval_record(&id).await, "expiresAt")
        .parse()
        .unwrap();
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let wait = (expires_at * 1000 - now_ms() - 50).max(0) as u64;
    // The button as sent: if the click reaches the stand-in after the expiry, the relay may
    // already have replaced the card (Dave's client still shows the buttons).
    let approve = pressing(&message["card"], "Approve");
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let answer = click("dave@example.com", &message, approve).await;
    let card = answered_card(&answer).to_string();
    fire_relay().await;
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    match end.status.as_str() {
        "SUCCEEDED" => {
            assert_eq!(end.output["decision"], "approve", "{end:?}");
            assert!(card.contains("Approved by Dave"), "{card}");
        }
        "FAILED" => {
            assert_eq!(end.error.as_deref(), Some("Hitl.Expired"), "{end:?}");
            assert!(card.contains("expired"), "{card}");
            assert!(!card.contains("Approved by"), "{card}");
        }
        other => panic!("{other}: {end:?}"),
    }
}

/// The personal link of the request's first approver, signed with the stack's key ring (the
/// bot path sends no email; a link from an earlier email is the fallback it keeps).
async fn personal_link(approval_id: &str) -> String {
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config().await);
    let ring = secrets
        .get_secret_value()
        .secret_id("hitl-local/link-signing-keys")
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    let signer = approvals::key_ring::parse_key_ring(ring.as_bytes()).unwrap();
    let expires_at: i64 = attr(&approval_record(approval_id).await, "expiresAt")
        .parse()
        .unwrap();
    let api = endpoints().api;
    signer.link_url(
        &api,
        approval_id,
        approvals::Decision::Approve,
        expires_at,
        Some(0),
    )
}

#[tokio::test]
async fn a_decision_made_by_email_shows_on_the_bot_card() {
    let channel = conversation("channel").await;
    let (arn, message, id) = ask(&channel, &["alice@example.com"], json!({})).await;
    let done = confirm(&personal_link(&id).await, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decidedBy"]["id"], "alice@example.com");
    let card = updated_card(&message).await;
    assert!(!card_has_buttons(&card), "{card}");
    assert!(card.to_string().contains("Approved by"), "{card}");
    assert!(card.to_string().contains("alice@example.com"), "{card}");
}

#[tokio::test]
async fn an_answer_that_does_not_fit_the_question_is_refused_and_the_card_kept() {
    let group = conversation("groupChat").await;
    let question = json!({"question": "Who owns it?", "answer": "email", "after": ["reject"]});
    let (arn, message, id) = ask(
        &group,
        &["alice@example.com"],
        json!({"followUp": question}),
    )
    .await;
    let typed = json!({"action": "Reject", "inputs": {"followUp": "not an address"}});
    let refused = click("alice@example.com", &message, typed).await;
    // Universal Actions' error answer: Teams keeps the card (and what was typed) and says why.
    assert_eq!(refused["status"], 200, "{refused}");
    assert_eq!(refused["body"]["statusCode"], 400, "{refused}");
    assert_eq!(refused["body"]["type"], "application/vnd.microsoft.error");
    let why = refused["body"]["value"]["message"].as_str().unwrap();
    assert!(why.contains("not an email address"), "{refused}");
    assert_eq!(stored_decision(&id).await, "");

    let typed = json!({"action": "Reject", "inputs": {"followUp": "Owner@Example.com"}});
    let answer = click("alice@example.com", &message, typed).await;
    assert!(answered_card(&answer)
        .to_string()
        .contains("Rejected by Alice"));
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.output["decision"], "reject", "{end:?}");
    let answered = &end.output["followUp"];
    assert_eq!(answered["question"], "Who owns it?", "{end:?}");
}
