//! What the functions return validates against `<function>.output.json`: each output is made
//! by the real use case on test doubles (or, for the decision, from a recorded decision as the
//! Decision API sends it), serialized as the Lambda runtime does, and checked.

use std::path::Path;

use approvals::follow_up::{Answer, FollowUpAnswer};
use approvals::testing::FakeJira;
use approvals::testing::FakeSlack;
use approvals::testing::FakeTeams;
use approvals::testing::{FakeEmailSender, FakeStore};
use approvals::use_cases::LinkSettings;
use approvals::{
    Channel, ChosenAction, DecidedBy, Decision, DecisionOutput, LinkSigner, RecordedDecision,
    SlackUser,
};
use serde::Serialize;
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn validator(file: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(schemas::DIR)
        .join(file);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::validator_for(&closed(schema)).expect("the schema compiles")
}

/// The schema with no room for fields it does not name: an output schema stays open for fields
/// a later version adds, but here every field the code writes must be described.
fn closed(schema: Value) -> Value {
    match schema {
        Value::Object(mut object) => {
            if object.contains_key("properties") && !object.contains_key("additionalProperties") {
                object.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(object.into_iter().map(|(k, v)| (k, closed(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(closed).collect()),
        other => other,
    }
}

fn assert_fits(file: &str, output: &impl Serialize) {
    let validator = validator(file);
    let value = serde_json::to_value(output).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{file}: {value} does not fit: {errors:?}"
    );
}

fn read<T: serde::de::DeserializeOwned>(input: Value) -> T {
    approvals::input::from_json(input).unwrap()
}

#[tokio::test]
async fn links_and_emails_fit_their_schemas_and_links_are_send_emails_approval() {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://approvals.example.com",
        retention_days: 30,
        origin: Channel::Email,
    };
    let store = FakeStore::default();
    let sender = FakeEmailSender::default();
    for (id, input) in [
        ("a-1", json!({"title": "Stop db-1?"})),
        (
            "a-2",
            json!({"title": "Stop db-2?", "approvers": ["alice@example.com", "bob@example.com"]}),
        ),
    ] {
        let links = approvals::use_cases::create_approval_links(
            read(input),
            &settings,
            &store,
            id.into(),
            NOW,
        )
        .await
        .unwrap();
        assert_fits("create_approval_links.output.json", &links);
        // The workflow hands the output to Send Email as `approval`: its input schema takes it.
        // Personal links go to their approvers; shared ones to whom `to` names.
        let mut email = json!({ "approval": links });
        if links.links.is_empty() {
            email["to"] = json!("ops@example.com");
        }
        let validator = validator("send_email.input.json");
        assert!(validator.is_valid(&email), "send_email refuses {email}");
        let emails = channels::email::build_emails(read(email), "approvals@example.com").unwrap();
        let sent = approvals::use_cases::email::send_emails(&emails, &sender)
            .await
            .unwrap();
        assert_fits("send_email.output.json", &sent);
    }
}

#[tokio::test]
async fn chat_and_jira_outputs_fit_their_schemas() {
    let (store, slack) = (FakeStore::default(), FakeSlack::default());
    let plain: channels::slack::SendMessageInput = read(json!({"channel": "C1", "text": "Hello"}));
    let sent = approvals::use_cases::slack::send_message(
        plain.validate().unwrap(),
        &store,
        &slack,
        30,
        NOW,
    )
    .await
    .unwrap();
    assert_fits("slack_send_message.output.json", &sent);
    let buttons = json!({"channel": "C1", "text": "Pick", "blocks": [{"type": "actions", "elements": [{"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "go"}]}]});
    let buttons: channels::slack::SendMessageInput = read(buttons);
    let waitable = approvals::use_cases::slack::send_message(
        buttons.validate().unwrap(),
        &store,
        &slack,
        30,
        NOW,
    )
    .await
    .unwrap();
    assert!(waitable.approval_id.is_some());
    assert_fits("slack_send_message.output.json", &waitable);
    let update: channels::slack::UpdateMessageInput =
        read(json!({"message": waitable, "text": "Done"}));
    let (target, message) = update.validate().unwrap();
    let updated = approvals::use_cases::slack::update_message(target, message, &slack)
        .await
        .unwrap();
    assert_fits("slack_update_message.output.json", &updated);
    assert_fits(
        "slack_expiry_sweeper.output.json",
        &channels::slack::SweepReport::default(),
    );

    let teams = FakeTeams::default();
    let text: channels::teams::TeamsSendMessageInput = read(json!({"text": "Done"}));
    let (user, message) = text.validate_with_user().unwrap();
    let posted = approvals::use_cases::teams::send_message(user, message, &teams)
        .await
        .unwrap();
    assert_fits("teams_send_channel_message.output.json", &posted);
    assert_fits("teams_send_chat_message.output.json", &posted);

    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let comment: channels::jira::AddIssueCommentInput =
        read(json!({"issueKey": "OPS-1", "comment": "Approved"}));
    let added = approvals::use_cases::jira::add_issue_comment(comment.validate().unwrap(), &jira)
        .await
        .unwrap();
    assert_fits("jira_add_issue_comment.output.json", &added);
    for status in ["To Do", "Done"] {
        let change: channels::jira::ChangeIssueStatusInput =
            read(json!({"issueKey": "OPS-1", "status": status, "comment": "Moved"}));
        let changed =
            approvals::use_cases::jira::change_issue_status(change.validate().unwrap(), &jira)
                .await
                .unwrap();
        assert_fits("jira_change_issue_status.output.json", &changed);
    }
}

fn decision(decided_by: DecidedBy, decision: Decision) -> RecordedDecision {
    RecordedDecision {
        decision,
        decided_by,
        decided_at: NOW,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    }
}

/// The decision, as every `.waitForTaskToken` Task gets it: a shared link (not verified), a
/// personal link with a comment, a Slack click on a custom button with a numeric follow-up
/// answer, and an optional question left empty.
#[test]
fn every_kind_of_decision_fits_the_waiting_tasks_output_schema() {
    let who = |id: &str, channel| DecidedBy {
        id: id.into(),
        name: "Dana".into(),
        channel,
    };
    let shared = decision(who("link", Channel::Teams), Decision::Approve);
    let mut personal = decision(who("alice@example.com", Channel::Email), Decision::Reject);
    personal.comment = Some("Not now".into());
    let mut click = decision(
        who("U0ALICE", Channel::Slack),
        Decision::Custom("scale-50".into()),
    );
    click.slack_user = Some(SlackUser {
        id: "U0ALICE".into(),
        username: "alice".into(),
        team_id: Some("T1".into()),
    });
    click.action = Some(ChosenAction {
        action_id: "hitl_button_2".into(),
        kind: "button".into(),
        selected: vec!["scale-50".into()],
    });
    click.follow_up = Some(FollowUpAnswer {
        question: "How many?".into(),
        answer: Some(Answer::Number(3.into())),
    });
    let mut empty = decision(who("bob@example.com", Channel::Email), Decision::Approve);
    empty.follow_up = Some(FollowUpAnswer {
        question: "Why?".into(),
        answer: None,
    });
    for recorded in [shared, personal, click, empty] {
        let output = DecisionOutput::from_recorded("a-1", &recorded);
        assert_fits_every_waiting_task(&output);
    }
}

/// A request with a quorum: the decision with its votes (an escalation target's among them,
/// one with a comment and a follow-up answer) and its tally.
#[test]
fn a_quorum_decision_fits_the_waiting_tasks_output_schema() {
    use approvals::quorum::{Quorum, Vote};
    let who = |id: &str| DecidedBy {
        id: id.into(),
        name: id.into(),
        channel: Channel::Email,
    };
    let mut record =
        approvals::ApprovalRecord::new("a-1", "t".into(), Channel::Email, NOW, NOW + 60, 1);
    record.approvers = vec![
        "alice@example.com".into(),
        "bob@example.com".into(),
        "carol@example.com".into(),
    ];
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    let mut alice = decision(who("alice@example.com"), Decision::Approve);
    alice.comment = Some("Fine".into());
    alice.follow_up = Some(FollowUpAnswer {
        question: "Why?".into(),
        answer: Some(Answer::Text("idle".into())),
    });
    let lead = decision(who("lead@example.com"), Decision::Approve);
    record.votes = vec![
        Vote {
            slot: "alice@example.com".into(),
            decision: alice,
        },
        Vote {
            slot: "bob@example.com".into(),
            decision: lead.clone(),
        },
    ];
    record.decision = Some(lead.clone());
    let output = DecisionOutput::from_record(&record, &lead);
    assert_eq!(output.votes.as_ref().map(Vec::len), Some(2));
    assert_fits_every_waiting_task(&output);
}

fn assert_fits_every_waiting_task(output: &DecisionOutput) {
    {
        for function in [
            "wait_for_approval",
            "slack_request_action",
            "slack_wait_for_user_action",
            "teams_request_action",
        ] {
            assert_fits(&format!("{function}.output.json"), output);
        }
    }
}
