//! Deciding inside Teams on the local stack: Teams Request Action sends the bot's card to a
//! channel or group chat (`conversationId`), and people click its `Action.Execute` buttons
//! through the Bot Framework stand-in, which signs each invoke as Teams would (or as a forger
//! would: another key, another audience, expired, another tenant, no token) and sends it to the
//! Decision API's `POST /teams/messages`. What the clicker sees is the card the endpoint
//! answers; what everyone sees afterwards is the card the Decision Relay puts in its place.
//! The directory: alice, bob, carol and dave are in the default channel and group chat.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

/// Teams shows the clicker an error when the invoke's answer is later than this.
const TEAMS_WAITS: Duration = Duration::from_secs(5);

fn standin(path: &str) -> String {
    format!("{}/_standins/teams{path}", endpoints().api)
}

/// The bot's conversations as the stand-in holds them.
async fn conversations() -> Vec<Value> {
    let r = http()
        .get(standin("/_control/bot/conversations"))
        .send()
        .await
        .unwrap();
    let all: Value = r.json().await.unwrap();
    all["conversations"].as_array().unwrap().clone()
}

/// The id of the default conversation of `kind` (`channel`, `groupChat`).
async fn conversation(kind: &str) -> String {
    let all = conversations().await;
    let found = all.iter().find(|c| c["conversationType"] == kind);
    found.unwrap()["id"].as_str().unwrap().to_string()
}

/// The Entra object id of the person whose mail is `mail`.
async fn object_id(mail: &str) -> String {
    let all = conversations().await;
    let members = all.iter().flat_map(|c| c["members"].as_array().unwrap());
    let found = members.clone().find(|m| m["mail"] == mail);
    found.unwrap()["objectId"].as_str().unwrap().to_string()
}

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

/// The `approvalId` of the card's first `Action.Execute`.
fn approval_id_of(card: &Value) -> Option<String> {
    match card {
        Value::Object(map) if map.get("type") == Some(&json!("Action.Execute")) => map
            .get("data")?
            .get("approvalId")?
            .as_str()
            .map(String::from),
        Value::Object(map) => map.values().find_map(approval_id_of),
        Value::Array(items) => items.iter().find_map(approval_id_of),
        _ => None,
    }
}

fn has_buttons(card: &Value) -> bool {
    card.to_string().contains("Action.Execute\"") && approval_id_of(card).is_some()
}

/// A click by `user` on the card of `message`, as `how` says (`action`: a button's title, or
/// `verb` and `data`; `token`; `inputs`): what the endpoint answered (`status`, `body`).
async fn click(user: &str, message: &Value, how: Value) -> Value {
    let mut request = json!({"user": user,
        "conversationId": message["where"]["conversationId"], "activityId": message["id"]});
    request
        .as_object_mut()
        .unwrap()
        .extend(how.as_object().unwrap().clone());
    let started = Instant::now();
    let r = http()
        .post(standin("/_control/click"))
        .json(&request)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "the stand-in sent the click: {text}");
    assert!(
        started.elapsed() < TEAMS_WAITS,
        "answered within Teams' limit"
    );
    serde_json::from_str(&text).unwrap()
}

/// The card the endpoint answered a click with (HTTP 200, the Universal Actions response).
fn answered_card(answer: &Value) -> &Value {
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["body"]["statusCode"], 200, "{answer}");
    assert_eq!(
        answer["body"]["type"], "application/vnd.microsoft.card.adaptive",
        "{answer}"
    );
    &answer["body"]["value"]
}

/// The decision stored for `approval_id`, if any.
async fn stored_decision(approval_id: &str) -> String {
    attr(&approval_record(approval_id).await, "decision")
}

async fn fire_relay() {
    let url = format!(
        "{}/_local/api/schedules/DecisionRelayFunction.Relay/fire",
        endpoints().api
    );
    let r = http().post(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
}

/// The card of `message` once the relay has put the outcome in its place.
async fn updated_card(message: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        fire_relay().await;
        let all = chat().await["teams"]["messages"].clone();
        let current = all
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["via"] == "bot" && m["id"] == message["id"])
            .cloned()
            .expect("the card is still there");
        if current["updates"].as_u64().unwrap_or(0) > 0 {
            return current["card"].clone();
        }
        assert!(Instant::now() < deadline, "the card was never updated");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
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
    assert!(has_buttons(&message["card"]), "{message}");

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
    assert!(!has_buttons(card), "nothing left to click: {card}");
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
    assert!(!has_buttons(&card), "{card}");
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
        assert!(!has_buttons(card), "{card}");
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
    let answer = click("bob@example.com", &message, json!({"action": "Approve"})).await;
    let card = answered_card(&answer);
    assert!(card.to_string().contains("expired"), "{card}");
    assert!(!has_buttons(card), "{card}");
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
    assert!(!has_buttons(card), "{card}");
    assert!(card.to_string().contains("Expired"), "{card}");
    assert_ne!(
        stored_decision(&id).await,
        "approve",
        "not an accepted decision"
    );
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
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let answer = click("dave@example.com", &message, json!({"action": "Approve"})).await;
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
    assert!(!has_buttons(&card), "{card}");
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
