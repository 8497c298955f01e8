//! Request Action's own `buttons`: styled card links whose signed decision is the button's
//! value, confirmed by the button's label, decided with its value, and nothing else.

use super::*;
use crate::pages::render;
use approvals::Decision;

fn three_buttons() -> Value {
    json!([
        {"label": "Scale down", "value": "approve", "style": "primary"},
        {"label": "Ask me next week", "value": "defer"},
        {"label": "Keep", "value": "reject", "style": "destructive"}
    ])
}

fn query_of(url: &str) -> String {
    url.split_once('?').unwrap().1.to_string()
}

/// The card's actions of a request with [`three_buttons`], and their URLs.
async fn card_with_buttons(store: &FakeStore) -> Vec<Value> {
    let teams = FakeTeams::default();
    let input =
        json!({"title": "Scale down staging?", "taskToken": "token-1", "buttons": three_buttons()});
    run_request(input, store, &teams).await.unwrap();
    first_card(&teams)["actions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_button_is_a_styled_link_whose_signed_decision_is_its_value() {
    let store = FakeStore::default();
    let actions = card_with_buttons(&store).await;
    let shown: Vec<(&str, &str, &str)> = actions
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap(),
                a["title"].as_str().unwrap(),
                a["style"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Action.OpenUrl", "Scale down", "positive"),
            ("Action.OpenUrl", "Ask me next week", "default"),
            ("Action.OpenUrl", "Keep", "destructive"),
        ]
    );
    let defer = actions[1]["url"].as_str().unwrap();
    assert!(
        defer.starts_with("https://api.example.com/decisions/a-1?d=defer&"),
        "{defer}"
    );
    assert!(!defer.contains("token-1"));
    let record = store.records.lock().unwrap()["a-1"].clone();
    let values: Vec<&str> = record.buttons.iter().map(|b| b.value.as_str()).collect();
    assert_eq!(values, ["approve", "defer", "reject"]);
}

#[tokio::test]
async fn a_custom_button_is_confirmed_by_its_label_then_decided_with_its_value() {
    let store = FakeStore::default();
    let actions = card_with_buttons(&store).await;
    let query = query_of(actions[1]["url"].as_str().unwrap());
    let view = view_link("a-1", &query, &signer(), &store, NOW + 1).await;
    let page = render(&view);
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains(
            "Your choice: <strong id=\"choice\" data-value=\"defer\">Ask me next week</strong>"
        ),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("class=\"neutral\">Ask me next week</button>"),
        "{}",
        page.html
    );
    assert!(
        store.records.lock().unwrap()["a-1"].decision.is_none(),
        "GET decides nothing"
    );

    let decided = decide_through(&format!("x?{query}"), "a-1", &store).await;
    let output = serde_json::to_value(&decided).unwrap();
    assert_eq!(output["decision"], "defer", "{output}");
    assert_eq!(output["approved"], false);
    assert_eq!(output["value"], "defer");
    assert_eq!(
        output["action"],
        json!({"actionId": "hitl_button_1", "type": "button", "selected": ["defer"]})
    );
    assert_eq!(output["decidedBy"]["channel"], "teams");
}

#[tokio::test]
async fn the_approve_button_approves_under_its_own_label() {
    let store = FakeStore::default();
    let actions = card_with_buttons(&store).await;
    let url = actions[0]["url"].as_str().unwrap();
    let page = render(&view_link("a-1", &query_of(url), &signer(), &store, NOW + 1).await);
    assert!(
        page.html.contains("class=\"approve\">Scale down</button>"),
        "{}",
        page.html
    );
    let decided = decide_through(url, "a-1", &store).await;
    assert_eq!(
        (decided.decision.as_str(), decided.approved),
        ("approve", true)
    );
    assert_eq!(decided.value.as_deref(), Some("approve"));
}

#[tokio::test]
async fn a_tampered_or_foreign_value_is_refused_even_when_signed() {
    let store = FakeStore::default();
    let actions = card_with_buttons(&store).await;
    let defer = query_of(actions[1]["url"].as_str().unwrap());
    let signer = signer();
    let resumer = FakeResumer::default();
    let post = |form: String| {
        let (store, signer, resumer) = (&store, &signer, &resumer);
        async move {
            decide(
                "a-1",
                &form,
                ClientInfo::default(),
                signer,
                store,
                resumer,
                NOW + 2,
            )
            .await
        }
    };
    // Another value on a genuine link: the signature covers the value.
    let tampered = defer.replace("d=defer", "d=approve");
    let view = post(tampered).await;
    assert!(
        matches!(&view, LinkView::Invalid { reason } if reason.contains("signature")),
        "{view:?}"
    );
    // Signed with our key for this request, but none of its buttons: refused all the same.
    let foreign = query_of(&signer.link_url(
        "https://api.example.com",
        "a-1",
        Decision::Custom("delete-all".into()),
        NOW + 3600,
        None,
    ));
    for view in [
        view_link("a-1", &foreign, &signer, &store, NOW + 2).await,
        post(foreign.clone()).await,
    ] {
        assert!(
            matches!(&view, LinkView::Invalid { reason } if reason.contains("\"delete-all\" is not one of this request's buttons")),
            "{view:?}"
        );
        assert_eq!(render(&view).status, 403);
    }
    assert!(store.records.lock().unwrap()["a-1"].decision.is_none());
    assert!(resumer.resumed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_request_without_buttons_takes_only_approve_and_reject() {
    let store = FakeStore::default();
    let teams = FakeTeams::default();
    run_request(json!({"title": "t", "taskToken": "t"}), &store, &teams)
        .await
        .unwrap();
    assert!(store.records.lock().unwrap()["a-1"].buttons.is_empty());
    let signer = signer();
    let defer =
        query_of(&signer.link_url("h", "a-1", Decision::Custom("defer".into()), NOW + 60, None));
    let view = view_link("a-1", &defer, &signer, &store, NOW + 1).await;
    assert!(matches!(view, LinkView::Invalid { .. }), "{view:?}");
}

#[tokio::test]
async fn approvers_get_the_buttons_as_personal_links_by_email() {
    let (store, teams, sender) = (
        FakeStore::default(),
        FakeTeams::default(),
        FakeEmailSender::default(),
    );
    let input = json!({"title": "Scale down?", "taskToken": "t", "buttons": three_buttons(),
        "approvers": ["alice@example.com", "bob@example.com"]});
    run_request_mailing(input, &store, &teams, &sender)
        .await
        .unwrap();
    assert!(
        first_card(&teams).get("actions").is_none(),
        "no button anyone could click"
    );
    let sent = sender.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    let bob = &sent[1];
    let line = |label: &str| {
        bob.text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{label}: ")))
            .unwrap_or_else(|| panic!("no {label} in {}", bob.text))
            .to_string()
    };
    for label in ["Scale down", "Ask me next week", "Keep"] {
        assert!(
            line(label).contains("&a=1&"),
            "Bob's own link: {}",
            line(label)
        );
        assert!(bob.html.contains(&format!(">{label}</a>")), "{}", bob.html);
    }
    assert!(
        !bob.text.contains("Approve:"),
        "only the request's own buttons: {}",
        bob.text
    );
    let decided = decide_through(&line("Ask me next week"), "a-1", &store).await;
    assert_eq!(decided.decision, "defer");
    assert_eq!(decided.decided_by.id, "bob@example.com");
    assert!(decided.decided_by.verified());
}

#[tokio::test]
async fn bad_buttons_are_refused_before_anything_is_stored_or_posted() {
    let button = |value: &str| json!({"label": "B", "value": value});
    let seven: Vec<Value> = (0..7).map(|i| button(&format!("v{i}"))).collect();
    let cases = [
        (json!(seven), "buttons must hold 1 to 6 buttons, not 7"),
        (json!([]), "buttons must hold 1 to 6"),
        (json!({"label": "x"}), "buttons must be a list"),
        (json!(["approve"]), "buttons[0] must be an object"),
        (
            json!([{"label": 3, "value": "x"}]),
            "buttons[0].label: invalid type",
        ),
        (
            json!([button("a"), {"label": "B", "value": "b", "styl": "danger"}]),
            "unknown field `buttons[1].styl`; did you mean `style`?",
        ),
        (json!([{"value": "x"}]), "buttons[0].label is required"),
        (json!([{"label": "x"}]), "buttons[0].value is required"),
        (
            json!([button("a"), button("a")]),
            "buttons[1].value \"a\" is used twice",
        ),
        (
            json!([button("two words")]),
            "may hold only letters, digits",
        ),
        (
            json!([button("a&d=approve")]),
            "may hold only letters, digits",
        ),
        (
            json!([button(&"v".repeat(65))]),
            "buttons[0].value is longer than 64",
        ),
        (
            json!([{"label": "x".repeat(76), "value": "x"}]),
            "buttons[0].label is longer than 75",
        ),
        (
            json!([{"label": "B", "value": "x", "style": "green"}]),
            "buttons[0].style must be primary",
        ),
    ];
    for (buttons, message) in cases {
        let (store, teams) = (FakeStore::default(), FakeTeams::default());
        let input = json!({"title": "t", "taskToken": "t", "buttons": buttons});
        let err = run_request(input, &store, &teams).await.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{buttons}: {err}");
        assert!(err.to_string().contains(message), "{buttons}: {err}");
        assert!(store.records.lock().unwrap().is_empty(), "{buttons}");
        assert!(teams.posted.lock().unwrap().is_empty());
    }
    let six: Vec<Value> = (0..6).map(|i| button(&format!("v{i}"))).collect();
    let (store, teams) = (FakeStore::default(), FakeTeams::default());
    let input = json!({"title": "t", "taskToken": "t", "buttons": six});
    run_request(input, &store, &teams).await.unwrap();
    assert_eq!(first_card(&teams)["actions"].as_array().unwrap().len(), 6);
}
