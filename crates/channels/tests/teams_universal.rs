//! The Teams bot's cards as a person sees and clicks them: `Action.Execute` buttons that tell
//! the bot which request and which choice, the follow-up question as an input, the refresh
//! that shows each approver their own view, and, once it is over or refused, a card with
//! nothing left to click.

mod teams_cards_common;

use approvals::buttons::ButtonStyle;
use approvals::ports::{CardRefusal, TeamsBotFormat};
use approvals::AnswerKind;
use channels::teams::universal::{
    refresh_object_ids, refusal_text, set_refresh_user_ids, BOT_CARD_VERSION, MAX_REFRESH_USERS,
};
use channels::teams::AdaptiveCards;
use serde_json::{json, Value};
use teams_cards_common::*;

fn buttons(card: &Value) -> Vec<(String, String, String)> {
    card["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            assert_eq!(a["type"], "Action.Execute", "{a}");
            assert_eq!(a["verb"], "decide", "{a}");
            assert_eq!(a["data"]["approvalId"], APPROVAL, "{a}");
            let text = |v: &Value| v.as_str().unwrap().to_string();
            (
                text(&a["title"]),
                text(&a["data"]["value"]),
                text(&a["style"]),
            )
        })
        .collect()
}

fn triple(label: &str, value: &str, style: &str) -> (String, String, String) {
    (label.into(), value.into(), style.into())
}

#[test]
fn the_request_card_asks_with_approve_and_reject_as_universal_actions() {
    let card = AdaptiveCards
        .bot_request_card(&default_links(), &facts(), None, &approvers())
        .unwrap();
    assert_eq!(card["type"], "AdaptiveCard");
    // Teams: Universal Actions need 1.5; below it the card is not refreshed and its buttons
    // may not render.
    assert_eq!(
        card["version"], "1.5",
        "Universal Actions need 1.5 in Teams"
    );
    assert_eq!(
        buttons(&card),
        [
            triple("Approve", "approve", "positive"),
            triple("Reject", "reject", "destructive")
        ]
    );
    let shown = texts(&card);
    assert_eq!(shown[0], "Stop db-1?");
    assert!(shown[1].contains("**db-1**"), "{shown:?}");
    let facts = &all_of(&card, "FactSet")[0]["facts"];
    assert_eq!(facts[0], json!({"title": "Host", "value": "db-1"}));
    assert_eq!(facts[1], json!({"title": "Owner", "value": "ops"}));
    // Nothing a bot cannot tell the clicker of: no links, no Action.Submit.
    let kinds = clickable(&card);
    assert!(
        kinds.iter().all(|k| k == "Action.Execute"),
        "only Action.Execute: {kinds:?}"
    );
    let note = shown.last().unwrap();
    assert!(
        note.contains("Only Megan Bowen, Alex Wilber may decide"),
        "{note}"
    );
    assert!(note.contains(EXPIRES), "{note}");
}

#[test]
fn the_requests_own_buttons_are_offered_in_order_with_their_styles() {
    let expected = [
        triple("Ship it", "ship", "positive"),
        triple("Hold", "hold", "default"),
        triple("Roll back", "rollback", "destructive"),
    ];
    let personal = AdaptiveCards
        .bot_request_card(&own_buttons(), &[], None, &approvers())
        .unwrap();
    assert_eq!(buttons(&personal), expected);
    // The same buttons as shared links (nobody named) give the same card buttons.
    let own = [
        ("Ship it", "ship", ButtonStyle::Primary),
        ("Hold", "hold", ButtonStyle::Default),
        ("Roll back", "rollback", ButtonStyle::Danger),
    ];
    let shared = AdaptiveCards
        .bot_request_card(&links(&own, true), &[], None, &[])
        .unwrap();
    assert_eq!(buttons(&shared), expected);
    assert!(
        all_of(&shared, "FactSet").is_empty(),
        "no facts, no FactSet"
    );
}

#[test]
fn each_approver_gets_the_refresh_by_their_teams_user_id() {
    let card = AdaptiveCards
        .bot_request_card(&default_links(), &[], None, &approvers())
        .unwrap();
    assert_eq!(
        card["refresh"],
        json!({
            "action": {"type": "Action.Execute", "verb": "refresh", "data": {"approvalId": APPROVAL}},
            "userIds": [
                "8:orgid:7faf8ab2-3d56-4244-b585-20c8a42ed2b8",
                "8:orgid:eddfa9d4-346e-4cce-a18f-fa6261ad776b"
            ]
        })
    );
}

#[test]
fn the_refresh_names_at_most_sixty_approvers_and_none_without_approvers() {
    let many: Vec<_> = (0..75)
        .map(|i| {
            user(
                &format!("00000000-0000-0000-0000-{i:012}"),
                &format!("P{i}"),
            )
        })
        .collect();
    let card = AdaptiveCards
        .bot_request_card(&default_links(), &[], None, &many)
        .unwrap();
    let ids = card["refresh"]["userIds"].as_array().unwrap();
    assert_eq!(ids.len(), MAX_REFRESH_USERS);
    assert_eq!(ids[0], "8:orgid:00000000-0000-0000-0000-000000000000");

    let anyone = AdaptiveCards
        .bot_request_card(&default_links(), &[], None, &[])
        .unwrap();
    assert!(anyone.get("refresh").is_none(), "{anyone}");
    let note = texts(&anyone).pop().unwrap();
    assert!(
        note.starts_with("Anyone in this conversation may decide"),
        "{note}"
    );
}

#[test]
fn the_follow_up_question_is_an_input_of_its_kind_required_when_the_question_is() {
    let links = default_links();
    let ask = |kind, required| {
        let q = question(kind, &[], required);
        let card = AdaptiveCards
            .bot_request_card(&links, &[], Some(&q), &approvers())
            .unwrap();
        let inputs: Vec<Value> = ["Input.Text", "Input.Number"]
            .iter()
            .flat_map(|k| all_of(&card, k).into_iter().cloned())
            .collect();
        assert_eq!(inputs.len(), 1, "{card}");
        // Asked after every choice: every button takes the answer.
        let actions = card["actions"].as_array().unwrap();
        assert!(actions.iter().all(|a| a.get("associatedInputs").is_none()));
        inputs[0].clone()
    };
    let text = ask(AnswerKind::Text, true);
    assert_eq!(text["type"], "Input.Text");
    assert_eq!(text["id"], "followUp");
    assert_eq!(text["label"], "Which ticket?");
    assert_eq!(text["isRequired"], true);
    assert_eq!(text["isMultiline"], true);
    assert_eq!(text["maxLength"], 3000);
    let email = ask(AnswerKind::Email, true);
    assert_eq!(
        (&email["type"], &email["style"]),
        (&json!("Input.Text"), &json!("email"))
    );
    let number = ask(AnswerKind::Number, false);
    assert_eq!(number["type"], "Input.Number");
    assert_eq!(number["id"], "followUp");
    assert_eq!(number["isRequired"], false, "an optional question");
}

#[test]
fn a_question_asked_after_some_choices_does_not_hold_up_the_others() {
    let q = question(AnswerKind::Text, &["rollback"], true);
    let card = AdaptiveCards
        .bot_request_card(&own_buttons(), &[], Some(&q), &approvers())
        .unwrap();
    let inputs_of: Vec<(&str, Option<&str>)> = card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["title"].as_str().unwrap(), a["associatedInputs"].as_str()))
        .collect();
    assert_eq!(
        inputs_of,
        [
            ("Ship it", Some("none")),
            ("Hold", Some("none")),
            ("Roll back", None)
        ]
    );
    let hint = texts(&card);
    assert!(
        hint.iter().any(|t| t == "Asked when you choose Roll back."),
        "{hint:?}"
    );
}

#[test]
fn a_card_over_teams_size_limit_is_refused_before_it_is_sent() {
    let mut links = default_links();
    links.description = Some("x".repeat(30 * 1024));
    let err = AdaptiveCards
        .bot_request_card(&links, &[], None, &approvers())
        .unwrap_err();
    assert_eq!(err.name(), "Teams.InvalidMessage", "{err}");
}

fn asked() -> Value {
    let q = question(AnswerKind::Text, &["rollback"], true);
    AdaptiveCards
        .bot_request_card(&own_buttons(), &facts(), Some(&q), &approvers())
        .unwrap()
}

#[test]
fn the_outcome_card_keeps_the_request_drops_everything_clickable_and_ends_with_the_line() {
    let line = "Approved by Megan Bowen at 2027-01-14T09:00:00Z.";
    let card = AdaptiveCards.bot_outcome_card(&asked(), line);
    assert!(clickable(&card).is_empty(), "{card}");
    assert!(card.get("refresh").is_none(), "{card}");
    assert!(card.get("actions").is_none(), "{card}");
    let shown = texts(&card);
    assert_eq!(shown.first().unwrap(), "Stop db-1?");
    assert_eq!(shown.last().unwrap(), line);
    assert_eq!(all_of(&card, "FactSet").len(), 1, "the facts stay");
    assert!(
        !shown
            .iter()
            .any(|t| t.contains("may decide") || t.starts_with("Asked when")),
        "what only held while pending is gone: {shown:?}"
    );
    assert_eq!(card["version"], BOT_CARD_VERSION);
}

#[test]
fn every_card_the_bot_answers_with_declares_1_5_even_over_a_card_shown_at_1_4() {
    // A request card kept from before the bot's cards were 1.5.
    let mut old = asked();
    old["version"] = json!("1.4");
    let outcome = AdaptiveCards.bot_outcome_card(&old, "Approved by Megan Bowen.");
    assert_eq!(outcome["version"], "1.5", "{outcome}");
    for shown in [Some(&old), None] {
        let refused = AdaptiveCards.bot_refusal_card(shown, &CardRefusal::NotAllowed);
        assert_eq!(refused["version"], "1.5", "{refused}");
    }
}

#[test]
fn each_refusal_says_why_on_top_of_what_was_shown_with_nothing_to_click() {
    let refusals = [
        CardRefusal::NotAllowed,
        CardRefusal::AlreadyDecided,
        CardRefusal::Expired,
        CardRefusal::UnknownCard,
    ];
    let mut said = Vec::new();
    for refusal in &refusals {
        let card = AdaptiveCards.bot_refusal_card(Some(&asked()), refusal);
        assert!(clickable(&card).is_empty(), "{refusal:?}: {card}");
        assert!(card.get("refresh").is_none(), "{refusal:?}: {card}");
        let shown = texts(&card);
        assert_eq!(shown[0], refusal_text(refusal), "{refusal:?}");
        assert_eq!(shown[1], "Stop db-1?", "what was shown stays");
        said.push(shown[0].clone());
    }
    said.dedup();
    assert_eq!(
        said.len(),
        refusals.len(),
        "each refusal says its own reason"
    );
    assert!(said[0].contains("not one of the approvers"));
    assert!(said[1].contains("already decided"));
    assert!(said[2].contains("expired"));
    assert!(said[3].contains("not sent by this app"));
}

#[test]
fn an_unknown_card_is_answered_with_a_bare_card_that_says_so() {
    let card = AdaptiveCards.bot_refusal_card(None, &CardRefusal::UnknownCard);
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(texts(&card), [refusal_text(&CardRefusal::UnknownCard)]);
    assert!(clickable(&card).is_empty());
    // A stored card that is not one (a damaged record) is answered the same way.
    let odd = AdaptiveCards.bot_refusal_card(Some(&json!("not a card")), &CardRefusal::Expired);
    assert_eq!(texts(&odd), [refusal_text(&CardRefusal::Expired)]);
}

#[test]
fn a_card_settled_twice_says_its_outcome_and_its_refusal_once() {
    let outcome = AdaptiveCards.bot_outcome_card(&asked(), "Approved by Megan Bowen.");
    let again = AdaptiveCards.bot_outcome_card(&outcome, "Approved by Megan Bowen.");
    assert_eq!(
        again, outcome,
        "an outcome card shown again is the same card"
    );
    let late = AdaptiveCards.bot_refusal_card(Some(&outcome), &CardRefusal::AlreadyDecided);
    let later = AdaptiveCards.bot_refusal_card(Some(&late), &CardRefusal::AlreadyDecided);
    assert_eq!(later, late, "one notice, not two");
    let shown = texts(&later);
    assert_eq!(shown[0], refusal_text(&CardRefusal::AlreadyDecided));
    assert_eq!(
        shown.last().unwrap(),
        "Approved by Megan Bowen.",
        "the outcome stays"
    );
}

#[test]
fn the_refresh_can_be_given_the_approvers_teams_user_ids_once_looked_up() {
    let mut card = AdaptiveCards
        .bot_request_card(&default_links(), &[], None, &approvers())
        .unwrap();
    let oids = refresh_object_ids(&card);
    assert_eq!(
        oids,
        [
            "7faf8ab2-3d56-4244-b585-20c8a42ed2b8",
            "eddfa9d4-346e-4cce-a18f-fa6261ad776b"
        ]
    );
    let looked_up: Vec<String> = (0..70).map(|i| format!("29:1user{i}")).collect();
    set_refresh_user_ids(&mut card, &looked_up);
    let ids = card["refresh"]["userIds"].as_array().unwrap();
    assert_eq!(ids.len(), MAX_REFRESH_USERS);
    assert_eq!(ids[0], "29:1user0");
    assert!(refresh_object_ids(&card).is_empty(), "no MRI left");
    assert_eq!(
        card["refresh"]["action"]["verb"], "refresh",
        "the action stays"
    );

    let mut anyone = AdaptiveCards
        .bot_request_card(&default_links(), &[], None, &[])
        .unwrap();
    let before = anyone.clone();
    set_refresh_user_ids(&mut anyone, &looked_up);
    assert_eq!(anyone, before, "no refresh is added");
}

#[test]
fn what_a_clicker_typed_is_shown_as_plain_text_on_the_outcome_card() {
    // A follow-up answer or a display name with markdown: a TextBlock would render the link
    // for the whole conversation; a TextRun renders none.
    let line = "Rejected by Mallory: [Sign in again](https://evil.example).";
    let card = AdaptiveCards.bot_outcome_card(&asked(), line);
    let carrying: Vec<String> = all_of(&card, "TextBlock")
        .iter()
        .filter_map(|b| b["text"].as_str())
        .filter(|t| t.contains("evil"))
        .map(str::to_string)
        .collect();
    assert!(carrying.is_empty(), "markdown rendered: {carrying:?}");
    assert_eq!(texts(&card).last().unwrap(), line);
}
