//! Jira notifications on the local stack: the real functions against the Jira Cloud stand-in
//! (basic auth, ADF bodies, workflow transitions, 404/400/429 as Jira answers them).

use e2e_tests::*;
use serde_json::{json, Value};

/// The stand-in's rate-limit hook affects every call: these tests take turns.
static JIRA: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn issue(key: &str) -> Value {
    chat().await["jira"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("no issue {key}"))
}

#[tokio::test]
async fn comments_arrive_as_atlassian_document_format() {
    let _turn = JIRA.lock().await;
    let tag = unique("approved");
    let (error, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "OPS-1", "comment": format!("Approved by alice ({tag})\nStopping db-1.\n\nNext review Monday.")}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(out["issueKey"], "OPS-1");
    let id = out["commentId"].as_str().unwrap().to_string();
    let stored = issue("OPS-1").await["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .cloned()
        .unwrap();
    let body = &stored["body"];
    assert_eq!(body["type"], "doc");
    assert_eq!(body["version"], 1);
    assert_eq!(
        body["content"].as_array().unwrap().len(),
        2,
        "two paragraphs: {body}"
    );
    assert_eq!(body["content"][0]["content"][1]["type"], "hardBreak");

    // Raw ADF goes through as is.
    let adf = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": tag, "marks": [{"type": "strong"}]}]}]});
    let (error, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "OPS-1", "body": adf}),
    )
    .await;
    assert_eq!(error, None, "{out}");
}

#[tokio::test]
async fn status_changes_resolve_the_transition_by_status_or_name() {
    let _turn = JIRA.lock().await;
    let (error, out) = invoke(
        "JiraChangeIssueStatusFunction",
        &json!({"issueKey": "OPS-2", "status": "in progress"}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(out["transitionId"], "21");
    assert_eq!(out["status"], "In Progress");
    assert_eq!(issue("OPS-2").await["status"], "In Progress");

    let (error, out) = invoke(
        "JiraChangeIssueStatusFunction",
        &json!({"issueKey": "OPS-2", "transition": "Done", "comment": "Stopped after approval."}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(issue("OPS-2").await["status"], "Done");

    // Already there: nothing to do, and it says so.
    let (error, out) = invoke(
        "JiraChangeIssueStatusFunction",
        &json!({"issueKey": "OPS-2", "status": "Done"}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(out["changed"], false);

    // No way from Done to In Progress: a named error that lists what exists.
    let (_, out) = invoke(
        "JiraChangeIssueStatusFunction",
        &json!({"issueKey": "OPS-2", "status": "In Progress"}),
    )
    .await;
    assert_eq!(out["errorType"], "Jira.TransitionNotFound", "{out}");
    assert!(
        out["errorMessage"].as_str().unwrap().contains("Reopen"),
        "{out}"
    );
    // Put it back for the next run of the stack's seed.
    let (error, _) = invoke(
        "JiraChangeIssueStatusFunction",
        &json!({"issueKey": "OPS-2", "transition": "Reopen"}),
    )
    .await;
    assert_eq!(error, None);
}

#[tokio::test]
async fn jira_errors_are_named_and_429_is_retried() {
    let _turn = JIRA.lock().await;
    let (_, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "NOPE-404", "comment": "x"}),
    )
    .await;
    assert_eq!(out["errorType"], "Jira.IssueNotFound", "{out}");
    let (_, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "ops 1", "comment": "x"}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    let (_, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "OPS-3", "body": {"type": "paragraph"}}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    let (_, out) = invoke(
        "JiraChangeIssueStatusFunction",
        &json!({"issueKey": "OPS-3"}),
    )
    .await;
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");

    rate_limit("jira", 1, 1).await;
    let (error, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "OPS-3", "comment": "after a 429"}),
    )
    .await;
    assert_eq!(error, None, "one short 429 is waited out: {out}");

    rate_limit("jira", 3, 60).await;
    let (_, out) = invoke(
        "JiraAddIssueCommentFunction",
        &json!({"issueKey": "OPS-3", "comment": "later"}),
    )
    .await;
    assert_eq!(out["errorType"], "Jira.RateLimited", "{out}");
    rate_limit("jira", 0, 1).await;
}
