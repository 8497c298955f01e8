use super::*;

fn input(json: serde_json::Value) -> FollowUpInput {
    serde_json::from_value(json).unwrap()
}

fn question(kind: &str, required: bool) -> FollowUp {
    input(serde_json::json!({"question": "Why?", "answer": kind, "required": required}))
        .validate(&["approve", "reject"])
        .unwrap()
}

#[test]
fn the_input_is_checked_and_defaults_to_a_required_text_asked_after_every_choice() {
    let q = input(serde_json::json!({"question": "  Why?  "}))
        .validate(&["approve", "reject"])
        .unwrap();
    assert_eq!(
        q,
        FollowUp {
            question: "Why?".into(),
            kind: AnswerKind::Text,
            after: vec![],
            required: true
        }
    );
    assert!(q.applies_to("approve") && q.applies_to("defer"));
    let only_reject = input(serde_json::json!({"question": "Why?", "after": ["reject", "reject"]}))
        .validate(&["approve", "reject"])
        .unwrap();
    assert_eq!(only_reject.after, ["reject"]);
    assert!(only_reject.applies_to("reject") && !only_reject.applies_to("approve"));

    for (bad, named) in [
        (
            serde_json::json!({"answer": "text"}),
            "followUp.question is required",
        ),
        (
            serde_json::json!({"question": "a\nb"}),
            "followUp.question must be one line",
        ),
        (
            serde_json::json!({"question": "x".repeat(501)}),
            "followUp.question is longer",
        ),
        (
            serde_json::json!({"question": "Why?", "answer": "date"}),
            "followUp.answer must be text, email or number",
        ),
        (
            serde_json::json!({"question": "Why?", "after": ["rejct"]}),
            "followUp.after names \"rejct\"",
        ),
    ] {
        let err = input(bad).validate(&["approve", "reject"]).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(err.to_string().starts_with(named), "{err}");
    }
}

#[test]
fn a_misspelt_field_is_refused_not_ignored() {
    let err = serde_json::from_value::<FollowUpInput>(
        serde_json::json!({"question": "Why?", "requird": false}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `requird`"), "{err}");
}

#[test]
fn text_answers_are_trimmed_and_length_limited() {
    let q = question("text", true);
    let a = q.answer(Some("  idle since May \n")).unwrap();
    assert_eq!(a.answer, Some(Answer::Text("idle since May".into())));
    assert_eq!(a.question, "Why?");
    assert!(q.answer(Some(&"x".repeat(3000))).is_ok());
    let refused = q.answer(Some(&"x".repeat(3001))).unwrap_err();
    assert!(refused.0.contains("longer than 3000"), "{refused}");
}

#[test]
fn a_required_question_refuses_an_empty_answer_and_an_optional_one_records_none() {
    for empty in [None, Some(""), Some("   ")] {
        let refused = question("text", true).answer(empty).unwrap_err();
        assert_eq!(refused.0, "Please answer the question.");
        let skipped = question("number", false).answer(empty).unwrap();
        assert_eq!(skipped.answer, None);
    }
    // Optional does not mean unchecked.
    assert!(question("number", false).answer(Some("many")).is_err());
}

#[test]
fn email_answers_must_be_addresses_and_are_lowercased() {
    let q = question("email", true);
    assert_eq!(
        q.answer(Some(" Owner@Corp.COM ")).unwrap().answer,
        Some(Answer::Email("owner@corp.com".into()))
    );
    for bad in [
        "owner",
        "owner@corp",
        "a b@corp.com",
        "@corp.com",
        "x@@corp.com",
    ] {
        let refused = q.answer(Some(bad)).unwrap_err();
        assert!(
            refused.0.contains("is not an email address"),
            "{bad}: {refused}"
        );
    }
}

#[test]
fn number_answers_are_finite_json_numbers() {
    let q = question("number", true);
    let number = |given: &str| q.answer(Some(given)).map(|a| a.answer.unwrap().to_json());
    assert_eq!(number("42").unwrap(), serde_json::json!(42));
    assert_eq!(number(" -3.5 ").unwrap(), serde_json::json!(-3.5));
    assert_eq!(number("1e3").unwrap(), serde_json::json!(1000.0));
    assert!(
        number("42").unwrap().is_i64(),
        "an integer stays an integer"
    );
    for bad in [
        "",
        "forty",
        "NaN",
        "inf",
        "-infinity",
        "1e999",
        "1,5",
        "0x10",
        "12abc",
    ] {
        assert!(number(bad).is_err(), "{bad:?} is refused");
    }
    // Finite, but beyond what the store keeps: refused as an answer, not failed as a write.
    for beyond in ["1e200", "-1e126", "1e-200"] {
        let refused = q.answer(Some(beyond)).unwrap_err();
        assert!(
            refused.0.contains("too large or too small"),
            "{beyond}: {refused}"
        );
    }
    assert!(number("1e125").is_ok() && number("0").is_ok() && number("1e-130").is_ok());
    let refused = q.answer(Some("forty")).unwrap_err();
    assert!(
        refused.0.contains("\u{201c}forty\u{201d} is not a number"),
        "{refused}"
    );
}

#[test]
fn answers_keep_their_kind_and_text() {
    let n = parse_answer(AnswerKind::Number, "7").unwrap();
    assert_eq!((n.kind(), n.text()), (AnswerKind::Number, "7".to_string()));
    let e = parse_answer(AnswerKind::Email, "a@b.co").unwrap();
    assert_eq!(e.to_json(), serde_json::json!("a@b.co"));
}
