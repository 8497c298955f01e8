//! `quorum`, `requestedBy` and `reminders` on Slack and Teams Request Action, as their functions
//! run them (the input checked in `channels`, then the use case on in-memory ports): stored on
//! the request as the channel names people, or refused by name before anything is posted.

use approvals::ports::ApprovalStore;
use approvals::quorum::{Quorum, Reminders};
use approvals::testing::{FakeEmailSender, FakeSlack, FakeStore, FakeTeams};
use approvals::use_cases::teams::{self, ApproverMail, TeamsChat};
use approvals::use_cases::{slack, LinkSettings};
use approvals::{ApprovalRecord, Channel, HitlError, LinkSigner};
use channels::slack::RequestActionInput;
use channels::teams::{AdaptiveCards, TeamsRequestActionInput};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const DAVE_OID: &str = "0B7E8C2A-0000-4000-8000-00000000000D";

/// Slack Request Action: the record stored, and the messages posted.
async fn ask_in_slack(input: Value) -> (Result<ApprovalRecord, HitlError>, usize) {
    let (store, fake) = (FakeStore::default(), FakeSlack::default());
    let asked = async {
        let input: RequestActionInput = approvals::input::from_json(input)?;
        slack::request_action(input.validate("s-1".into())?, &store, &fake, 30, NOW).await?;
        Ok(store.get(&"s-1".into()).await?.expect("stored"))
    };
    let record = asked.await;
    let posted = fake.posted.lock().unwrap().len();
    (record, posted)
}

fn slack_input(extra: Value) -> Value {
    let mut input = json!({"channel": "C1", "text": "Stop db-1?", "taskToken": "tok"});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    input
}

#[tokio::test]
async fn a_slack_request_keeps_its_team_rules_in_slack_user_ids() {
    let (record, posted) = ask_in_slack(slack_input(json!({
        "allowedUsers": ["U0ALICE", "U0BOB", "U0DAVE", "U0ALICE"],
        "quorum": {"approvals": "all"},
        "requestedBy": "U0DAVE",
        "reminders": {"everySeconds": 3600, "escalateAfter": 2, "escalateTo": ["U0LEAD"]}
    })))
    .await;
    let record = record.unwrap();
    assert_eq!(posted, 1);
    assert_eq!(
        record.approvers,
        ["U0ALICE", "U0BOB", "U0DAVE"],
        "Alice once"
    );
    assert_eq!(
        record.quorum,
        Some(Quorum {
            approvals: 2,
            rejections: 1
        }),
        "all: Alice and Bob; Dave asked"
    );
    assert!(approvals::quorum::is_requester(&record, "U0DAVE"));
    assert_eq!(
        record.reminders,
        Some(Reminders {
            every_seconds: 3600,
            escalate_after: Some(2),
            escalate_to: vec!["U0LEAD".into()],
        })
    );
    assert_eq!(record.reminder_state.next_at, Some(NOW + 3600));
}

#[tokio::test]
async fn wrong_team_fields_on_slack_are_refused_by_name_before_anything_is_posted() {
    let two = json!(["U0ALICE", "U0BOB"]);
    let cases = [
        (
            json!({"quorum": {"approvals": 1}}),
            "name them in allowedUsers",
        ),
        (
            json!({"reminders": {"everySeconds": 60}}),
            "name them in allowedUsers",
        ),
        (
            json!({"allowedUsers": two, "quorum": {"approvals": 3}}),
            "(2), got 3",
        ),
        (
            json!({"allowedUsers": two, "requestedBy": "dave@corp.com"}),
            "requestedBy is a Slack user id such as U0123ABCD, not \"dave@corp.com\"",
        ),
        (
            json!({"allowedUsers": two, "reminders": {"everySeconds": 60, "escalateAfter": 1, "escalateTo": ["lead@corp.com"]}}),
            "reminders.escalateTo[0] is a Slack user id",
        ),
        (
            json!({"allowedUsers": two, "quorum": {"approvals": 2}, "buttons": [{"label": "Go", "value": "approve"}, {"label": "Later", "value": "defer"}]}),
            "quorum counts approve and reject",
        ),
        (
            json!({"allowedUsers": two, "quorum": {"approvals": 2, "rejection": 1}}),
            "unknown field `quorum.rejection`",
        ),
    ];
    for (extra, expected) in cases {
        let (refused, posted) = ask_in_slack(slack_input(extra.clone())).await;
        let err = refused.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{extra}");
        assert!(err.to_string().contains(expected), "{extra}: {err}");
        assert_eq!(posted, 0, "{extra}");
    }
    // Approve and Reject under labels of their own are still approve and reject.
    let relabelled = json!({"allowedUsers": two, "quorum": {"approvals": 2}, "buttons": [{"label": "Go", "value": "approve"}, {"label": "No", "value": "reject"}]});
    ask_in_slack(slack_input(relabelled)).await.0.unwrap();
}

/// Teams Request Action through the webhook: the record stored, and the emails sent.
async fn ask_in_teams(input: Value) -> (Result<ApprovalRecord, HitlError>, usize) {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://approvals.example.com",
        retention_days: 30,
        origin: Channel::Teams,
    };
    let (store, webhook, sender) = (
        FakeStore::default(),
        FakeTeams::default(),
        FakeEmailSender::default(),
    );
    let asked = async {
        let input: TeamsRequestActionInput = approvals::input::from_json(input)?;
        let chat = TeamsChat {
            messenger: &webhook,
            format: &AdaptiveCards,
        };
        let mail = ApproverMail {
            sender: &sender,
            from: "approvals@corp.com",
        };
        let out = teams::request_action(
            input.validate()?,
            &settings,
            &store,
            chat,
            &mail,
            "t-1".into(),
            NOW,
        )
        .await?;
        Ok(store
            .get(&out.approval_id.as_str().into())
            .await?
            .expect("stored"))
    };
    let record = asked.await;
    let sent = sender.sent.lock().unwrap().len();
    (record, sent)
}

fn teams_input(extra: Value) -> Value {
    let mut input = json!({"title": "Stop db-1?", "taskToken": "tok"});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    input
}

#[tokio::test]
async fn a_teams_webhook_request_counts_the_approvers_it_emails() {
    let (record, emailed) = ask_in_teams(teams_input(json!({
        "approvers": ["alice@corp.com", "bob@corp.com", "Dave@corp.com"],
        "quorum": {"approvals": "all", "rejections": 2},
        "requestedBy": "dave@corp.com",
        "reminders": {"everySeconds": 86400, "escalateAfter": 3, "escalateTo": ["lead@corp.com"]}
    })))
    .await;
    let record = record.unwrap();
    assert_eq!(
        emailed, 2,
        "each approver but the requester gets personal links"
    );
    assert_eq!(
        record.quorum,
        Some(Quorum {
            approvals: 2,
            rejections: 2
        })
    );
    assert_eq!(record.requested_by.as_deref(), Some("dave@corp.com"));
    assert_eq!(record.reminders.unwrap().escalate_to, ["lead@corp.com"]);
}

#[tokio::test]
async fn wrong_team_fields_on_teams_are_refused_by_name_before_anything_is_sent() {
    let cases = [
        // A webhook card cannot tell who clicks it: a quorum needs people with personal links.
        (
            json!({"quorum": {"approvals": 1}}),
            "name them in approvers",
        ),
        (
            json!({"approvers": ["alice@corp.com"], "requestedBy": DAVE_OID}),
            "requestedBy must be an email address",
        ),
        (
            json!({"approvers": ["a@corp.com", "b@corp.com"], "quorum": {"approvals": 2}, "requestedBy": "b@corp.com"}),
            "(1), got 2",
        ),
        (
            json!({"approvers": ["a@corp.com"], "quorum": {"approvals": 1}, "buttons": [{"label": "Stop", "value": "stop"}, {"label": "Keep", "value": "keep"}]}),
            "quorum counts approve and reject",
        ),
        (
            json!({"approvers": ["a@corp.com"], "reminders": {"everySeconds": 60, "escalateAfter": 1, "escalateTo": ["lead"]}}),
            "reminders.escalateTo[0] must be an email address",
        ),
        (
            json!({"approvers": ["a@corp.com"], "reminders": {"everySeconds": 60, "escalateafter": 1}}),
            "unknown field `reminders.escalateafter`",
        ),
        // With the bot, people may be object ids too; the count is checked before resolving.
        (
            json!({"conversationId": "19:ops@thread.tacv2", "approvers": ["a@corp.com", DAVE_OID], "quorum": {"approvals": 2}, "requestedBy": DAVE_OID}),
            "(1), got 2",
        ),
        (
            json!({"conversationId": "19:ops@thread.tacv2", "approvers": ["a@corp.com"], "requestedBy": "dave"}),
            "requestedBy must be an email address, a user principal name or an Entra object id",
        ),
    ];
    for (extra, expected) in cases {
        let (refused, emailed) = ask_in_teams(teams_input(extra.clone())).await;
        let err = refused.unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{extra}");
        assert!(err.to_string().contains(expected), "{extra}: {err}");
        assert_eq!(emailed, 0, "{extra}");
    }
}

#[test]
fn with_the_bot_the_requester_may_be_an_object_id() {
    let input: TeamsRequestActionInput = approvals::input::from_json(teams_input(json!({
        "conversationId": "19:ops@thread.tacv2",
        "approvers": ["alice@corp.com", "bob@corp.com"],
        "quorum": {"approvals": "all"},
        "requestedBy": DAVE_OID
    })))
    .unwrap();
    let request = input.validate().unwrap();
    assert_eq!(
        request.team.requested_by.as_deref(),
        Some(DAVE_OID.to_ascii_lowercase().as_str())
    );
}
