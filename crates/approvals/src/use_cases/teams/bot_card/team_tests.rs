//! Team decisions on a card the bot sends: its slots are the approvers as resolved, so the
//! quorum is checked after the bot resolved them (two names of one person are one slot), and
//! the requester and the escalation targets are kept as the object ids a click carries.

use serde_json::json;

use super::*;
use crate::approval::team::TeamFields;
use crate::ports::ApprovalStore;
use crate::quorum::Quorum;
use crate::testing::{FakeStore, FakeTeamsBot, FakeTeamsBotFormat};
use crate::{ApproverAddress, LinkSigner, TeamsUser};

const NOW: i64 = 1_800_000_000;
const ALICE: &str = "0b7e8c2a-0000-4000-8000-00000000000a";
const BOB: &str = "0b7e8c2a-0000-4000-8000-00000000000b";
const DAVE: &str = "0b7e8c2a-0000-4000-8000-00000000000d";
const LEAD: &str = "0b7e8c2a-0000-4000-8000-00000000000e";

fn tenant() -> FakeTeamsBot {
    let person = |oid: &str, upn: &str| TeamsUser {
        object_id: oid.to_uppercase(),
        name: upn.split('@').next().unwrap().into(),
        user_principal_name: Some(upn.into()),
        tenant_id: "tid".into(),
    };
    FakeTeamsBot::with_people(&[
        person(ALICE, "alice@corp.example"),
        person(BOB, "bob@corp.example"),
        person(DAVE, "dave@corp.example"),
        person(LEAD, "lead@corp.example"),
    ])
}

/// A card to a channel, with approvers by address and by object id, and the team fields as
/// the input gives them (`channels::teams` normalizes the people named).
fn request(approvers: &[&str], ids: &[&str], team: serde_json::Value) -> TeamsRequest {
    TeamsRequest {
        title: "Stop db-1?".into(),
        text: None,
        facts: Vec::new(),
        expires_in_seconds: Some(3600),
        task_token: "tok".into(),
        request_key: None,
        execution_arn: None,
        approvers: approvers
            .iter()
            .map(|a| ApproverAddress::parse(a).unwrap())
            .collect(),
        user: None,
        conversation_id: Some("19:ops@thread.tacv2".into()),
        approver_ids: ids.iter().map(|i| i.to_string()).collect(),
        follow_up: None,
        buttons: Vec::new(),
        team: TeamFields {
            quorum: team
                .get("quorum")
                .map(|q| crate::input::from_json(q.clone()).unwrap()),
            requested_by: team["requestedBy"].as_str().map(String::from),
            reminders: team
                .get("reminders")
                .map(|r| crate::input::from_json(r.clone()).unwrap()),
        },
    }
}

async fn ask(
    request: TeamsRequest,
    store: &FakeStore,
    bot: &FakeTeamsBot,
) -> Result<ApprovalRecord, HitlError> {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://api.example.com",
        retention_days: 30,
        origin: Channel::Teams,
    };
    let chat = BotChat {
        bot,
        format: &FakeTeamsBotFormat,
    };
    let out = request_action_via_bot(request, &settings, store, chat, "a-1".into(), NOW).await?;
    Ok(store.get(&out.approval_id.as_str().into()).await?.unwrap())
}

#[tokio::test]
async fn the_requester_and_escalation_targets_are_kept_as_object_ids_and_all_counts_the_others() {
    let (store, bot) = (FakeStore::default(), tenant());
    let team = json!({
        "quorum": {"approvals": "all"},
        "requestedBy": "dave@corp.example",
        "reminders": {"everySeconds": 3600, "escalateAfter": 2, "escalateTo": ["lead@corp.example", LEAD]}
    });
    let asked = request(&["alice@corp.example", "dave@corp.example"], &[BOB], team);
    let record = ask(asked, &store, &bot).await.unwrap();
    assert_eq!(
        record.requested_by.as_deref(),
        Some(DAVE),
        "as a click names him"
    );
    assert_eq!(
        record.quorum,
        Some(Quorum {
            approvals: 2,
            rejections: 1
        }),
        "all: Alice and Bob, not Dave who asked"
    );
    let slots: Vec<String> = crate::quorum::slots(&record)
        .into_iter()
        .map(|s| s.label)
        .collect();
    assert_eq!(slots, ["alice@corp.example", "bob@corp.example"]);
    let reminders = record.reminders.unwrap();
    assert_eq!(reminders.escalate_to, [LEAD], "resolved, named once");
    assert_eq!(record.reminder_state.next_at, Some(NOW + 3600));
    assert_eq!(bot.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn two_names_of_one_person_are_one_slot() {
    let (store, bot) = (FakeStore::default(), tenant());
    // Alice by address and by object id, and Bob: two people, so two approvals at most.
    let team = json!({"quorum": {"approvals": 3}});
    let asked = request(&["alice@corp.example", "bob@corp.example"], &[ALICE], team);
    let err = ask(asked, &store, &bot).await.unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string()
            .contains("quorum.approvals must be between 1 and the number of approvers who may vote (2), got 3"),
        "{err}"
    );
    assert!(store.records.lock().unwrap().is_empty(), "nothing stored");
    assert!(bot.sent.lock().unwrap().is_empty(), "nothing sent");
}

#[tokio::test]
async fn a_requester_named_by_object_id_is_left_out_of_an_approver_named_by_address() {
    let (store, bot) = (FakeStore::default(), tenant());
    let team = json!({"quorum": {"approvals": 2}, "requestedBy": DAVE.to_uppercase()});
    let asked = request(
        &[
            "alice@corp.example",
            "bob@corp.example",
            "dave@corp.example",
        ],
        &[],
        team,
    );
    let record = ask(asked, &store, &bot).await.unwrap();
    assert_eq!(crate::quorum::slots(&record).len(), 2);
    let team = json!({"quorum": {"approvals": 3}, "requestedBy": DAVE});
    let asked = request(
        &[
            "alice@corp.example",
            "bob@corp.example",
            "dave@corp.example",
        ],
        &[],
        team,
    );
    let err = ask(asked, &FakeStore::default(), &bot).await.unwrap_err();
    assert!(err.to_string().contains("(2), got 3"), "{err}");
}

#[tokio::test]
async fn a_requester_or_escalation_target_the_bot_cannot_find_fails_the_task() {
    let bot = tenant();
    for team in [
        json!({"requestedBy": "nobody@corp.example"}),
        json!({"reminders": {"everySeconds": 60, "escalateAfter": 1, "escalateTo": ["nobody@corp.example"]}}),
    ] {
        let store = FakeStore::default();
        let asked = request(&["alice@corp.example"], &[], team.clone());
        let err = ask(asked, &store, &bot).await.unwrap_err();
        assert_eq!(err.name(), "Teams.UserNotFound", "{team}");
        assert!(store.records.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_quorum_on_a_card_without_approvers_is_refused() {
    let (store, bot) = (FakeStore::default(), tenant());
    let asked = request(&[], &[], json!({"quorum": {"approvals": 1}}));
    let err = ask(asked, &store, &bot).await.unwrap_err();
    assert!(err.to_string().contains("name them in approvers"), "{err}");
    assert!(bot.sent.lock().unwrap().is_empty());
}

/// Two addresses of one person are one slot, and the approvers kept stay in step with the
/// people: the next person's slot answers to their own address, never to the dropped one
/// (else one person's second address could fill another's slot by email).
#[tokio::test]
async fn a_second_address_of_one_person_is_dropped_and_nobody_else_answers_to_it() {
    let store = FakeStore::default();
    let person = |oid: &str, upn: &str| TeamsUser {
        object_id: oid.to_uppercase(),
        name: upn.split('@').next().unwrap().into(),
        user_principal_name: Some(upn.into()),
        tenant_id: "tid".into(),
    };
    let bot = FakeTeamsBot::with_people(&[
        person(ALICE, "asmith@corp.example"),
        person(ALICE, "alice@corp.example"),
        person(BOB, "bob@corp.example"),
    ]);
    let team = json!({"quorum": {"approvals": 2}});
    let asked = request(
        &[
            "asmith@corp.example",
            "alice@corp.example",
            "bob@corp.example",
        ],
        &[],
        team,
    );
    let record = ask(asked, &store, &bot).await.unwrap();
    assert_eq!(
        record.approvers,
        ["asmith@corp.example", "bob@corp.example"]
    );
    let slots = crate::quorum::slots(&record);
    assert_eq!(slots.len(), 2);
    let alice_mail = vec!["alice@corp.example".to_string()];
    assert!(!slots[1].is(&alice_mail), "Bob's slot: {:?}", slots[1]);
    assert!(slots[1].is(&["bob@corp.example".to_string()]));
}
