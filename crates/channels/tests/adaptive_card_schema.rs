//! Every Adaptive Card we send to Teams passes Microsoft's schema for the version it declares
//! (tests/fixtures/vendors/adaptivecards, sources in that folder's README): the Workflows
//! webhook's cards declare 1.4 (the most a webhook takes) and pass the 1.4 schema; the bot's
//! cards declare 1.5 (what Teams needs for Universal Actions) and pass the 1.5 schema. The
//! schemas are closed, so a misspelled property, an action field on the wrong action, or a
//! value outside an enum fails here rather than in Teams (which drops what it does not know,
//! or shows "this card could not be rendered").

mod teams_cards_common;

use approvals::ports::{CardRefusal, TeamsBotFormat, TeamsFormat, TeamsMessage};
use approvals::{AnswerKind, RecipientLinks};
use channels::teams::universal::BOT_CARD_VERSION;
use channels::teams::{text_card, AdaptiveCards, CARD_VERSION};
use serde_json::{json, Value};
use teams_cards_common::*;

/// Microsoft's schema of Adaptive Cards `version` (the vendored copy).
struct Schema {
    version: &'static str,
    validator: jsonschema::Validator,
}

fn schema(version: &'static str) -> Schema {
    let path = format!(
        "{}/../../tests/fixtures/vendors/adaptivecards/adaptive-card-{version}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    Schema { version, validator }
}

/// The schema of the webhook's cards, and of the bot's.
fn webhook_schema() -> Schema {
    schema(CARD_VERSION)
}

fn bot_schema() -> Schema {
    schema(BOT_CARD_VERSION)
}

fn problems(schema: &Schema, card: &Value) -> Vec<String> {
    schema
        .validator
        .iter_errors(card)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// `card` declares `schema`'s version and passes it.
fn assert_valid(schema: &Schema, what: &str, card: &Value) {
    assert_eq!(
        card["version"], schema.version,
        "{what} declares the version of the schema it is checked against"
    );
    let found = problems(schema, card);
    assert!(found.is_empty(), "{what}: {found:#?}\n{card:#}");
}

fn card_of(message: TeamsMessage) -> Value {
    match message {
        TeamsMessage::Card(card) => card,
        TeamsMessage::Text(text) => panic!("a card, not {text:?}"),
    }
}

/// The bot's request cards: default and own buttons, each kind of follow-up question (after
/// every choice, after some, optional), with and without a refresh.
fn bot_request_cards() -> Vec<(String, Value)> {
    let mut cards = Vec::new();
    let questions = [
        None,
        Some(question(AnswerKind::Text, &[], true)),
        Some(question(AnswerKind::Email, &["rollback"], true)),
        Some(question(AnswerKind::Number, &["ship", "hold"], false)),
    ];
    for (name, links) in [
        ("default buttons", default_links()),
        ("own buttons", own_buttons()),
    ] {
        for q in &questions {
            for who in [approvers(), Vec::new()] {
                let card = AdaptiveCards
                    .bot_request_card(&links, &facts(), q.as_ref(), &who)
                    .unwrap();
                let what = format!("bot card, {name}, {q:?}, {} approvers", who.len());
                cards.push((what, card));
            }
        }
    }
    cards
}

#[test]
fn the_bots_cards_pass_the_adaptive_cards_1_5_schema() {
    assert_eq!(BOT_CARD_VERSION, "1.5");
    let schema = bot_schema();
    let requests = bot_request_cards();
    for (what, card) in &requests {
        assert_valid(&schema, what, card);
        let outcome = AdaptiveCards.bot_outcome_card(card, "Approved by Megan Bowen.");
        assert_valid(&schema, &format!("outcome of {what}"), &outcome);
    }
    let shown = &requests.last().unwrap().1;
    for refusal in [
        CardRefusal::NotAllowed,
        CardRefusal::AlreadyDecided,
        CardRefusal::Expired,
        CardRefusal::UnknownCard,
    ] {
        let card = AdaptiveCards.bot_refusal_card(Some(shown), &refusal);
        assert_valid(&schema, &format!("{refusal:?}"), &card);
        let bare = AdaptiveCards.bot_refusal_card(None, &refusal);
        assert_valid(&schema, &format!("bare {refusal:?}"), &bare);
    }
}

#[test]
fn the_webhook_cards_pass_the_adaptive_cards_1_4_schema() {
    assert_eq!(CARD_VERSION, "1.4");
    let schema = webhook_schema();
    let shared_pair = links(&[], true);
    let shared_own = links(
        &[("Ship it", "ship", approvals::buttons::ButtonStyle::Primary)],
        true,
    );
    for (what, links) in [
        ("shared Approve / Reject", shared_pair),
        ("shared own buttons", shared_own),
        ("named approvers", own_buttons()),
    ] {
        let card = card_of(AdaptiveCards.request_card(&links, &facts()).unwrap());
        assert_valid(&schema, what, &card);
    }
    let personal = RecipientLinks {
        approver: "alice@corp.com".into(),
        approve_url: "https://api.example.com/a".into(),
        reject_url: "https://api.example.com/r".into(),
        buttons: Vec::new(),
    };
    let card = AdaptiveCards
        .personal_card(&default_links(), &facts(), &personal)
        .unwrap();
    assert_valid(&schema, "personal card", &card_of(card));
    let notice = text_card(Some("Deployed"), "db-1 is back.");
    assert_valid(&schema, "notification", &notice);
}

#[test]
fn the_schema_catches_what_teams_would_not_render() {
    // The check can fail: each of these is a mistake a card of ours could make, refused by
    // both schemas.
    let (_, card) = bot_request_cards().swap_remove(2);
    let mut misspelled = card.clone();
    misspelled["actions"][0]["verbs"] = json!("decide");
    let mut bad_style = card.clone();
    bad_style["actions"][0]["style"] = json!("primary");
    let mut bad_refresh = card.clone();
    bad_refresh["refresh"]["userIds"] = json!("29:1abc");
    let mut bad_input = card;
    assert_eq!(bad_input["body"][3]["type"], "Input.Text");
    bad_input["body"][3]["isRequired"] = json!("yes");
    for schema in [bot_schema(), webhook_schema()] {
        for (what, card) in [
            ("misspelled", &misspelled),
            ("style", &bad_style),
            ("userIds", &bad_refresh),
            ("input", &bad_input),
        ] {
            assert!(
                !problems(&schema, card).is_empty(),
                "{what} should fail {}: {card:#}",
                schema.version
            );
        }
    }
}
