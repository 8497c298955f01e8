//! The schemas and the code agree on what an input is: each case runs through the function's
//! generated input schema (a JSON Schema validator) and through the code (the strict parser,
//! then the function's use case on test doubles: refused means `Hitl.InvalidInput`, or a Teams
//! card refused before it is sent), and both must give the verdict the case expects. The
//! fields read by hand from a JSON value are in `hand_read.rs`.

mod common;

use common::{check, TOKEN};
use serde_json::{json, Value};

/// One valid input per function, and the same with one unknown field: refused by both.
fn examples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "create_approval_links",
            json!({"title": "Stop db-1?", "description": "Idle 14 days", "expiresInSeconds": 3600, "approvers": ["alice@example.com"], "followUp": {"question": "Why?", "answer": "text", "after": ["reject"], "required": false}}),
        ),
        (
            "send_email",
            json!({"to": ["ops@example.com"], "cc": "lead@example.com", "subject": "Done", "text": "db-1 stopped", "senderName": "Cloud Ops"}),
        ),
        (
            "send_email",
            json!({"approval": {"approvalId": "a-1", "expiresAt": "2030-01-01T00:00:00Z", "title": "Stop db-1?", "approveUrl": "https://x/a?d=approve", "rejectUrl": "https://x/a?d=reject", "links": []}, "to": "owner@example.com", "message": "Please look"}),
        ),
        (
            "wait_for_approval",
            json!({"approvalId": "a-1", "taskToken": TOKEN}),
        ),
        (
            "slack_request_action",
            json!({"channel": "#ops", "text": "Stop db-1?", "header": "Approval", "buttons": [{"label": "Yes", "value": "approve", "style": "primary", "confirm": {"title": "Sure?", "text": "It stops", "confirm": "Stop", "deny": "Wait"}}, {"label": "Later", "value": "defer"}], "followUp": {"question": "When?", "after": ["defer"]}, "allowedUsers": ["U0ALICE"], "expiresInSeconds": 600, "taskToken": TOKEN, "requestKey": "exec-1/Ask"}),
        ),
        (
            "slack_send_message",
            json!({"user": "U0BOB", "text": "Hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}], "unfurlLinks": false}),
        ),
        (
            "slack_update_message",
            json!({"message": {"channel": "C1", "ts": "1700000000.000100", "approvalId": "slack-C1-1700000000.000100"}, "text": "Done"}),
        ),
        (
            "slack_wait_for_user_action",
            json!({"channel": "C1", "ts": "1700000000.000100", "taskToken": TOKEN}),
        ),
        (
            "jira_add_issue_comment",
            json!({"issueKey": "OPS-1", "comment": "Approved by Alice"}),
        ),
        (
            "jira_change_issue_status",
            json!({"issueKey": "OPS-1", "status": "Done", "comment": "Closed"}),
        ),
        (
            "teams_request_action",
            json!({"title": "Stop db-1?", "text": "Idle", "facts": [{"title": "Cost", "value": 12.5}, {"title": "Prod", "value": false}], "buttons": [{"label": "Stop", "value": "stop", "style": "positive"}, {"label": "Keep", "value": "keep"}], "followUp": {"question": "Why?", "after": ["keep"]}, "taskToken": TOKEN, "target": null}),
        ),
        (
            "teams_send_channel_message",
            json!({"text": "Done", "title": "db-1"}),
        ),
        (
            "teams_send_chat_message",
            json!({"card": {"type": "AdaptiveCard", "version": "1.4", "body": []}, "user": "alice@example.com"}),
        ),
    ]
}

#[tokio::test]
async fn a_valid_example_of_each_function_passes_both_and_one_unknown_field_fails_both() {
    let mut cases = Vec::new();
    for (function, input) in examples() {
        let mut typo = input.clone();
        typo["titel"] = json!("x");
        cases.push((function, input, true));
        cases.push((function, typo, false));
    }
    check(&cases).await;
}

#[tokio::test]
async fn nested_objects_refuse_unknown_fields_in_both() {
    check(&[
        ("create_approval_links", json!({"title": "t", "followUp": {"question": "Why?", "requird": false}}), false),
        ("slack_request_action", json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "buttons": [{"label": "a", "value": "a", "lable": "x"}]}), false),
        ("slack_request_action", json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "buttons": [{"label": "a", "value": "a", "confirm": {"titel": "x"}}]}), false),
        ("send_email", json!({"to": "a@b.co", "approval": {"approvalId": "a", "expiresAt": "x", "title": "t", "approveUrl": "u", "rejectUrl": "u", "extra": 1}}), false),
        ("slack_update_message", json!({"message": {"channel": "C1", "ts": "1.2", "tss": "x"}, "text": "t"}), false),
        ("teams_request_action", json!({"title": "t", "taskToken": TOKEN, "facts": [{"title": "a", "value": "b", "unit": "c"}]}), false),
        ("teams_request_action", json!({"title": "t", "taskToken": TOKEN, "buttons": [{"label": "a", "value": "a", "colour": "red"}]}), false),
    ])
    .await;
}

#[tokio::test]
async fn required_fields_ranges_and_lengths_agree() {
    check(&[
        ("create_approval_links", json!({}), false),
        ("create_approval_links", json!({"title": "   "}), false),
        ("create_approval_links", json!({"title": "a\nb"}), false),
        ("create_approval_links", json!({"title": "x".repeat(201)}), false),
        ("create_approval_links", json!({"title": "x".repeat(200)}), true),
        ("create_approval_links", json!({"title": "t", "expiresInSeconds": 4}), false),
        ("create_approval_links", json!({"title": "t", "expiresInSeconds": 2_592_001}), false),
        ("create_approval_links", json!({"title": "t", "expiresInSeconds": null, "description": null}), true),
        ("create_approval_links", json!({"title": "t", "followUp": {"question": "Why?", "answer": "date"}}), false),
        ("create_approval_links", json!({"title": "t", "followUp": {"answer": "text"}}), false),
        ("wait_for_approval", json!({"approvalId": "a-1"}), false),
        ("wait_for_approval", json!({"taskToken": TOKEN}), false),
        ("wait_for_approval", json!({"approvalId": "a-1", "taskToken": "x".repeat(8193)}), false),
        ("slack_request_action", json!({"channel": "C1", "taskToken": TOKEN}), false),
        ("slack_request_action", json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "buttons": []}), false),
        ("slack_request_action", json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "buttons": [{"label": "a", "value": "a", "style": "positive"}]}), false),
        ("slack_request_action", json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "buttons": [{"label": "a"}]}), false),
        ("slack_request_action", json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "allowedUsers": ["alice"]}), false),
        ("slack_send_message", json!({"channel": "C1", "blocks": [{"text": "no type"}]}), false),
        ("slack_send_message", json!({"channel": "C1", "blocks": []}), false),
        ("slack_wait_for_user_action", json!({"channel": "C1", "ts": "yesterday", "taskToken": TOKEN}), false),
        ("slack_wait_for_user_action", json!({"channel": "C1", "ts": "1.2", "taskToken": TOKEN, "actionIds": ["a"]}), false),
        ("slack_wait_for_user_action", json!({"channel": "C1", "ts": "1.2", "taskToken": TOKEN, "actionIds": null}), true),
        ("jira_add_issue_comment", json!({"issueKey": "ops-1", "comment": "c"}), false),
        ("jira_add_issue_comment", json!({"issueKey": "OPS-1", "body": {"type": "doc", "version": 1, "content": []}}), false),
        ("jira_add_issue_comment", json!({"issueKey": "OPS-1", "body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}]}}), true),
        ("jira_change_issue_status", json!({"status": "Done"}), false),
    ])
    .await;
}

/// `executionArn`: the schema's pattern and `approvals::input::execution_arn` take the same
/// Step Functions execution ARNs and refuse the same wrong paths (a task token, another ARN).
#[tokio::test]
async fn execution_arns_agree() {
    let n80 = "n".repeat(80);
    let arns = [
        ("arn:aws:states:eu-west-1:123456789012:execution:Approve:run-1".to_string(), true),
        ("arn:aws:states:us-east-1:123456789012:express:Approve:run-1:3f0c2e7a-1b2c-4d5e-8f90-0a1b2c3d4e5f".into(), true),
        ("arn:aws-cn:states:cn-north-1:123456789012:execution:Approve/map:child-1".into(), true),
        (format!("arn:aws:states:us-east-1:123456789012:execution:Fr\u{e9}d:{n80}"), true),
        (format!("arn:aws:states:us-east-1:123456789012:execution:Approve:{n80}n"), false),
        (TOKEN.to_string(), false),
        ("arn:aws:lambda:eu-west-1:123456789012:function:f".into(), false),
        ("arn:aws:states:eu-west-1:12345678901:execution:Approve:run-1".into(), false),
        ("arn:aws:states:eu-west-1:123456789012:execution:Approve:run 1".into(), false),
        ("arn:aws:states:eu-west-1:123456789012:execution:a/b/c:run-1".into(), false),
    ];
    let mut cases = Vec::new();
    for (arn, valid) in arns {
        cases.push((
            "create_approval_links",
            json!({"title": "t", "executionArn": arn}),
            valid,
        ));
        cases.push((
            "wait_for_approval",
            json!({"approvalId": "a-1", "taskToken": TOKEN, "executionArn": arn}),
            valid,
        ));
        cases.push((
            "slack_request_action",
            json!({"channel": "C1", "text": "t", "taskToken": TOKEN, "executionArn": arn}),
            valid,
        ));
    }
    check(&cases).await;
}

/// `quorum`, `requestedBy` and `reminders` on the three asking functions: what both take, and
/// what both refuse (a misspelled nested field, counts below one, a reminder interval below
/// the shortest, too many escalation targets, a requester not named as the channel names
/// people). What only the approvers decide (a count above them) is the code's alone.
#[tokio::test]
async fn team_fields_agree() {
    let rules = json!({
        "quorum": {"approvals": 2, "rejections": 1},
        "reminders": {"everySeconds": 86400, "escalateAfter": 3, "escalateTo": []}
    });
    let mut cases = Vec::new();
    for (function, mut base, requester, approvers) in [
        (
            "create_approval_links",
            json!({"title": "t"}),
            "dave@example.com",
            json!(["a@example.com", "b@example.com", "dave@example.com"]),
        ),
        (
            "slack_request_action",
            json!({"channel": "C1", "text": "t", "taskToken": TOKEN}),
            "U0DAVE",
            json!(["U0A", "U0B", "U0DAVE"]),
        ),
        (
            "teams_request_action",
            json!({"title": "t", "taskToken": TOKEN}),
            "dave@example.com",
            json!(["a@example.com", "b@example.com", "dave@example.com"]),
        ),
    ] {
        let field = if function == "slack_request_action" {
            "allowedUsers"
        } else {
            "approvers"
        };
        base[field] = approvers;
        let target = if function == "slack_request_action" {
            "U0LEAD"
        } else {
            "lead@example.com"
        };
        let with = |changes: Value| {
            let mut input = base.clone();
            input["requestedBy"] = json!(requester);
            input["quorum"] = rules["quorum"].clone();
            input["reminders"] = rules["reminders"].clone();
            input["reminders"]["escalateTo"] = json!([target]);
            for (key, value) in changes.as_object().unwrap() {
                match key.split_once('.') {
                    Some((outer, inner)) => input[outer][inner] = value.clone(),
                    None => input[key.as_str()] = value.clone(),
                }
            }
            input
        };
        cases.push((function, with(json!({})), true));
        cases.push((function, with(json!({"quorum.approvals": "all"})), true));
        cases.push((
            function,
            with(json!({"quorum": {"approvals": "first"}, "reminders": null})),
            true,
        ));
        cases.push((function, with(json!({"quorum.aprovals": 2})), false));
        cases.push((function, with(json!({"reminders.everySecond": 60})), false));
        cases.push((function, with(json!({"quorum.approvals": 0})), false));
        cases.push((function, with(json!({"quorum.approvals": "most"})), false));
        cases.push((function, with(json!({"quorum.rejections": 0})), false));
        cases.push((function, with(json!({"reminders.everySeconds": 4})), false));
        cases.push((
            function,
            with(json!({"reminders.escalateAfter": 21})),
            false,
        ));
        cases.push((
            function,
            with(json!({"reminders.escalateTo": vec![target; 11]})),
            false,
        ));
        cases.push((function, with(json!({"requestedBy": "dave"})), false));
    }
    check(&cases).await;
}
