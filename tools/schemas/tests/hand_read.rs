//! The fields the code reads by hand from a JSON value (Teams `facts`, `buttons`, `approvers`,
//! `user`, `target`; Adaptive Cards; email addresses), case by case: no type ties their
//! schema to their parser, so both must give each case the verdict it expects.

mod common;

use common::{check, code_verdict, schema_verdict, TOKEN};
use serde_json::{json, Value};

/// The fields the code reads by hand from a JSON value, shape by shape.
#[tokio::test]
async fn hand_read_fields_agree() {
    let ask = |extra: Value| {
        let mut input = json!({"title": "Stop db-1?", "taskToken": TOKEN});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    check(&[
        ("teams_request_action", ask(json!({"facts": null})), true),
        (
            "teams_request_action",
            ask(json!({"facts": {"title": "a", "value": "b"}})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"facts": [{"title": "a"}]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"facts": [{"title": " ", "value": "b"}]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"facts": [{"title": "a", "value": ["b"]}]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"facts": [{"title": "a", "value": "x".repeat(2001)}]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"facts": vec![json!({"title": "a", "value": 1}); 21]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"buttons": [{"label": "Go", "value": "go now"}]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"buttons": [{"label": "Go", "value": "go", "style": "fancy"}]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"buttons": [{"label": "Go", "value": "go", "style": "destructive"}]})),
            true,
        ),
        (
            "teams_request_action",
            ask(json!({"buttons": "approve"})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"approvers": ["Alice@Example.com", "bob@example.org"]})),
            true,
        ),
        (
            "teams_request_action",
            ask(json!({"approvers": "alice@example.com"})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"approvers": ["alice"]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"approvers": [3]})),
            false,
        ),
        (
            "teams_request_action",
            ask(json!({"user": "alice@example.com"})),
            true,
        ),
        (
            "teams_request_action",
            ask(json!({"user": ["alice@example.com"]})),
            false,
        ),
        ("teams_request_action", ask(json!({"user": "alice"})), false),
        (
            "teams_request_action",
            ask(json!({"target": {"channelId": "x"}})),
            false,
        ),
        (
            "teams_send_channel_message",
            json!({"card": {"type": "MessageCard"}}),
            false,
        ),
        (
            "teams_send_channel_message",
            json!({"card": {"type": "AdaptiveCard", "version": "1.5"}}),
            false,
        ),
        (
            "teams_send_channel_message",
            json!({"card": {"type": "AdaptiveCard", "version": "1.2"}}),
            true,
        ),
        (
            "teams_send_channel_message",
            json!({"card": "hello"}),
            false,
        ),
        (
            "teams_send_channel_message",
            json!({"text": "t", "target": "19:abc"}),
            false,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["a@b.co"]}),
            true,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["a@b"]}),
            false,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["a@.b.co"]}),
            false,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["a@b.co."]}),
            false,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["a b@c.co"]}),
            false,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["@b.co"]}),
            false,
        ),
        (
            "create_approval_links",
            json!({"title": "t", "approvers": ["a@b@c.co"]}),
            false,
        ),
    ])
    .await;
}

/// What the schemas leave to the function, on purpose: rules that tie two fields together.
/// The schema accepts these and the code refuses them with a named `Hitl.InvalidInput`; when a
/// schema learns one of them, move the case to the tests above.
#[tokio::test]
async fn rules_between_fields_are_left_to_the_function() {
    let cases = [
        (
            "teams_send_channel_message",
            json!({"text": "t", "card": {"type": "AdaptiveCard"}}),
        ),
        ("teams_send_channel_message", json!({})),
        (
            "teams_request_action",
            json!({"title": "t", "taskToken": TOKEN, "user": "a@b.co", "approvers": ["c@d.co"]}),
        ),
        ("slack_send_message", json!({"channel": "C1"})),
        (
            "jira_change_issue_status",
            json!({"issueKey": "OPS-1", "status": "Done", "transition": "Close"}),
        ),
        ("jira_add_issue_comment", json!({"issueKey": "OPS-1"})),
    ];
    for (function, input) in cases {
        assert!(
            schema_verdict(function, &input).is_ok(),
            "{function} {input}: the schema refuses it now; move it"
        );
        assert!(
            code_verdict(function, &input).await.is_err(),
            "{function} {input}: the code accepts it"
        );
    }
}
