//! What a person sees when answers arrive out of order: the answer to their latest invoke.

use super::*;

#[tokio::test]
async fn a_slow_refresh_answered_after_a_click_does_not_undo_what_the_click_showed() {
    let stack = stack().await;
    let bob = stack.user("bob@example.com");
    let oid = bob["objectId"].as_str().unwrap().to_string();
    let listed = vec![bob["id"].as_str().unwrap().to_string()];
    let id = stack
        .send(DEFAULT_CHANNEL_ID, approval_card("1.5", listed))
        .await;
    let approve: ClickRequest = serde_json::from_value(json!({"user": "bob@example.com",
        "conversationId": DEFAULT_CHANNEL_ID, "activityId": id, "action": "Approve"}))
    .unwrap();
    // The page shows the card: Teams refreshes it for Bob, and the bot is slow to answer;
    // meanwhile Bob clicks, and the bot answers the click at once.
    let ((), clicked) = tokio::join!(stack.teams.refresh_views(), async {
        tokio::time::sleep(SLOW_REFRESH / 3).await;
        stack.teams.click(&approve).await.unwrap()
    });
    assert_eq!(
        clicked.card().unwrap()["body"][0]["text"],
        "\"decide\" by \"Bob\""
    );
    let verbs: Vec<Value> = (stack.received.lock().unwrap().iter())
        .map(|(_, a)| a["value"]["action"]["verb"].clone())
        .collect();
    assert_eq!(verbs, [json!("refresh"), json!("decide")], "both were sent");
    let (bob_sees, _) = stack
        .teams
        .card_seen_by(DEFAULT_CHANNEL_ID, &id, &oid)
        .unwrap();
    assert_eq!(
        bob_sees["body"][0]["text"], "\"decide\" by \"Bob\"",
        "the click's answer, not the refresh's that came after it"
    );
}
