//! Property tests of the Step Functions task inputs: whatever JSON a state machine passes
//! (our field names with values of any type and content, nested anyhow), each Task's contract
//! either refuses it with a named error or runs; it never panics.

use approvals::testing::FakeSlack;
use approvals::testing::FakeTeams;
use approvals::testing::{FakeEmailSender, FakeJira};
use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::jira::{add_issue_comment, change_issue_status};
use approvals::use_cases::teams::{self, ApproverMail, TeamsChat};
use approvals::use_cases::{create_approval_links, wait_for_approval, LinkSettings, WaitInput};
use approvals::{Channel, CreateLinksInput, HitlError, LinkSigner};
use channels::email::{build_emails, SendEmailInput};
use channels::jira::{AddIssueCommentInput, ChangeIssueStatusInput};
use channels::slack::{
    wait_target, RequestActionInput, SendMessageInput, UpdateMessageInput, WaitForUserActionInput,
};
use channels::teams::{AdaptiveCards, TeamsRequestActionInput, TeamsSendMessageInput};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

mod slack_common;
use slack_common::{request_action, send_message, update_message};

const NOW: i64 = 1_800_000_000;

/// Every field name a Task reads, so generated inputs reach the checks behind them.
const FIELDS: &[&str] = &[
    "title",
    "description",
    "expiresInSeconds",
    "approvers",
    "channel",
    "user",
    "header",
    "text",
    "buttons",
    "label",
    "value",
    "style",
    "confirm",
    "allowedUsers",
    "taskToken",
    "requestKey",
    "blocks",
    "type",
    "threadTs",
    "ts",
    "message",
    "approvalId",
    "to",
    "subject",
    "approval",
    "approveUrl",
    "rejectUrl",
    "expiresAt",
    "links",
    "approver",
    "html",
    "issueKey",
    "comment",
    "body",
    "status",
    "transition",
    "content",
    "version",
    "facts",
    "card",
    "target",
    "actions",
    "url",
];

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,12}",
        Just("a@example.com".to_string()),
        Just("U0ALICE".to_string()),
        Just("C0APPROVALS".to_string()),
        Just("1700000000.000100".to_string()),
        Just("OPS-1".to_string()),
        Just("doc".to_string()),
        Just("Stop\u{1b}[2J db\r\n-1".to_string()),
        "[a-z]{1,3}".prop_map(|s| s.repeat(1500)),
    ]
    .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(0i64),
            Just(60),
            Just(-1)
        ]
        .prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(FIELDS).prop_map(str::to_string),
            text()
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A Task input: an object of our field names (and others) with values of any shape.
fn task_input() -> BoxedStrategy<Value> {
    let key = prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => text(),
    ];
    proptest::collection::btree_map(key, json_value(), 0..10)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

fn parsed<T: DeserializeOwned>(input: &Value) -> Option<T> {
    serde_json::from_value(input.clone()).ok()
}

/// Runs every Task's contract on `input`; an error must be a named one.
async fn every_task(input: &Value) -> Vec<Result<(), HitlError>> {
    let (store, resumer, slack) = (
        FakeStore::default(),
        FakeResumer::default(),
        FakeSlack::default(),
    );
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let settings = LinkSettings {
        signer: &signer,
        base_url: "https://h",
        retention_days: 1,
        origin: Channel::Email,
    };
    let mut results = Vec::new();
    if let Some(i) = parsed::<CreateLinksInput>(input) {
        let out = create_approval_links(i, &settings, &store, "appr-1".into(), NOW).await;
        results.push(out.map(drop));
    }
    if let Some(i) = parsed::<SendEmailInput>(input) {
        results.push(build_emails(i, "from@example.com").map(drop));
    }
    if let Some(i) = parsed::<WaitInput>(input) {
        results.push(wait_for_approval(i, &store, &resumer, NOW).await.map(drop));
    }
    if let Some(i) = parsed::<RequestActionInput>(input) {
        let out = request_action(i, &store, &slack, "req-1".into(), 1, NOW).await;
        results.push(out.map(drop));
    }
    if let Some(i) = parsed::<SendMessageInput>(input) {
        results.push(send_message(i, &store, &slack, 1, NOW).await.map(drop));
    }
    if let Some(i) = parsed::<UpdateMessageInput>(input) {
        results.push(update_message(i, &slack).await.map(drop));
    }
    if let Some(i) = parsed::<WaitForUserActionInput>(input) {
        results.push(wait_target(i).map(drop));
    }
    if let Some(i) = parsed::<AddIssueCommentInput>(input) {
        let run = async { add_issue_comment(i.validate()?, &jira).await };
        results.push(run.await.map(drop));
    }
    if let Some(i) = parsed::<ChangeIssueStatusInput>(input) {
        let run = async { change_issue_status(i.validate()?, &jira).await };
        results.push(run.await.map(drop));
    }
    let (teams, sender) = (FakeTeams::default(), FakeEmailSender::default());
    if let Some(i) = parsed::<TeamsRequestActionInput>(input) {
        let mail = ApproverMail {
            sender: &sender,
            from: "from@example.com",
        };
        let chat = TeamsChat {
            messenger: &teams,
            format: &AdaptiveCards,
        };
        let out = async {
            let request = i.validate()?;
            teams::request_action(request, &settings, &store, chat, &mail, "t-1".into(), NOW).await
        };
        results.push(out.await.map(drop));
    }
    if let Some(i) = parsed::<TeamsSendMessageInput>(input) {
        let out = async {
            let (user, message) = i.validate_with_user()?;
            teams::send_message(user, message, &teams).await
        };
        results.push(out.await.map(drop));
    }
    results
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_task_input_makes_a_task_panic(input in task_input()) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        for result in rt.block_on(every_task(&input)) {
            if let Err(err) = result {
                prop_assert!(!err.name().is_empty() && !err.to_string().is_empty());
            }
        }
    }

    #[test]
    fn titles_and_headers_with_control_characters_are_refused(
        before in "[a-z ]{0,10}",
        control in prop::char::range('\u{0}', '\u{1f}').prop_union(prop::char::range('\u{7f}', '\u{9f}')),
        after in "[a-z]{1,10}",
    ) {
        let title = format!("x{before}{control}{after}");
        let input = json!({"channel": "C1", "header": title, "text": "t", "taskToken": "tok"});
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (store, fakes) = (FakeStore::default(), FakeSlack::default());
        let out = rt.block_on(request_action(parsed(&input).unwrap(), &store, &fakes, "r".into(), 1, NOW));
        let err = out.unwrap_err();
        prop_assert_eq!(err.name(), "Hitl.InvalidInput");
        prop_assert!(err.to_string().contains("header must be one line"), "{}", err);
    }
}
