//! The bot's cards of a request with a quorum: the progress keeps the buttons and is replaced
//! (never repeated) by the next vote's; the final card lists the votes as plain text with
//! nothing left to click; every one passes Microsoft's Adaptive Cards 1.5 schema (vendored).

mod teams_cards_common;

use approvals::ports::{CardRefusal, TeamsBotFormat};
use channels::teams::universal::BOT_CARD_VERSION;
use channels::teams::AdaptiveCards;
use serde_json::Value;
use teams_cards_common::*;

fn assert_valid(what: &str, card: &Value) {
    let path = format!(
        "{}/../../tests/fixtures/vendors/adaptivecards/adaptive-card-{BOT_CARD_VERSION}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    assert_eq!(card["version"], BOT_CARD_VERSION, "{what}");
    let found: Vec<String> = validator
        .iter_errors(card)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(found.is_empty(), "{what}: {found:#?}\n{card:#}");
}

fn asked() -> Value {
    let q = question(approvals::AnswerKind::Text, &[], false);
    AdaptiveCards
        .bot_request_card(&default_links(), &facts(), Some(&q), &approvers())
        .unwrap()
}

const WAITING: &str = "1 of 2 approved; waiting for adele@corp.example.";

#[test]
fn the_progress_keeps_the_buttons_and_replaces_the_last_progress() {
    let card = asked();
    let progress = AdaptiveCards.bot_progress_card(&card, WAITING);
    assert_eq!(clickable(&progress), clickable(&card), "buttons kept");
    assert_eq!(
        progress["refresh"], card["refresh"],
        "each approver's view kept"
    );
    assert!(texts(&progress).contains(&WAITING.to_string()));
    assert_valid("progress", &progress);

    let next = AdaptiveCards.bot_progress_card(&progress, "2 of 3 approved.");
    let lines = texts(&next);
    assert!(lines.contains(&"2 of 3 approved.".to_string()), "{lines:?}");
    assert!(!lines.contains(&WAITING.to_string()), "replaced: {lines:?}");
}

#[test]
fn the_final_card_lists_the_votes_as_plain_text_with_nothing_to_click() {
    let progress = AdaptiveCards.bot_progress_card(&asked(), WAITING);
    let votes = vec![
        "Approved by Megan Bowen at 2027-01-15T07:00:00Z. (in Teams)".to_string(),
        "Rejected by [click me](https://evil.example) at 2027-01-15T07:01:00Z. (by email)"
            .to_string(),
    ];
    let card = AdaptiveCards.bot_votes_card(&progress, "Rejected: 1 of 1 rejected.", &votes);

    assert!(clickable(&card).is_empty(), "{card:#}");
    assert!(card.get("refresh").is_none());
    let lines = texts(&card);
    let at = lines
        .iter()
        .position(|l| l == "Rejected: 1 of 1 rejected.")
        .unwrap();
    assert_eq!(lines[at + 1..], votes[..], "{lines:?}");
    assert!(
        !lines.contains(&WAITING.to_string()),
        "no progress once settled"
    );
    // What people typed is never rendered as markdown: no TextBlock carries it.
    let blocks = all_of(&card, "TextBlock");
    assert!(!blocks
        .iter()
        .any(|b| b["text"].as_str().unwrap().contains("evil")));
    assert_valid("votes", &card);
    // Settled again (the relay after the clicker's answer): the same, not repeated.
    let again = AdaptiveCards.bot_votes_card(&card, "Rejected: 1 of 1 rejected.", &votes);
    assert_eq!(again, card);
}

#[test]
fn the_refusals_of_a_vote_pass_the_schema_and_say_why() {
    let progress = AdaptiveCards.bot_progress_card(&asked(), WAITING);
    let voter = AdaptiveCards.bot_outcome_card(&asked(), &format!("You approved at T. {WAITING}"));
    assert_valid("voter's view", &voter);
    for refusal in [
        CardRefusal::AlreadyVoted,
        CardRefusal::Requester,
        CardRefusal::SlotFilled,
        CardRefusal::NoSlotLeft,
    ] {
        let card = AdaptiveCards.bot_refusal_card(Some(&progress), &refusal);
        assert_valid(&format!("{refusal:?}"), &card);
        let notice = &texts(&card)[0];
        assert!(
            notice.contains("vote") || notice.contains("asked"),
            "{notice}"
        );
    }
}
