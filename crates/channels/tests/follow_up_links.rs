//! Follow-up questions on link confirmation pages (email and Teams links), with in-memory
//! ports: the GET shows the question with the input type of its answer and decides nothing;
//! a refused answer re-renders the form (422) with why and records nothing; a valid one is
//! recorded with the decision and reaches the workflow typed.

use approvals::use_cases::LinkView;
use channels::pages::render;
use serde_json::json;

mod use_cases_common;
use use_cases_common::*;

async fn asking(w: &World, follow_up: serde_json::Value) -> (String, String) {
    let out = w
        .create(json!({"title": "Stop db-1?", "followUp": follow_up}))
        .await;
    w.wait("token-1").await.unwrap();
    (out.approve_url.unwrap(), out.reject_url.unwrap())
}

#[tokio::test]
async fn the_page_asks_with_the_input_type_of_the_answer() {
    for (kind, input) in [
        ("text", "type=\"text\""),
        ("email", "type=\"email\""),
        ("number", "type=\"number\""),
    ] {
        let w = World::new();
        let (approve, _) = asking(&w, json!({"question": "Why <now>?", "answer": kind})).await;
        let page = render(&w.get(&approve, NOW + 1).await);
        assert_eq!(page.status, 200);
        assert!(
            page.html.contains(&format!("<input {input}")),
            "{kind}: {}",
            page.html
        );
        assert!(page.html.contains("name=\"answer\"") && page.html.contains(" required"));
        assert!(page.html.contains("Why &lt;now&gt;?"), "escaped");
        assert!(w.store.records.lock().unwrap()["appr-1"].decision.is_none());
    }
    let w = World::new();
    let (approve, _) = asking(&w, json!({"question": "Why?", "required": false})).await;
    let html = render(&w.get(&approve, NOW + 1).await).html;
    assert!(
        html.contains("(optional)") && !html.contains(" required"),
        "{html}"
    );
}

#[tokio::test]
async fn a_refused_answer_shows_the_form_again_and_records_nothing() {
    let w = World::new();
    let (_, reject) = asking(&w, json!({"question": "Who owns it?", "answer": "email"})).await;
    let view = w
        .post(
            &reject,
            "&name=Dana&comment=later&answer=not-an-address",
            NOW + 2,
        )
        .await;
    assert!(matches!(view, LinkView::AnswerRefused { .. }), "{view:?}");
    let page = render(&view);
    assert_eq!(page.status, 422);
    assert!(
        page.html.contains("is not an email address"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("value=\"not-an-address\""),
        "what was typed is kept"
    );
    assert!(page.html.contains("value=\"Dana\"") && page.html.contains(">later</textarea>"));
    assert!(
        page.html.contains("name=\"sig\""),
        "the form can be sent again"
    );
    assert!(w.store.records.lock().unwrap()["appr-1"].decision.is_none());
    assert!(w.resumes().is_empty());
    let missing = w.post(&reject, "", NOW + 2).await;
    assert!(
        matches!(missing, LinkView::AnswerRefused { .. }),
        "a required answer"
    );

    let view = w.post(&reject, "&answer=Owner%40Corp.com", NOW + 3).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    assert!(render(&view).html.contains("Who owns it? owner@corp.com"));
    let output = serde_json::to_value(&w.resumes()[0].1).unwrap();
    assert_eq!(output["decision"], "reject");
    assert_eq!(
        output["followUp"],
        json!({"question": "Who owns it?", "answer": "owner@corp.com"})
    );
}

#[tokio::test]
async fn a_number_answer_reaches_the_workflow_as_a_number() {
    let w = World::new();
    let (approve, _) = asking(&w, json!({"question": "How many?", "answer": "number"})).await;
    let view = w.post(&approve, "&answer=12.5", NOW + 2).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    let output = serde_json::to_value(&w.resumes()[0].1).unwrap();
    assert_eq!(output["followUp"]["answer"], json!(12.5));
}

#[tokio::test]
async fn a_choice_the_question_is_not_after_asks_nothing() {
    let w = World::new();
    let (approve, reject) = asking(&w, json!({"question": "Why not?", "after": ["reject"]})).await;
    assert!(!render(&w.get(&approve, NOW + 1).await)
        .html
        .contains("name=\"answer\""));
    assert!(render(&w.get(&reject, NOW + 1).await)
        .html
        .contains("name=\"answer\""));
    let view = w.post(&approve, "&answer=ignored", NOW + 2).await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    let output = serde_json::to_value(&w.resumes()[0].1).unwrap();
    assert!(output.get("followUp").is_none(), "{output}");
}

#[tokio::test]
async fn a_follow_up_naming_no_choice_of_a_link_is_refused() {
    let w = World::new();
    let err = w
        .try_create(json!({"title": "t", "followUp": {"question": "?", "after": ["defer"]}}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string().contains("followUp.after names \"defer\""),
        "{err}"
    );
    // null is no question (what the email state machine passes by default).
    w.create(json!({"title": "t", "followUp": null})).await;
}

#[tokio::test]
async fn with_buttons_of_its_own_after_names_their_values() {
    use approvals::use_cases::{create_links_with_buttons, LinkSettings};
    use approvals::{ButtonStyle, Channel, ChoiceButton, CreateLinksInput};
    let w = World::new();
    let settings = LinkSettings {
        signer: &w.signer,
        base_url: BASE,
        retention_days: 30,
        origin: Channel::Teams,
    };
    let buttons = || {
        vec![
            ChoiceButton::new("Stop", "approve", ButtonStyle::Primary),
            ChoiceButton::new("Next week", "defer", ButtonStyle::Default),
        ]
    };
    let input = |after: &str| -> CreateLinksInput {
        serde_json::from_value(
            json!({"title": "t", "followUp": {"question": "When?", "after": [after]}}),
        )
        .unwrap()
    };
    let refused = create_links_with_buttons(
        input("reject"),
        buttons(),
        &settings,
        &w.store,
        "a-1".into(),
        NOW,
    )
    .await
    .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("followUp.after names \"reject\""),
        "{refused}"
    );
    create_links_with_buttons(
        input("defer"),
        buttons(),
        &settings,
        &w.store,
        "a-2".into(),
        NOW,
    )
    .await
    .unwrap();
    let asked = w.store.records.lock().unwrap()["a-2"]
        .follow_up
        .clone()
        .unwrap();
    assert!(asked.applies_to("defer") && !asked.applies_to("approve"));
}
