//! Team decisions where a request is made and where its outcome is told: Create Approval Links
//! stores `quorum`, `requestedBy` and `reminders` checked against the approvers (or refuses
//! them by name), and the decision output of a request with a quorum lists its votes and tally.

use serde_json::{json, Value};

use super::*;
use crate::approval::team::TeamFields;
use crate::ports::ApprovalStore;
use crate::quorum::{Quorum, Reminders, Vote};
use crate::testing::FakeStore;
use crate::{ButtonStyle, DecidedBy, DecisionOutput, RecordedDecision, TeamsUser};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn signer() -> LinkSigner {
    LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap()
}

fn settings(signer: &LinkSigner) -> LinkSettings<'_> {
    LinkSettings {
        signer,
        base_url: "https://approvals.example.com",
        retention_days: 30,
        origin: Channel::Email,
    }
}

/// Create Approval Links as its function runs it (the strict parser, then the use case): the
/// record stored.
async fn create(input: Value) -> Result<ApprovalRecord, HitlError> {
    let signer = signer();
    let store = FakeStore::default();
    let input: CreateLinksInput = crate::input::from_json(input)?;
    create_approval_links(input, &settings(&signer), &store, "a-1".into(), NOW).await?;
    Ok(store.get(&"a-1".into()).await?.expect("stored"))
}

fn team_input() -> Value {
    json!({
        "title": "Stop db-1?",
        "approvers": ["alice@corp.com", "Bob@corp.com", "carol@corp.com", "dave@corp.com"],
        "quorum": {"approvals": "all"},
        "requestedBy": " Dave@Corp.com ",
        "reminders": {"everySeconds": DAY, "escalateAfter": 3, "escalateTo": ["Lead@corp.com", "lead@corp.com"]}
    })
}

#[tokio::test]
async fn a_team_request_is_stored_with_its_rules_the_requester_left_out_of_all() {
    let record = create(team_input()).await.unwrap();
    assert_eq!(
        record.quorum,
        Some(Quorum {
            approvals: 3,
            rejections: 1
        }),
        "all: the four approvers but the requester"
    );
    assert_eq!(record.requested_by.as_deref(), Some("dave@corp.com"));
    assert_eq!(
        record.reminders,
        Some(Reminders {
            every_seconds: DAY,
            escalate_after: Some(3),
            escalate_to: vec!["lead@corp.com".into()],
        })
    );
    assert!(record.votes.is_empty());
}

#[tokio::test]
async fn the_first_reminder_is_due_one_interval_after_the_request() {
    let signer = signer();
    let input: CreateLinksInput = crate::input::from_json(team_input()).unwrap();
    let record =
        new_request_record(input, Vec::new(), &settings(&signer), "a-1".into(), NOW).unwrap();
    assert_eq!(record.reminder_state.next_at, Some(NOW + DAY));
    assert_eq!(
        (
            record.reminder_state.sent,
            record.reminder_state.escalated_at
        ),
        (0, None)
    );
    let plain: CreateLinksInput = crate::input::from_json(json!({"title": "t"})).unwrap();
    let record =
        new_request_record(plain, Vec::new(), &settings(&signer), "a-2".into(), NOW).unwrap();
    assert_eq!(
        record.reminder_state.next_at, None,
        "no reminders, none due"
    );
}

#[tokio::test]
async fn without_the_fields_or_with_first_the_first_answer_decides_as_before() {
    for input in [
        json!({"title": "t", "approvers": ["alice@corp.com", "bob@corp.com"]}),
        json!({"title": "t", "approvers": ["alice@corp.com", "bob@corp.com"], "quorum": {"approvals": "first"}}),
        json!({"title": "t", "quorum": null, "requestedBy": null, "reminders": null}),
    ] {
        let record = create(input.clone()).await.unwrap();
        let team = (&record.quorum, &record.requested_by, &record.reminders);
        assert_eq!(team, (&None, &None, &None), "{input}");
    }
    // Two approvers, two approvals, a reject quorum of two.
    let record = create(json!({"title": "t", "approvers": ["a@corp.com", "b@corp.com", "c@corp.com"], "quorum": {"approvals": 2, "rejections": 2}}))
        .await
        .unwrap();
    assert_eq!(
        record.quorum,
        Some(Quorum {
            approvals: 2,
            rejections: 2
        })
    );
}

#[tokio::test]
async fn wrong_team_fields_are_refused_by_name_and_nothing_is_stored() {
    let two = json!(["alice@corp.com", "bob@corp.com"]);
    let cases = [
        (json!({"quorum": {"approvals": 2}}), "quorum counts the votes of named approvers: name them in approvers"),
        (json!({"approvers": two, "quorum": {"approvals": 3}}), "quorum.approvals must be between 1 and the number of approvers who may vote (2), got 3"),
        (json!({"approvers": two, "quorum": {"approvals": 2}, "requestedBy": "bob@corp.com"}), "(1), got 2"),
        (json!({"approvers": two, "quorum": {"approvals": 1, "rejections": 3}}), "quorum.rejections must be between 1"),
        (json!({"approvers": two, "quorum": {"approvals": "first", "rejections": 1}}), "quorum.rejections needs quorum.approvals as a number"),
        (json!({"approvers": two, "requestedBy": "dave"}), "requestedBy must be an email address, not \"dave\""),
        (json!({"approvers": two, "reminders": {"everySeconds": 1}}), "reminders.everySeconds must be at least 5, got 1"),
        (json!({"approvers": two, "reminders": {"everySeconds": 3600, "escalateAfter": 2, "escalateTo": ["lead"]}}), "reminders.escalateTo[0] must be an email address"),
        (json!({"approvers": two, "reminders": {"everySeconds": 3600, "escalateAfter": 2}}), "reminders.escalateAfter needs reminders.escalateTo"),
        (json!({"approvers": two, "reminders": {"everySeconds": 3600, "escalateTo": ["lead@corp.com"]}}), "reminders.escalateTo needs reminders.escalateAfter"),
        (json!({"reminders": {"everySeconds": 3600}}), "reminders remind the named approvers who have not answered: name them in approvers"),
        (json!({"approvers": two, "quorum": {"aprovals": 2}}), "unknown field `quorum.aprovals`; did you mean `approvals`?"),
        (json!({"approvers": two, "reminders": {"everySecond": 60}}), "unknown field `reminders.everySecond`"),
    ];
    for (mut input, expected) in cases {
        input["title"] = json!("Stop db-1?");
        let err = create(input.clone()).await.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{input}");
        assert!(err.to_string().contains(expected), "{input}: {err}");
    }
}

#[tokio::test]
async fn a_quorum_counts_approve_and_reject_not_buttons_of_ones_own() {
    let (signer, store) = (signer(), FakeStore::default());
    let input = || -> CreateLinksInput {
        crate::input::from_json(json!({"title": "t", "approvers": ["a@corp.com", "b@corp.com"], "quorum": {"approvals": "all"}}))
            .unwrap()
    };
    let own = vec![
        ChoiceButton::new("Stop", "approve", ButtonStyle::Primary),
        ChoiceButton::new("Next week", "defer", ButtonStyle::Default),
    ];
    let err =
        create_links_with_buttons(input(), own, &settings(&signer), &store, "a-1".into(), NOW)
            .await
            .unwrap_err();
    assert!(
        err.to_string().contains("quorum counts approve and reject"),
        "{err}"
    );
    assert!(store.records.lock().unwrap().is_empty());
    // Approve and reject under labels of their own are still approve and reject.
    let relabelled = vec![
        ChoiceButton::new("Stop it", "approve", ButtonStyle::Primary),
        ChoiceButton::new("Keep it", "reject", ButtonStyle::Danger),
    ];
    create_links_with_buttons(
        input(),
        relabelled,
        &settings(&signer),
        &store,
        "a-2".into(),
        NOW,
    )
    .await
    .unwrap();
}

#[test]
fn escalation_targets_are_named_once_as_the_channel_names_people() {
    let fields: TeamFields = TeamFields {
        requested_by: Some("  ".into()),
        reminders: Some(crate::input::from_json(json!({"everySeconds": 60, "escalateAfter": 1, "escalateTo": ["X@corp.com", " x@corp.com", "y@corp.com"]})).unwrap()),
        ..TeamFields::default()
    }
    .normalized(&crate::approval::team::email_identity)
    .unwrap();
    assert_eq!(fields.requested_by, None, "a blank requester is none");
    let targets = fields.reminders.unwrap().escalate_to.unwrap();
    assert_eq!(targets, ["x@corp.com", "y@corp.com"]);
}

fn vote(slot: &str, who: &str, decision: Decision, at: i64) -> Vote {
    Vote {
        slot: slot.into(),
        decision: RecordedDecision {
            decision,
            decided_by: DecidedBy {
                id: who.into(),
                name: who.into(),
                channel: Channel::Email,
            },
            decided_at: at,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: None,
            submission_id: None,
        },
    }
}

/// Three approvers, two approvals needed: Alice approves with a comment, the lead (escalated)
/// fills Bob's place and approves, which settles it; Carol never voted.
fn settled_by_two_of_three() -> ApprovalRecord {
    let mut record = ApprovalRecord::new("a-1", "t".into(), Channel::Email, NOW, NOW + DAY, 30);
    record.approvers = vec![
        "alice@corp.com".into(),
        "bob@corp.com".into(),
        "carol@corp.com".into(),
    ];
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    let mut alice = vote(
        "alice@corp.com",
        "alice@corp.com",
        Decision::Approve,
        NOW + 60,
    );
    alice.decision.comment = Some("fine by me".into());
    let lead = vote(
        "bob@corp.com",
        "lead@corp.com",
        Decision::Approve,
        NOW + 120,
    );
    record.decision = Some(lead.decision.clone());
    record.votes = vec![alice, lead];
    record
}

#[test]
fn a_quorum_decision_lists_every_vote_and_the_tally() {
    let record = settled_by_two_of_three();
    let output = DecisionOutput::from_record(&record, record.decision.as_ref().unwrap());
    let verified = |id: &str| json!({"id": id, "name": id, "channel": "email", "verified": true});
    assert_eq!(
        serde_json::to_value(&output).unwrap(),
        json!({
            "approvalId": "a-1",
            "decision": "approve",
            "approved": true,
            "decidedBy": verified("lead@corp.com"),
            "decidedAt": "2027-01-15T08:02:00Z",
            "votes": [
                {"approver": "alice@corp.com", "decision": "approve", "decidedBy": verified("alice@corp.com"), "decidedAt": "2027-01-15T08:01:00Z", "comment": "fine by me"},
                {"approver": "bob@corp.com", "decision": "approve", "decidedBy": verified("lead@corp.com"), "decidedAt": "2027-01-15T08:02:00Z"}
            ],
            "tally": {"approvals": 2, "rejections": 0, "approvalsRequired": 2, "rejectionsRequired": 1, "waitingFor": ["carol@corp.com"]}
        })
    );
    let back: DecisionOutput =
        serde_json::from_value(serde_json::to_value(&output).unwrap()).unwrap();
    assert_eq!(back, output);
}

#[test]
fn a_teams_vote_names_the_approver_as_resolved() {
    let mut record = settled_by_two_of_three();
    record.approvers = Vec::new();
    record.origin = Channel::Teams;
    record.teams_approvers = ["a", "b", "c"]
        .map(|n| TeamsUser {
            object_id: format!("0B7E8C2A-0000-4000-8000-00000000000{n}"),
            name: n.to_uppercase(),
            user_principal_name: (n != "b").then(|| format!("{n}@corp.com")),
            tenant_id: "tid".into(),
        })
        .to_vec();
    record.votes[0].slot = "0b7e8c2a-0000-4000-8000-00000000000a".into();
    record.votes[1].slot = "0b7e8c2a-0000-4000-8000-00000000000b".into();
    let output = DecisionOutput::from_record(&record, record.decision.as_ref().unwrap());
    let approvers: Vec<&str> = output
        .votes
        .iter()
        .flatten()
        .map(|v| v.approver.as_str())
        .collect();
    assert_eq!(approvers, ["a@corp.com", "B"], "the UPN, else the name");
    assert_eq!(output.tally.unwrap().waiting_for, ["c@corp.com"]);
}

#[test]
fn a_first_answer_decision_is_told_exactly_as_before() {
    let mut record = settled_by_two_of_three();
    record.quorum = None;
    let decision = record.decision.clone().unwrap();
    let before = serde_json::to_string(&DecisionOutput::from_recorded("a-1", &decision)).unwrap();
    let now = serde_json::to_string(&DecisionOutput::from_record(&record, &decision)).unwrap();
    assert_eq!(now, before);
    assert!(!now.contains("votes") && !now.contains("tally"));
}

#[tokio::test]
async fn the_requester_is_sent_no_links_and_a_request_only_they_were_named_in_has_no_shared_ones() {
    let signer = signer();
    let store = FakeStore::default();
    let input: CreateLinksInput = crate::input::from_json(team_input()).unwrap();
    let out = create_approval_links(input, &settings(&signer), &store, "a-1".into(), NOW)
        .await
        .unwrap();
    let named: Vec<&str> = out.links.iter().map(|l| l.approver.as_str()).collect();
    assert_eq!(named, ["alice@corp.com", "bob@corp.com", "carol@corp.com"]);
    // Each keeps the index of their place among the approvers: the same links as without
    // requestedBy.
    let mut without = team_input();
    without.as_object_mut().unwrap().remove("requestedBy");
    without["quorum"] = json!({"approvals": 3});
    let input: CreateLinksInput = crate::input::from_json(without).unwrap();
    let all = create_approval_links(
        input,
        &settings(&signer),
        &FakeStore::default(),
        "a-1".into(),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(out.links[..], all.links[..3]);
    // Named alone (no quorum): nobody is sent links, and there are no shared ones either.
    let input: CreateLinksInput = crate::input::from_json(json!({
        "title": "Stop db-1?", "approvers": ["dave@corp.com"], "requestedBy": "dave@corp.com"
    }))
    .unwrap();
    let alone = create_approval_links(
        input,
        &settings(&signer),
        &FakeStore::default(),
        "a-2".into(),
        NOW,
    )
    .await
    .unwrap();
    assert!(alone.links.is_empty());
    assert_eq!((alone.approve_url, alone.reject_url), (None, None));
}

/// A first-answer request (no quorum) bars its requester too: their personal link (signed for
/// their place, though they are not emailed it) shows why instead of the form, and a Teams card
/// click of theirs is not allowed.
#[tokio::test]
async fn the_requester_of_a_first_answer_request_has_no_say_either() {
    let signer = signer();
    let store = FakeStore::default();
    let input: CreateLinksInput = crate::input::from_json(json!({
        "title": "Stop db-1?", "approvers": ["alice@corp.com", "dave@corp.com"],
        "requestedBy": "dave@corp.com"
    }))
    .unwrap();
    create_approval_links(input, &settings(&signer), &store, "a-1".into(), NOW)
        .await
        .unwrap();
    let record = store.get(&"a-1".into()).await.unwrap().unwrap();
    let url = |i| {
        signer.link_url(
            "https://x",
            "a-1",
            Decision::Approve,
            record.expires_at,
            Some(i),
        )
    };
    let query = |url: String| url.split_once('?').unwrap().1.to_string();
    let dave = view_link("a-1", &query(url(1)), &signer, &store, NOW + 1).await;
    assert!(
        matches!(
            dave,
            LinkView::NoSlot {
                reason: NoSlotReason::Requester,
                ..
            }
        ),
        "{dave:?}"
    );
    let alice = view_link("a-1", &query(url(0)), &signer, &store, NOW + 1).await;
    assert!(matches!(alice, LinkView::Confirm { .. }), "{alice:?}");

    let mut card = record.clone();
    let user = |id: &str| TeamsUser {
        object_id: id.into(),
        name: id.into(),
        user_principal_name: None,
        tenant_id: "t".into(),
    };
    card.requested_by = Some("oid-dave".into());
    assert!(!crate::use_cases::teams_card::allowed(
        &card,
        &user("OID-DAVE")
    ));
    assert!(crate::use_cases::teams_card::allowed(
        &card,
        &user("oid-alice")
    ));
}
