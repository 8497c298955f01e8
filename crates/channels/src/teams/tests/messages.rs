//! Send Channel/Chat Message and the card limits.

use super::*;

#[tokio::test]
async fn send_message_text_and_cards() {
    let teams = FakeTeams::default();
    let out = send_message(send(json!({"text": " hello "})), &teams)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"delivered": true, "via": "webhook"})
    );
    send_message(send(json!({"text": "hi", "title": "Heads up"})), &teams)
        .await
        .unwrap();
    let card = json!({"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "x"}]});
    send_message(send(json!({"card": card, "target": null})), &teams)
        .await
        .unwrap();
    let posted = teams.posted.lock().unwrap();
    assert_eq!(posted[0], TeamsMessage::Text("hello".into()));
    let TeamsMessage::Card(titled) = &posted[1] else {
        panic!()
    };
    assert_eq!(titled, &text_card(Some("Heads up"), "hi"));
    assert_eq!(titled["body"][0]["weight"], "bolder");
    let TeamsMessage::Card(raw) = &posted[2] else {
        panic!()
    };
    assert_eq!(raw["version"], "1.4", "a card without version gets 1.4");
}

#[tokio::test]
async fn send_message_validation() {
    let cases: [(Value, &str, &str); 8] = [
        (json!({}), "Hitl.InvalidInput", "text or card"),
        (
            json!({"text": "a", "card": {"type": "AdaptiveCard"}}),
            "Hitl.InvalidInput",
            "not both",
        ),
        (
            json!({"card": {"type": "message"}}),
            "Hitl.InvalidInput",
            "card.type",
        ),
        (json!({"card": "text"}), "Hitl.InvalidInput", "card"),
        (
            json!({"card": {"type": "AdaptiveCard", "version": "1.5"}}),
            "Teams.InvalidMessage",
            "1.5",
        ),
        (
            json!({"card": {"type": "AdaptiveCard", "body": [{"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": "OK"}]}]}}),
            "Teams.InvalidMessage",
            "Action.Submit",
        ),
        // Graph refuses app-only channel and chat posts: there is no other place to send to.
        (
            json!({"text": "a", "target": {"chatId": "c"}}),
            "Hitl.InvalidInput",
            "target is not supported",
        ),
        (
            json!({"text": "a", "target": {"teamId": "t", "channelId": "c"}}),
            "Hitl.InvalidInput",
            "Workflows webhook",
        ),
    ];
    for (input, name, needle) in cases {
        let teams = FakeTeams::default();
        let err = send_message(send(input.clone()), &teams).await.unwrap_err();
        assert_eq!(err.name(), name, "{input}: {err}");
        assert!(err.to_string().contains(needle), "{input}: {err}");
        assert!(teams.posted.lock().unwrap().is_empty());
    }
}

#[test]
fn the_28_kb_limit_counts_the_webhook_envelope() {
    let overhead = webhook_payload(&TeamsMessage::Text(String::new()))
        .to_string()
        .len();
    let fits = TeamsMessage::Text("a".repeat(MAX_MESSAGE_BYTES - overhead));
    assert_eq!(check_size(&fits).unwrap(), MAX_MESSAGE_BYTES);
    let over = TeamsMessage::Text("a".repeat(MAX_MESSAGE_BYTES - overhead + 1));
    assert_eq!(
        check_size(&over).unwrap_err().name(),
        "Teams.InvalidMessage"
    );
    // Through send_message, a long text trips the text limit first; a raw card the size one.
    let card = json!({"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "é".repeat(15_000)}]});
    let err = send(json!({"card": card})).validate().unwrap_err();
    assert_eq!(err.name(), "Teams.InvalidMessage");
}

#[test]
fn the_webhook_envelope_has_the_documented_shape() {
    let card = text_card(None, "hi");
    assert_eq!(
        webhook_envelope(&card),
        json!({"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": "1.4",
                "body": [{"type": "TextBlock", "text": "hi", "wrap": true}]}
        }]})
    );
    assert_eq!(
        webhook_payload(&TeamsMessage::Text("hi".into())),
        webhook_envelope(&card)
    );
}

#[test]
fn unsupported_actions_are_found_anywhere() {
    let nested = json!({"type": "AdaptiveCard", "body": [{"type": "Container", "selectAction": {"type": "Action.Execute"}}]});
    assert_eq!(find_unsupported_action(&nested), Some("Action.Execute"));
    let show = json!({"type": "AdaptiveCard", "actions": [{"type": "Action.ShowCard", "card": {"type": "AdaptiveCard", "actions": [{"type": "Action.Submit"}]}}]});
    assert_eq!(find_unsupported_action(&show), Some("Action.Submit"));
    let fine = json!({"type": "AdaptiveCard", "version": "1.2", "actions": [{"type": "Action.OpenUrl", "url": "https://x"}]});
    assert_eq!(prepare_card(fine.clone()).unwrap(), fine);
}

/// Both inputs refuse a field they do not know, at every depth we define (`facts`, `buttons`,
/// `followUp`), with the name meant; an Adaptive Card is the user's own JSON and passes through.
#[tokio::test]
async fn unknown_fields_are_refused_with_the_name_meant() {
    let refused = |input: Value| -> String {
        let err = approvals::input::from_json::<TeamsSendMessageInput>(input).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        err.to_string()
    };
    let message = refused(json!({"text": "hi", "titel": "Heads up"}));
    assert!(
        message.starts_with("unknown field `titel`; did you mean `title`?"),
        "{message}"
    );
    let card = json!({"type": "AdaptiveCard", "body": [], "anything": {"goes": true}});
    let input = approvals::input::from_json::<TeamsSendMessageInput>(json!({"card": card}));
    send_message(input.unwrap(), &FakeTeams::default())
        .await
        .unwrap();

    let request = |extra: Value| {
        let mut input = json!({"title": "t", "taskToken": "t"});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        approvals::input::from_json::<TeamsRequestActionInput>(input).and_then(|r| r.validate())
    };
    for (extra, expected) in [
        (
            json!({"aprovers": ["a@corp.com"]}),
            "unknown field `aprovers`; did you mean `approvers`?",
        ),
        (
            json!({"expiresInSecond": 60}),
            "unknown field `expiresInSecond`; did you mean `expiresInSeconds`?",
        ),
        (
            json!({"facts": [{"title": "Tag", "vlaue": "x"}]}),
            "unknown field `facts[0].vlaue`; did you mean `value`?",
        ),
        (
            json!({"followUp": {"question": "Why?", "answer": "text", "requird": true}}),
            "unknown field `followUp.requird`; did you mean `required`?",
        ),
    ] {
        let err = request(extra.clone()).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{extra}");
        assert!(err.to_string().starts_with(expected), "{extra}: {err}");
    }
}
