//! Microsoft Teams on the local stack: the real functions against the Workflows-webhook
//! stand-in; a card's buttons are the same scanner-safe signed links as email. Nothing tells who
//! clicks a webhook card: without approvers a decision is recorded as unverified; with
//! approvers each decides through a personal link emailed to them.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

/// The stand-in's rate-limit hook affects every call: these tests take turns.
static TEAMS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn teams_messages() -> Vec<Value> {
    chat().await["teams"]["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn teams_message_with(needle: &str) -> Value {
    teams_message_with_all(&[needle]).await
}

/// The first Teams message that holds every one of `needles`.
async fn teams_message_with_all(needles: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(m) = teams_messages().await.into_iter().find(|m| {
            let text = m.to_string();
            needles.iter().all(|n| text.contains(n))
        }) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no Teams message with {needles:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn open_url(card: &Value, title: &str) -> String {
    card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no {title} action in {card}"))["url"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Checks a webhook card without approvers: its buttons open signed links (no task token) that
/// anyone who sees the card may use, and it says so. Returns the Approve link.
fn signed_approve_link_for_anyone(message: &Value) -> String {
    assert_eq!(message["via"], "webhook");
    let card = &message["card"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(
        card["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["type"] == "Action.OpenUrl"),
        "Workflows webhooks take no Action.Submit: {card}"
    );
    assert!(
        card.to_string()
            .contains("Anyone who can see this card may decide"),
        "{card}"
    );
    let approve = open_url(card, "Approve");
    assert!(
        !approve.contains("taskToken") && approve.contains("sig="),
        "{approve}"
    );
    approve
}

#[tokio::test]
async fn the_rds_review_asks_in_teams_and_records_the_decider_as_unverified() {
    let _turn = TEAMS.lock().await;
    let db = unique("db-teams");
    local_stack::rds::create_instance(&endpoints().edge, &db, false)
        .await
        .unwrap();
    let arn = start_execution(
        "RdsIdleReviewStateMachine",
        json!({"via": "teams", "instanceIds": [db]}),
    )
    .await;
    let approve = signed_approve_link_for_anyone(&teams_message_with(&db).await);

    // A link preview or scanner fetching the link decides nothing.
    let page = get(&approve).await;
    assert_eq!(page.status, 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let done = confirm(&approve, &[("name", "Dana Ops")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let result = &end.output["results"][0];
    assert_eq!(result["instance"], db.as_str());
    assert_eq!(result["outcome"], "stopped", "{end:?}");
    // Whoever opened the link typed a name: kept, but not vouched for.
    assert_eq!(result["decidedBy"], "link", "{result}");
    assert_eq!(result["decidedByName"], "Dana Ops", "{result}");
    assert_eq!(result["verified"], false, "{result}");
    assert_eq!(
        local_stack::rds::instance_status(&endpoints().edge, &db)
            .await
            .unwrap(),
        "stopped"
    );
    // And the summary went to Teams.
    let summary = teams_message_with_all(&["Idle RDS review done", &db]).await;
    assert!(summary.to_string().contains(&db), "{summary}");
}

/// With approvers, the card has no buttons (nothing tells who clicks a webhook card): each
/// approver gets a personal link by email, and the decision is recorded as that approver.
#[tokio::test]
async fn named_approvers_decide_in_teams_through_their_emailed_personal_links() {
    let _turn = TEAMS.lock().await;
    let db = unique("db-teams-approvers");
    local_stack::rds::create_instance(&endpoints().edge, &db, false)
        .await
        .unwrap();
    let arn = start_execution(
        "RdsIdleReviewStateMachine",
        json!({"via": "teams", "instanceIds": [db], "approvers": ["owner@example.com"]}),
    )
    .await;
    let card = &teams_message_with(&db).await["card"];
    assert!(
        card.get("actions").is_none(),
        "no button for anyone: {card}"
    );
    assert!(
        card.to_string()
            .contains("Only owner@example.com may decide"),
        "{card}"
    );
    let email = &emails_matching(&db, 1).await[0];
    assert_eq!(email.to, ["owner@example.com"]);
    let (approve, _) = links_of(email);
    assert!(approve.contains("a=0"), "a personal link: {approve}");
    let done = confirm(&approve, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let result = &end.output["results"][0];
    assert_eq!(result["outcome"], "stopped", "{end:?}");
    assert_eq!(result["decidedBy"], "owner@example.com", "{result}");
    assert_eq!(result["verified"], true, "{result}");

    // Approvers must be addresses: refused before anything is stored, posted or sent.
    let before = teams_messages().await.len();
    let (_, out) = invoke(
        "TeamsRequestActionFunction",
        &json!({"title": "Stop db-x?", "approvers": ["owner"], "taskToken": "t"}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    assert_eq!(teams_messages().await.len(), before);
}

#[tokio::test]
async fn channel_and_chat_messages_go_through_the_webhook_only() {
    let _turn = TEAMS.lock().await;
    for function in [
        "TeamsSendChannelMessageFunction",
        "TeamsSendChatMessageFunction",
    ] {
        let tag = unique("hello");
        let (error, out) = invoke(function, &json!({"text": tag, "title": "Heads-up"})).await;
        assert_eq!(error, None, "{out}");
        assert_eq!(out, json!({"delivered": true, "via": "webhook"}));
        let stored = teams_message_with(&tag).await;
        assert_eq!(stored["via"], "webhook");
    }

    // Microsoft Graph takes app-only channel and chat messages only for imports: a target
    // (which only Graph could reach) is refused before anything is sent.
    let before = teams_messages().await.len();
    for (function, target) in [
        (
            "TeamsSendChannelMessageFunction",
            json!({"teamId": "team-1", "channelId": "19:abc@thread.tacv2"}),
        ),
        (
            "TeamsSendChatMessageFunction",
            json!({"chatId": "19:meeting@thread.v2"}),
        ),
    ] {
        let (_, out) = invoke(function, &json!({"text": "x", "target": target})).await;
        assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
        assert!(
            out["errorMessage"].as_str().unwrap().contains("import"),
            "{out}"
        );
    }
    let (_, out) = invoke(
        "TeamsRequestActionFunction",
        &json!({"title": "x", "taskToken": "t", "target": {"chatId": "19:x"}}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    assert_eq!(teams_messages().await.len(), before);
}

#[tokio::test]
async fn teams_limits_become_named_errors() {
    let _turn = TEAMS.lock().await;
    let submit = json!({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "x"}],
        "actions": [{"type": "Action.Submit", "title": "Approve"}]});
    let (_, out) = invoke("TeamsSendChannelMessageFunction", &json!({"card": submit})).await;
    assert_eq!(out["errorType"], "Teams.InvalidMessage", "{out}");

    let big = json!({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "x".repeat(30_000)}]});
    let (_, out) = invoke("TeamsSendChannelMessageFunction", &json!({"card": big})).await;
    assert_eq!(out["errorType"], "Teams.InvalidMessage", "{out}");
    assert!(
        out["errorMessage"].as_str().unwrap().contains("28"),
        "{out}"
    );

    let (_, out) = invoke("TeamsRequestActionFunction", &json!({"title": "x"})).await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");

    rate_limit("teams", 3, 30).await;
    let (_, out) = invoke("TeamsSendChannelMessageFunction", &json!({"text": "later"})).await;
    assert_eq!(out["errorType"], "Teams.RateLimited", "{out}");
    rate_limit("teams", 0, 1).await;
    // Webhook URLs carry a signature: never in an error message.
    assert!(
        !out["errorMessage"].as_str().unwrap().contains("/webhook/"),
        "{out}"
    );
}
