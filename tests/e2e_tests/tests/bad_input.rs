//! Every function rejects bad input with a named error a state machine can Catch, and the
//! Decision API answers odd requests with a page, never a 500.

use e2e_tests::*;
use serde_json::json;

async fn assert_named_error(function: &str, payload: serde_json::Value, name: &str, needle: &str) {
    let (error, body) = invoke(function, &payload).await;
    assert_eq!(
        error.as_deref(),
        Some("Unhandled"),
        "{function} accepted {payload}: {body}"
    );
    assert_eq!(body["errorType"], name, "{function} {payload}: {body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "{function} {payload}: {message:?} lacks {needle:?}"
    );
}

#[tokio::test]
async fn create_approval_links_names_what_is_wrong() {
    let f = "CreateApprovalLinksFunction";
    assert_named_error(f, json!({}), "Hitl.InvalidInput", "title is required").await;
    assert_named_error(f, json!("a string"), "Hitl.InvalidInput", "JSON object").await;
    assert_named_error(
        f,
        json!({"title": "t", "expiresInSeconds": 1}),
        "Hitl.InvalidInput",
        "expiresInSeconds",
    )
    .await;
    assert_named_error(
        f,
        json!({"title": "t", "approvers": ["bob"]}),
        "Hitl.InvalidInput",
        "\"bob\" is not an email",
    )
    .await;
    assert_named_error(f, json!({"title": 42}), "Hitl.InvalidInput", "invalid type").await;
}

/// A typo never changes what is asked: `aprovers` (which would have made the links shared) fails
/// the Task with `Hitl.InvalidInput` and the name meant, invoked directly and as a workflow's
/// Task, whose Catch sees the same error and message.
#[tokio::test]
async fn a_misspelled_field_fails_the_task_with_the_name_meant() {
    let f = "CreateApprovalLinksFunction";
    let meant = "unknown field `aprovers`; did you mean `approvers`?";
    let title = unique("typo");
    let typo = json!({"title": title, "aprovers": ["a@corp.com"]});
    assert_named_error(f, typo.clone(), "Hitl.InvalidInput", meant).await;
    let nested = json!({"title": title, "followUp": {"question": "Why?", "answer": "text", "requird": true}});
    let nested_meant = "unknown field `followUp.requird`; did you mean `required`?";
    assert_named_error(f, nested, "Hitl.InvalidInput", nested_meant).await;

    let definition = json!({"StartAt": "Create", "States": {
        "Create": {"Type": "Task", "Resource": function_arn(f), "Parameters": typo,
            "Catch": [{"ErrorEquals": ["Hitl.InvalidInput"], "ResultPath": "$.failure", "Next": "Refused"}],
            "End": true},
        "Refused": {"Type": "Pass", "End": true}}});
    let arn = start_workflow("e2e-typo", &definition, &json!({})).await;
    let end = wait_for_end(&arn, std::time::Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    let failure = &end.output["failure"];
    assert_eq!(failure["Error"], "Hitl.InvalidInput", "{failure}");
    let cause = failure["Cause"].as_str().unwrap_or_default();
    assert!(cause.contains(meant), "{cause}");
}

/// A typo in the execution input of our own email state machine (`aprovers`, which its ASL
/// would have merged with the defaults and dropped, sending shared links) fails the execution
/// with `Hitl.InvalidInput` naming the field meant, before any email is sent.
#[tokio::test]
async fn a_misspelled_execution_input_field_fails_the_email_state_machine() {
    let title = unique("exec-typo");
    let input = json!({"title": title, "to": ["owner@example.com"], "aprovers": ["a@corp.com"]});
    let arn = start_execution("EmailApprovalStateMachine", input).await;
    let end = wait_for_end(&arn, std::time::Duration::from_secs(60)).await;
    assert_eq!(end.status, "FAILED", "{end:?}");
    assert_eq!(end.error.as_deref(), Some("Hitl.InvalidInput"), "{end:?}");
    let described = sfn()
        .await
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    let cause = described.cause().unwrap_or_default();
    let meant = "unknown field `aprovers` in the execution input; did you mean `approvers`?";
    assert!(cause.contains(meant), "{cause}");
    let emails = local_api("/_local/api/emails").await;
    let sent = emails.as_array().unwrap().iter();
    let ours = sent.filter(|e| e["subject"].as_str().unwrap_or_default().contains(&title));
    assert_eq!(ours.count(), 0, "nothing is sent for a refused input");
}

#[tokio::test]
async fn wait_for_approval_names_what_is_wrong() {
    let f = "WaitForApprovalFunction";
    assert_named_error(
        f,
        json!({"approvalId": "x"}),
        "Hitl.InvalidInput",
        "taskToken",
    )
    .await;
    assert_named_error(
        f,
        json!({"taskToken": "t"}),
        "Hitl.InvalidInput",
        "approvalId",
    )
    .await;
    assert_named_error(
        f,
        json!({"approvalId": "does-not-exist", "taskToken": "t"}),
        "Hitl.NotFound",
        "does-not-exist",
    )
    .await;
}

#[tokio::test]
async fn send_email_names_what_is_wrong() {
    let f = "SendEmailFunction";
    assert_named_error(
        f,
        json!({"subject": "s", "text": "t"}),
        "Hitl.InvalidInput",
        "to is required",
    )
    .await;
    assert_named_error(
        f,
        json!({"to": "x@example.com", "text": "t"}),
        "Hitl.InvalidInput",
        "subject",
    )
    .await;
    assert_named_error(
        f,
        json!({"to": "nobody", "subject": "s", "text": "t"}),
        "Hitl.InvalidInput",
        "not an email",
    )
    .await;
    assert_named_error(
        f,
        json!({"to": "x@example.com", "approval": {"title": 1}}),
        "Hitl.InvalidInput",
        "invalid type",
    )
    .await;
    // A plain notification goes through.
    let (error, body) = invoke(
        f,
        &json!({"to": "x@example.com", "subject": "RDS review done", "text": "2 stopped"}),
    )
    .await;
    assert_eq!(error, None, "{body}");
    assert_eq!(body["sent"], 1);
}

#[tokio::test]
async fn the_decision_api_never_answers_500() {
    let api = endpoints().api;
    let c = http();
    let put = c
        .put(format!("{api}/decisions/abc"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert!(put == 404 || put == 405, "PUT -> {put}");
    let page = c
        .get(format!("{api}/decisions/abc?d=approve&exp=x&kid=k1&sig=zz"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 403);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
}

/// A POST the Decision API cannot read gets its own status and a page that says why, not the
/// 403 of a missing signature: a person (or whoever debugs a proxy) can tell them apart.
#[tokio::test]
async fn unreadable_link_posts_say_why_with_their_own_status() {
    let url = format!("{}/decisions/abc", endpoints().api);
    let post = |body: Vec<u8>| {
        let url = url.clone();
        async move {
            let r = http()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, page) = post(Vec::new()).await;
    assert_eq!(status, 403, "no signature: {page}");
    assert!(page.contains("This link is not valid"), "{page}");

    let (status, page) = post(vec![b'd', b'=', 0xff, 0xfe, 0x00]).await;
    assert_eq!(status, 400, "not UTF-8: {page}");
    assert!(page.contains("not UTF-8"), "{page}");
    assert!(page.contains("Nothing was decided"), "{page}");
    assert!(!page.contains("This link is not valid"), "{page}");

    // Past the largest form the confirmation page invites (links::MAX_FORM_BYTES, ~52 KB).
    let (status, page) = post(format!("d={}", "a".repeat(80_000)).into_bytes()).await;
    assert_eq!(status, 413, "too large: {page}");
    assert!(page.contains("too large"), "{page}");
    assert!(page.contains("Nothing was decided"), "{page}");
}

/// Slack's endpoint checks the size first, then the signature: a body larger than any Slack
/// click (over 1 MiB) is 413, an unsigned one 401 whatever its bytes, including one as large as
/// a click on a full 50-block message. (A signed body that is not UTF-8 answers 400; the
/// signing secret is the stack's own, so that case is left to the Decision API's unit tests.)
#[tokio::test]
async fn unreadable_slack_requests_say_why_with_their_own_status() {
    let url = format!("{}/slack/interactions", endpoints().api);
    let send = |body: Vec<u8>| {
        let url = url.clone();
        async move {
            let r = http()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, text) = send(format!("payload={}", "a".repeat(1_100_000)).into_bytes()).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("too large"), "{text}");
    // Real clicks on large messages run to hundreds of KB: read, and refused only as unsigned.
    let (status, text) = send(format!("payload={}", "a".repeat(400_000)).into_bytes()).await;
    assert_eq!(status, 401, "a real size is read: {text}");
    let (status, text) = send(vec![0xff, 0xfe, 0x00]).await;
    assert_eq!(status, 401, "unsigned: {text}");
}

/// Every Task function of the template, given nothing useful, fails with a named error and a
/// message a person can act on: never a panic, never `Unhandled` without a name.
#[tokio::test]
async fn every_task_function_names_what_is_wrong_with_empty_input() {
    for function in [
        "CreateApprovalLinksFunction",
        "WaitForApprovalFunction",
        "SendEmailFunction",
        "SlackRequestActionFunction",
        "SlackSendMessageFunction",
        "SlackUpdateMessageFunction",
        "SlackWaitForUserActionFunction",
        "TeamsRequestActionFunction",
        "TeamsSendChannelMessageFunction",
        "TeamsSendChatMessageFunction",
        "JiraAddIssueCommentFunction",
        "JiraChangeIssueStatusFunction",
    ] {
        for input in [
            serde_json::json!({}),
            serde_json::json!(["not", "an", "object"]),
        ] {
            let (error, out) = invoke(function, &input).await;
            assert!(error.is_some(), "{function} accepted {input}: {out}");
            assert_eq!(
                out["errorType"], "Hitl.InvalidInput",
                "{function} {input}: {out}"
            );
            let message = out["errorMessage"].as_str().unwrap_or_default();
            assert!(message.len() > 10, "{function}: {out}");
        }
    }
}
