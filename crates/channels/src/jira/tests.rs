//! The Jira inputs' checks and ADF, and the use cases they feed
//! ([`approvals::use_cases::jira`]) over the in-memory tracker.

use super::*;
use approvals::testing::FakeJira;
use serde_json::json;

/// Add Issue Comment as its function runs it: the input checked here, then the use case.
async fn add_issue_comment(
    input: AddIssueCommentInput,
    jira: &FakeJira,
) -> Result<AddIssueCommentOutput, HitlError> {
    approvals::use_cases::jira::add_issue_comment(input.validate()?, jira).await
}

/// Change Issue Status as its function runs it.
async fn change_issue_status(
    input: ChangeIssueStatusInput,
    jira: &FakeJira,
) -> Result<ChangeIssueStatusOutput, HitlError> {
    approvals::use_cases::jira::change_issue_status(input.validate()?, jira).await
}

fn comment_input(v: Value) -> AddIssueCommentInput {
    serde_json::from_value(v).unwrap()
}

fn status_input(v: Value) -> ChangeIssueStatusInput {
    serde_json::from_value(v).unwrap()
}

/// Both inputs refuse a field they do not know, with the name meant; an ADF `body` is the
/// user's own document and passes through whatever it holds.
#[test]
fn unknown_fields_are_refused_with_the_name_meant() {
    let read = |input: Value| approvals::input::from_json::<AddIssueCommentInput>(input);
    let err = read(json!({"issueKey": "OPS-1", "coment": "Approved."})).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string()
            .starts_with("unknown field `coment`; did you mean `comment`?"),
        "{err}"
    );
    let adf = json!({"type": "doc", "version": 1, "anyField": {"attrs": {"x": 1}}});
    assert!(read(json!({"issueKey": "OPS-1", "body": adf})).is_ok());
    let err = approvals::input::from_json::<ChangeIssueStatusInput>(
        json!({"issueKey": "OPS-1", "satus": "Done"}),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unknown field `satus`; did you mean `status`?"),
        "{err}"
    );
}

#[test]
fn issue_keys_follow_jiras_pattern() {
    for good in ["OPS-1", "AB-123", "A1_B-9", "OPS2-10"] {
        assert!(is_issue_key(good), "{good}");
    }
    for bad in [
        "ops-1", "O-1", "1OPS-1", "OPS-", "OPS1", "OPS-1a", "OPS-1-2", "OP S-1", "",
    ] {
        assert!(!is_issue_key(bad), "{bad}");
    }
}

#[test]
fn plain_text_becomes_paragraphs_with_hard_breaks() {
    let adf =
        text_to_adf("Approved by ana@example.com\nat 10:00\r\n\r\n  \nSee https://x.test/a\n");
    assert_eq!(
        adf,
        json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Approved by ana@example.com"},
                {"type": "hardBreak"},
                {"type": "text", "text": "at 10:00"}
            ]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "See https://x.test/a"}
            ]}
        ]})
    );
}

#[tokio::test]
async fn a_plain_text_comment_is_posted_as_adf() {
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let out = add_issue_comment(
        comment_input(json!({"issueKey": " OPS-1 ", "comment": "Approved."})),
        &jira,
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        AddIssueCommentOutput {
            issue_key: "OPS-1".into(),
            comment_id: "10001".into()
        }
    );
    assert_eq!(jira.comments_of("OPS-1"), vec![text_to_adf("Approved.")]);
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"issueKey": "OPS-1", "commentId": "10001"})
    );
}

#[tokio::test]
async fn a_raw_adf_body_is_posted_as_is() {
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let body = json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "bold", "marks": [{"type": "strong"}]}]}
    ]});
    add_issue_comment(
        comment_input(json!({"issueKey": "OPS-1", "body": body.clone()})),
        &jira,
    )
    .await
    .unwrap();
    assert_eq!(jira.comments_of("OPS-1"), vec![body]);
}

#[tokio::test]
async fn bad_comment_input_names_the_field() {
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let cases = [
        (json!({"comment": "x"}), "issueKey is required"),
        (
            json!({"issueKey": "ops-1", "comment": "x"}),
            "issueKey \"ops-1\"",
        ),
        (json!({"issueKey": "OPS-1"}), "comment (plain text) or body"),
        (
            json!({"issueKey": "OPS-1", "comment": "x", "body": text_to_adf("x")}),
            "not both",
        ),
        (
            json!({"issueKey": "OPS-1", "comment": " \n "}),
            "comment must not be empty",
        ),
        (
            json!({"issueKey": "OPS-1", "body": {"type": "paragraph", "content": []}}),
            "body must be an Atlassian Document Format document",
        ),
        (
            json!({"issueKey": "OPS-1", "body": {"type": "doc", "version": 2, "content": []}}),
            "body must be an Atlassian Document Format document",
        ),
        (
            json!({"issueKey": "OPS-1", "body": {"type": "doc", "version": 1, "content": []}}),
            "body is an empty ADF document",
        ),
        (
            json!({"issueKey": "OPS-1", "comment": "x".repeat(MAX_COMMENT_CHARS + 1)}),
            "at most 32767",
        ),
    ];
    for (input, expected) in cases {
        let err = add_issue_comment(comment_input(input.clone()), &jira)
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{input}");
        assert!(err.to_string().contains(expected), "{input}: {err}");
    }
    assert!(jira.comments_of("OPS-1").is_empty());
}

#[tokio::test]
async fn a_status_is_reached_through_the_transition_leading_there() {
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let out = change_issue_status(
        status_input(json!({"issueKey": "OPS-1", "status": "in progress"})),
        &jira,
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"issueKey": "OPS-1", "transitionId": "21", "transitionName": "Start Progress",
               "status": "In Progress", "changed": true})
    );
    assert_eq!(jira.status_of("OPS-1"), "In Progress");
}

#[tokio::test]
async fn a_transition_is_found_by_its_name_and_can_carry_a_comment() {
    let jira = FakeJira::new(&[("OPS-1", "In Progress")]);
    let out = change_issue_status(
        status_input(json!({"issueKey": "OPS-1", "transition": "REOPEN", "comment": "Rejected."})),
        &jira,
    )
    .await
    .unwrap();
    assert_eq!(out.transition_id.as_deref(), Some("41"));
    assert_eq!(out.status, "To Do");
    assert_eq!(out.comment_id.as_deref(), Some("10001"));
    assert_eq!(jira.comments_of("OPS-1"), vec![text_to_adf("Rejected.")]);
}

#[tokio::test]
async fn the_status_the_issue_already_has_is_a_success_without_a_transition() {
    let jira = FakeJira::new(&[("OPS-1", "Done")]);
    let out = change_issue_status(
        status_input(json!({"issueKey": "OPS-1", "status": "DONE", "comment": "Approved."})),
        &jira,
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        json!({"issueKey": "OPS-1", "transitionId": null, "transitionName": null,
               "status": "Done", "changed": false, "commentId": "10001"})
    );
    assert!(jira.taken.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_transition_is_a_named_error_listing_what_exists() {
    let jira = FakeJira::new(&[("OPS-1", "Done"), ("OPS-2", "To Do")]);
    let err = change_issue_status(
        status_input(json!({"issueKey": "OPS-1", "status": "In Progress"})),
        &jira,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Jira.TransitionNotFound");
    assert_eq!(
        err.to_string(),
        "Jira.TransitionNotFound: OPS-1 has no transition to \"In Progress\" from \"Done\"; \
         available: Reopen (-> To Do)"
    );
    let err = change_issue_status(
        status_input(json!({"issueKey": "OPS-2", "transition": "Close"})),
        &jira,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Jira.TransitionNotFound");
    assert!(
        err.to_string().ends_with(
            "OPS-2 has no transition named \"Close\"; available: Start Progress (-> In Progress), Done (-> Done)"
        ),
        "{err}"
    );
    assert_eq!(jira.status_of("OPS-2"), "To Do");
}

#[tokio::test]
async fn tracker_errors_pass_through() {
    let jira = FakeJira::new(&[]);
    let err = change_issue_status(
        status_input(json!({"issueKey": "OPS-9", "status": "Done"})),
        &jira,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "Jira.IssueNotFound");
}

#[tokio::test]
async fn bad_status_input_names_the_field() {
    let jira = FakeJira::new(&[("OPS-1", "To Do")]);
    let cases = [
        (json!({"status": "Done"}), "issueKey is required"),
        (
            json!({"issueKey": "OPS-1"}),
            "status (the target status name) or transition",
        ),
        (
            json!({"issueKey": "OPS-1", "status": " "}),
            "status (the target status name) or transition",
        ),
        (
            json!({"issueKey": "OPS-1", "status": "Done", "transition": "Done"}),
            "not both",
        ),
        (
            json!({"issueKey": "OPS 1", "status": "Done"}),
            "issueKey \"OPS 1\"",
        ),
    ];
    for (input, expected) in cases {
        let err = change_issue_status(status_input(input.clone()), &jira)
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{input}");
        assert!(err.to_string().contains(expected), "{input}: {err}");
    }
    assert_eq!(jira.status_of("OPS-1"), "To Do");
}
