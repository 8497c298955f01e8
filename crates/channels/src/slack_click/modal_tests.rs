use super::*;
use approvals::{Channel, FollowUpInput};

fn question(kind: &str, required: bool) -> FollowUp {
    FollowUpInput {
        question: Some("How many replicas?".into()),
        answer: Some(kind.into()),
        after: None,
        required: Some(required),
    }
    .validate(&["approve", "reject"])
    .unwrap()
}

fn click_payload(value: &str) -> BlockActions {
    serde_json::from_value(json!({
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T1"},
        "container": {"channel_id": "C1", "message_ts": "1.000001"},
        "trigger_id": "111.222.abc",
        "actions": [{"type": "button", "block_id": "hitl:a-1", "action_id": "hitl_button_1", "value": value}]
    }))
    .unwrap()
}

fn a_click(value: &str) -> Click {
    super::super::payload::parse_click(click_payload(value), 5).unwrap()
}

fn record() -> ApprovalRecord {
    ApprovalRecord::new("a-1", "Scale <down>?".into(), Channel::Slack, 0, 99, 1)
}

#[test]
fn the_modal_asks_with_the_element_of_the_answer_kind() {
    let click = a_click("reject");
    assert_eq!(click.trigger_id.as_deref(), Some("111.222.abc"));
    for (kind, element) in [
        ("text", "plain_text_input"),
        ("email", "email_text_input"),
        ("number", "number_input"),
    ] {
        let view = follow_up_view(&record(), &question(kind, true), &click);
        assert_eq!(view["type"], "modal");
        assert_eq!(view["callback_id"], CALLBACK_ID);
        assert!(view["title"]["text"].as_str().unwrap().chars().count() <= 24);
        let input = &view["blocks"][1];
        assert_eq!(input["type"], "input");
        assert_eq!(input["block_id"], ANSWER_BLOCK_ID);
        assert_eq!(input["label"]["text"], "How many replicas?");
        assert_eq!(input["optional"], false);
        assert_eq!(input["element"]["type"], element);
        assert_eq!(input["element"]["action_id"], ANSWER_ACTION_ID);
    }
    let optional = follow_up_view(&record(), &question("number", false), &click);
    assert_eq!(optional["blocks"][1]["optional"], true);
    assert_eq!(optional["blocks"][1]["element"]["is_decimal_allowed"], true);
    let context = optional["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(
        context.contains("Scale &lt;down&gt;?"),
        "escaped: {context}"
    );
    let metadata: Value =
        serde_json::from_str(optional["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(
        metadata,
        json!({"a": "a-1", "c": "C1", "t": "1.000001", "i": "hitl_button_1", "v": "reject"})
    );
}

/// The `view_submission` Slack sends back for `view` with `answer` typed in.
fn submission(view: &Value, answer: Option<&str>) -> BlockActions {
    let value = answer.map_or(Value::Null, |a| json!(a));
    serde_json::from_value(json!({
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U0BOB", "username": "bob", "name": "bob", "team_id": "T1"},
        "view": {
            "id": "V1", "callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
            "state": {"values": {ANSWER_BLOCK_ID: {ANSWER_ACTION_ID: {"type": "number_input", "value": value}}}}
        }
    }))
    .unwrap()
}

#[test]
fn a_submission_continues_the_click_as_the_submitter() {
    let view = follow_up_view(&record(), &question("number", true), &a_click("reject"));
    let parsed = parse_submission(submission(&view, Some(" 3 ")), 9).unwrap();
    assert_eq!(parsed.answer.as_deref(), Some(" 3 "));
    let click = parsed.click;
    assert_eq!(click.approval_id, "a-1");
    assert_eq!(
        click.message,
        MessageRef {
            channel: "C1".into(),
            ts: "1.000001".into()
        }
    );
    assert_eq!(click.user_id, "U0BOB");
    assert_eq!(click.teams, ["T1", "T1"]);
    assert_eq!(click.decision.decision.as_str(), "reject");
    assert_eq!(click.decision.decided_at, 9);
    assert_eq!(click.decision.action.unwrap().selected, ["reject"]);
    assert_eq!(
        parse_submission(submission(&view, None), 9).unwrap().answer,
        None
    );

    // Another view, another payload type: not ours.
    let mut other = view.clone();
    other["callback_id"] = json!("someone_else");
    assert!(parse_submission(submission(&other, Some("3")), 9).is_none());
    let mut closed = submission(&view, Some("3"));
    closed.kind = "view_closed".into();
    assert!(parse_submission(closed, 9).is_none());
}

#[test]
fn a_refused_answer_is_shown_under_the_field() {
    assert_eq!(
        answer_errors("Not a number."),
        json!({"response_action": "errors", "errors": {"hitl_answer": "Not a number."}})
    );
}
