use super::run::{request_action, send_message, ApproverMail};
use super::*;
use approvals::testing::{FakeEmailSender, FakeResumer, FakeStore, FakeTeams};
use approvals::use_cases::LinkSettings;
use approvals::use_cases::{decide, view_link, ClientInfo, LinkView};
use approvals::Channel;
use approvals::Retry;
use approvals::{DecisionOutput, LinkSigner};
use serde_json::json;
use serde_json::Value;

const NOW: i64 = 1_800_000_000;

fn signer() -> LinkSigner {
    LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap()
}

fn request(json: Value) -> TeamsRequestActionInput {
    serde_json::from_value(json).unwrap()
}

fn send(json: Value) -> TeamsSendMessageInput {
    serde_json::from_value(json).unwrap()
}

async fn run_request(
    json: Value,
    store: &FakeStore,
    teams: &FakeTeams,
) -> Result<TeamsRequestActionOutput, HitlError> {
    run_request_mailing(json, store, teams, &FakeEmailSender::default()).await
}

async fn run_request_mailing(
    json: Value,
    store: &FakeStore,
    teams: &FakeTeams,
    sender: &FakeEmailSender,
) -> Result<TeamsRequestActionOutput, HitlError> {
    let signer = signer();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://api.example.com",
        retention_days: 30,
        // request_action asks as Teams whatever it is given.
        origin: Channel::Email,
    };
    let mail = ApproverMail {
        sender,
        from: "approvals@example.com",
    };
    request_action(
        request(json),
        &settings,
        store,
        teams,
        &mail,
        "a-1".into(),
        NOW,
    )
    .await
}

#[tokio::test]
async fn a_retry_with_the_same_request_key_does_not_post_the_card_twice() {
    let store = FakeStore::default();
    let teams = FakeTeams::default();
    let input = |token: &str| json!({"title": "Stop db-1?", "taskToken": token, "requestKey": "exec-1/AskInTeams/db-1"});
    let first = run_request(input("token-1"), &store, &teams).await.unwrap();
    let retry = run_request(input("token-2"), &store, &teams).await.unwrap();
    assert_eq!(first, retry, "the same request");
    assert_eq!(teams.posted.lock().unwrap().len(), 1, "one card");
    let record = store.records.lock().unwrap()[first.approval_id.as_str()].clone();
    assert_eq!(record.task_token.as_deref(), Some("token-2"));
}

#[tokio::test]
async fn request_action_stores_waits_and_posts_a_card_with_the_signed_links() {
    let store = FakeStore::default();
    let teams = FakeTeams::default();
    let out = run_request(
        json!({
            "title": "Stop db-1?",
            "text": "Idle for 14 days.",
            "facts": [{"title": "Instance", "value": "db-1"}, {"title": "CPU %", "value": 0.4}],
            "approvers": [],
            "target": null,
            "taskToken": "token-1"
        }),
        &store,
        &teams,
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"approvalId": "a-1", "expiresAt": "2027-01-16T08:00:00Z", "status": "waiting"})
    );
    let record = store.records.lock().unwrap()["a-1"].clone();
    assert_eq!(record.task_token.as_deref(), Some("token-1"));
    assert_eq!(record.origin, Channel::Teams);
    assert_eq!(record.description.as_deref(), Some("Idle for 14 days."));

    assert_eq!(teams.posted.lock().unwrap().len(), 1);
    let card = &first_card(&teams);
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["$schema"], CARD_SCHEMA);
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["body"][0],
        json!({"type": "TextBlock", "text": "Stop db-1?", "weight": "bolder", "size": "medium", "wrap": true})
    );
    assert_eq!(
        card["body"][1],
        json!({"type": "TextBlock", "text": "Idle for 14 days.", "wrap": true})
    );
    assert_eq!(
        card["body"][2],
        json!({"type": "FactSet", "facts": [
            {"title": "Instance", "value": "db-1"},
            {"title": "CPU %", "value": "0.4"}
        ]})
    );
    assert_buttons_open_links_for_anyone(card);
}

/// The card of a request without approvers: Approve and Reject open signed links (without the
/// task token) that anyone who sees the card may use, and it says so.
fn assert_buttons_open_links_for_anyone(card: &Value) {
    let actions = card["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    assert!(actions.iter().all(|a| a["type"] == "Action.OpenUrl"));
    assert_eq!(actions[0]["title"], "Approve");
    assert_eq!(actions[0]["style"], "positive");
    assert_eq!(actions[1]["title"], "Reject");
    assert_eq!(actions[1]["style"], "destructive");
    assert!(find_unsupported_action(card).is_none());
    assert!(
        card.to_string()
            .contains("Anyone who can see this card may decide"),
        "{card}"
    );
    let approve = actions[0]["url"].as_str().unwrap();
    assert!(approve.starts_with("https://api.example.com/decisions/a-1?"));
    assert!(
        !approve.contains("token-1"),
        "the task token never goes in a link"
    );
}

#[tokio::test]
async fn a_click_on_the_card_link_is_confirmed_then_decided_as_teams() {
    let store = FakeStore::default();
    let teams = FakeTeams::default();
    run_request(
        json!({"title": "Stop db-1?", "taskToken": "token-1"}),
        &store,
        &teams,
    )
    .await
    .unwrap();
    let url = {
        let posted = teams.posted.lock().unwrap();
        let TeamsMessage::Card(card) = &posted[0] else {
            panic!()
        };
        card["actions"][0]["url"].as_str().unwrap().to_string()
    };
    let query = url.split_once('?').unwrap().1.to_string();
    let signer = signer();
    // GET decides nothing (scanners pre-fetch links).
    let view = view_link("a-1", &query, &signer, &store, NOW + 10).await;
    assert!(matches!(view, LinkView::Confirm { .. }), "{view:?}");
    assert!(store.records.lock().unwrap()["a-1"].decision.is_none());
    // POST from the confirmation page decides and resumes the waiting Task.
    let resumer = FakeResumer::default();
    let form = format!("{query}&name=Alice");
    let view = decide(
        "a-1",
        &form,
        ClientInfo::default(),
        &signer,
        &store,
        &resumer,
        NOW + 20,
    )
    .await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    let resumed = resumer.resumed.lock().unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].0, "token-1");
    assert_eq!(resumed[0].1.decision, "approve");
    assert_eq!(resumed[0].1.decided_by.channel, Channel::Teams);
    assert_eq!(resumed[0].1.decided_by.name, "Alice");
    // Nothing tells who clicked a webhook card: the typed name is recorded as unverified.
    let output = serde_json::to_value(&resumed[0].1).unwrap();
    assert_eq!(output["decidedBy"]["id"], "link");
    assert_eq!(output["decidedBy"]["verified"], false, "{output}");
}

#[tokio::test]
async fn request_action_checks_everything_before_storing() {
    let cases = [
        (json!({"taskToken": "t"}), "title"),
        (json!({"title": "  ", "taskToken": "t"}), "title"),
        (json!({"title": "t"}), "taskToken"),
        (
            json!({"title": "t", "taskToken": "t", "facts": (0..21).map(|i| json!({"title": format!("f{i}"), "value": "v"})).collect::<Vec<_>>()}),
            "facts",
        ),
        (
            json!({"title": "t", "taskToken": "t", "facts": {"title": "x"}}),
            "facts",
        ),
        (
            json!({"title": "t", "taskToken": "t", "facts": [{"value": "x"}]}),
            "facts[0].title",
        ),
        (
            json!({"title": "t", "taskToken": "t", "facts": [{"title": "x"}]}),
            "facts[0].value",
        ),
        (
            json!({"title": "t", "taskToken": "t", "target": {"teamId": "T", "channelId": "C"}}),
            "target is not supported",
        ),
        (
            json!({"title": "t", "taskToken": "t", "target": {"chatId": "19:x"}}),
            "import",
        ),
        (
            json!({"title": "t", "taskToken": "t", "expiresInSeconds": 1}),
            "expiresInSeconds",
        ),
        (
            json!({"title": "t", "taskToken": "t", "text": "x".repeat(MAX_TEXT_CHARS + 1)}),
            "text",
        ),
    ];
    for (input, field) in cases {
        let store = FakeStore::default();
        let teams = FakeTeams::default();
        let err = run_request(input.clone(), &store, &teams)
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{input}: {err}");
        assert!(err.to_string().contains(field), "{input}: {err}");
        assert!(store.records.lock().unwrap().is_empty(), "{input}");
        assert!(teams.posted.lock().unwrap().is_empty());
    }
}

/// A webhook card cannot tell who clicks it: with approvers it has no buttons, each approver
/// gets a personal link by email, and that link decides as that approver (verified).
/// The card of the first message posted.
fn first_card(teams: &FakeTeams) -> Value {
    match &teams.posted.lock().unwrap()[0] {
        TeamsMessage::Card(card) => card.clone(),
        other => panic!("a card was expected: {other:?}"),
    }
}

/// Decides request `id` through `link` as its confirmation page posts it (the link's query);
/// returns the decision the waiting Task was resumed with.
async fn decide_through(link: &str, id: &str, store: &FakeStore) -> DecisionOutput {
    let query = link.split_once('?').unwrap().1;
    let resumer = FakeResumer::default();
    let view = decide(
        id,
        query,
        ClientInfo::default(),
        &signer(),
        store,
        &resumer,
        NOW + 5,
    )
    .await;
    assert!(matches!(view, LinkView::Recorded { .. }), "{view:?}");
    let resumed = resumer.resumed.lock().unwrap();
    resumed[0].1.clone()
}

#[tokio::test]
async fn named_approvers_decide_through_personal_links_sent_by_email() {
    let (store, teams, sender) = (
        FakeStore::default(),
        FakeTeams::default(),
        FakeEmailSender::default(),
    );
    let input = |token: &str| {
        json!({"title": "Stop db-1?", "taskToken": token, "requestKey": "exec-1/Ask",
        "approvers": ["Alice@Example.com", "bob@example.com", "alice@example.com"]})
    };
    let out = run_request_mailing(input("token-1"), &store, &teams, &sender)
        .await
        .unwrap();
    let card = first_card(&teams);
    assert!(
        card.get("actions").is_none(),
        "no button anyone could click: {card}"
    );
    assert!(
        card.to_string()
            .contains("Only alice@example.com, bob@example.com may decide"),
        "{card}"
    );
    let sent = sender.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "one email per approver");
    assert_eq!(sent[1].to, ["bob@example.com"]);
    // A retry of the state posts nothing and mails nobody again.
    run_request_mailing(input("token-2"), &store, &teams, &sender)
        .await
        .unwrap();
    assert_eq!(
        (
            teams.posted.lock().unwrap().len(),
            sender.sent.lock().unwrap().len()
        ),
        (1, 2)
    );

    let bob_link = sent[1]
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Approve: "))
        .unwrap();
    let decided = decide_through(bob_link, &out.approval_id, &store).await;
    assert_eq!(decided.decided_by.id, "bob@example.com");
    assert!(decided.decided_by.verified());
    assert_eq!(decided.decided_by.channel, Channel::Teams);
}

#[tokio::test]
async fn approvers_that_are_not_addresses_are_refused_before_storing() {
    for approvers in [json!(["nope"]), json!("alice@example.com"), json!([3])] {
        let (store, teams, sender) = (
            FakeStore::default(),
            FakeTeams::default(),
            FakeEmailSender::default(),
        );
        let input = json!({"title": "t", "taskToken": "t", "approvers": approvers});
        let err = run_request_mailing(input, &store, &teams, &sender)
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{approvers}: {err}");
        assert!(
            ["approvers", "email address"]
                .iter()
                .any(|w| err.to_string().contains(w)),
            "{err}"
        );
        assert!(store.records.lock().unwrap().is_empty());
        assert!(teams.posted.lock().unwrap().is_empty());
        assert!(sender.sent.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_oversized_card_is_refused_before_posting() {
    let store = FakeStore::default();
    let teams = FakeTeams::default();
    let facts: Vec<Value> = (0..MAX_FACTS)
        .map(|i| json!({"title": format!("fact {i}"), "value": "v".repeat(MAX_FACT_VALUE_CHARS)}))
        .collect();
    let err = run_request(
        json!({"title": "t", "taskToken": "t", "facts": facts}),
        &store,
        &teams,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Teams.InvalidMessage");
    assert!(err.to_string().contains("28 KB"), "{err}");
    assert!(teams.posted.lock().unwrap().is_empty());
    // No task token was stored for a card that never went out.
    assert!(store.records.lock().unwrap()["a-1"].task_token.is_none());
}

#[tokio::test]
async fn a_failed_post_fails_the_task_with_the_service_error() {
    let store = FakeStore::default();
    let teams = FakeTeams::default();
    *teams.fail_with.lock().unwrap() = Some(HitlError::failed_dependency(
        "Teams.RateLimited",
        "429",
        Retry::Later,
    ));
    let err = run_request(json!({"title": "t", "taskToken": "t"}), &store, &teams)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.RateLimited");
}

mod buttons;
mod conversation;
mod messages;
