//! The bot's cards on the page: one view per member, each a form that clicks as that member
//! (buttons, inputs, refresh, token), the bot's answer shown to its clicker only, every text
//! escaped; a form becomes the click request the stand-in sends.

use serde_json::json;

use super::*;

fn snapshot() -> Value {
    let card = json!({"type": "AdaptiveCard", "version": "1.5",
        "refresh": {"action": {"type": "Action.Execute", "verb": "refresh"}, "userIds": ["29:bob", "8:orgid:oid-alice", "oid-alice"]},
        "body": [{"type": "TextBlock", "text": "<b>Stop db-1?</b>"}, {"type": "Input.Text", "id": "followUp", "label": "Why?"}],
        "actions": [{"type": "Action.Execute", "title": "Approve", "verb": "decide", "data": {}}]});
    let answer =
        json!({"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Approved by Bob"}]});
    json!({
        "messages": [{"id": "17", "via": "bot", "card": card, "updates": 1,
            "where": {"conversationId": "19:c@thread.tacv2", "conversationType": "channel", "name": "Approvals > General"},
            "views": {"oid-bob": {"card": answer, "status": 200, "verb": "decide", "version": 1},
                      "oid-alice": {"card": null, "status": 401, "body": "", "verb": "decide", "version": 1}}}],
        "bot": {
            "users": [{"objectId": "oid-alice", "id": "29:alice", "name": "Alice"}, {"objectId": "oid-bob", "id": "29:bob", "name": "Bob"}],
            "conversations": [{"id": "19:c@thread.tacv2", "members": [
                {"objectId": "oid-alice", "name": "Alice"}, {"objectId": "oid-bob", "name": "Bob"}]}],
        },
    })
}

#[test]
fn each_member_sees_their_own_view_and_clicks_as_themselves() {
    let html = teams_section(&snapshot()).into_string();
    assert_eq!(
        html.matches("<form ").count(),
        1,
        "Bob's settled card has no form: {html}"
    );
    // Bob sees the bot's answer to his click; Alice the card as sent, with her last refusal.
    assert!(html.contains("Approved by Bob"), "{html}");
    assert_eq!(
        html.matches("&lt;b&gt;Stop db-1?&lt;/b&gt;").count(),
        1,
        "{html}"
    );
    assert!(!html.contains("<b>Stop"), "{html}");
    assert!(html.contains("was answered 401"), "{html}");
    assert!(
        html.contains("<input type=\"hidden\" name=\"user\" value=\"oid-alice\">"),
        "{html}"
    );
    assert!(!html.contains("value=\"oid-bob\""), "{html}");
    assert!(html.contains("name=\"input.followUp\""), "{html}");
    assert!(
        html.contains("<button name=\"action\" value=\"Approve\">Approve</button>"),
        "{html}"
    );
    // An object id in refresh.userIds refreshes nobody in Teams: the page says so.
    assert!(
        html.contains("Teams refreshes nobody for them: oid-alice"),
        "{html}"
    );
}

#[test]
fn a_cards_form_becomes_the_click_request() {
    let form: BTreeMap<String, String> = [
        ("user", "oid-alice"),
        ("conversationId", "19:c"),
        ("activityId", "17"),
        ("action", "Approve"),
        ("input.followUp", "safe"),
        ("token", "expired"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let request = click_request(&form).unwrap();
    assert_eq!(request.action.as_deref(), Some("Approve"));
    assert_eq!(request.inputs["followUp"], "safe");
    assert_eq!(
        request.token,
        crate::standins::teams::signing::TokenVariant::Expired
    );
    let mut refresh = form.clone();
    refresh.insert("refresh".into(), "1".into());
    let request = click_request(&refresh).unwrap();
    assert_eq!(
        (request.verb.as_deref(), request.action),
        (Some("refresh"), None)
    );
    let mut bad = form;
    bad.insert("token".into(), "forged".into());
    assert!(click_request(&bad).is_err());
}
