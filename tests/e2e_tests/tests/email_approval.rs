//! The email approval loop on the local stack: real executions of the shipped
//! `EmailApprovalStateMachine`, real function binaries, moto's DynamoDB/Step Functions/SESv2.

use std::time::Duration;

use e2e_tests::*;
use serde_json::json;

const FLOW: &str = "EmailApprovalStateMachine";
const LONG: Duration = Duration::from_secs(60);

/// Starts the email flow and returns (execution ARN, the emails it sent).
async fn request(title: &str, extra: serde_json::Value, emails: usize) -> (String, Vec<SentEmail>) {
    let mut input = json!({"title": title, "description": "Idle for 14 days; costs $412/month.", "to": ["owner@example.com"]});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let arn = start_execution(FLOW, input).await;
    (arn, emails_matching(title, emails).await)
}

#[tokio::test]
async fn approve_reaches_the_approved_branch_with_the_decision() {
    let title = unique("Stop db-approve");
    let (arn, emails) = request(&title, json!({}), 1).await;
    let (approve, _) = links_of(&emails[0]);
    assert!(
        !approve.contains("token"),
        "links never carry the task token"
    );

    let page = get(&approve).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Confirm your decision") && page.body.contains(&title));

    let done = confirm(
        &approve,
        &[("name", "Dana Ops"), ("comment", "idle since May")],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("your decision is recorded"));

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["outcome"], "approved", "{}", end.output);
    assert_eq!(end.output["decision"]["decision"], "approve");
    assert_eq!(end.output["decision"]["approved"], true);
    assert_eq!(end.output["decision"]["decidedBy"]["name"], "Dana Ops");
    assert_eq!(end.output["decision"]["decidedBy"]["channel"], "email");
    assert_eq!(end.output["decision"]["comment"], "idle since May");
}

#[tokio::test]
async fn reject_reaches_the_rejected_branch() {
    let title = unique("Stop db-reject");
    let (arn, emails) = request(&title, json!({}), 1).await;
    let (_, reject) = links_of(&emails[0]);
    assert_eq!(confirm(&reject, &[]).await.status, 200);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "rejected", "{end:?}");
    assert_eq!(end.output["decision"]["approved"], false);
}

#[tokio::test]
async fn double_click_records_one_decision_and_the_second_click_sees_who_decided() {
    let title = unique("Stop db-double");
    let (arn, emails) = request(
        &title,
        json!({"to": null, "approvers": ["alice@example.com", "bob@example.com"]}),
        2,
    )
    .await;
    let alice = emails
        .iter()
        .find(|e| e.to == ["alice@example.com"])
        .expect("alice has her own email");
    let bob = emails
        .iter()
        .find(|e| e.to == ["bob@example.com"])
        .expect("bob has his own email");
    assert_ne!(links_of(alice).0, links_of(bob).0, "links are personal");

    assert_eq!(confirm(&links_of(alice).0, &[]).await.status, 200);
    let second = confirm(&links_of(bob).1, &[]).await;
    assert_eq!(second.status, 409);
    assert!(
        second.body.contains("Approved by alice@example.com"),
        "{}",
        second.body
    );

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    assert_eq!(
        end.output["decision"]["decidedBy"]["id"],
        "alice@example.com"
    );
    // The record holds the one decision the execution got: Bob's reject changed nothing there
    // either (read before anyone else clicks, so no later write can hide it).
    let approval_id = end.output["approvalId"].as_str().unwrap();
    let item = approval_record(approval_id).await;
    assert_eq!(attr(&item, "decision"), "approve", "{item:?}");
    assert_eq!(attr(&item, "decidedById"), "alice@example.com", "{item:?}");
    assert_eq!(attr(&item, "decidedChannel"), "email", "{item:?}");
    assert!(!item.contains_key("lateDecisions"), "{item:?}");

    // The same person clicking again is told the same, and the record keeps her first click.
    let again = confirm(&links_of(alice).0, &[]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let after = approval_record(approval_id).await;
    for field in ["decision", "decidedById", "decidedAt"] {
        assert_eq!(attr(&after, field), attr(&item, field), "{after:?}");
    }
}

#[tokio::test]
async fn a_get_alone_never_decides() {
    let title = unique("Stop db-scanner");
    let (arn, emails) = request(&title, json!({}), 1).await;
    let (approve, reject) = links_of(&emails[0]);
    // What a mail security scanner does: fetch every link, several times.
    for url in [&approve, &reject, &approve] {
        assert_eq!(get(url).await.status, 200);
        assert_eq!(
            http()
                .head(url.as_str())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            200
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(execution_status(&arn).await, "RUNNING");
    // And the links still work for the person.
    assert_eq!(confirm(&reject, &[]).await.status, 200);
    assert_eq!(wait_for_end(&arn, LONG).await.output["outcome"], "rejected");
}

#[tokio::test]
async fn tampered_and_unknown_links_get_clear_pages_and_decide_nothing() {
    let title = unique("Stop db-tamper");
    let (arn, emails) = request(&title, json!({}), 1).await;
    let (approve, reject) = links_of(&emails[0]);
    let flipped = reject.replace("d=reject", "d=approve");
    let later = approve.replace("exp=", "exp=9");
    let resigned = format!("{}AAAA", &approve[..approve.len() - 4]);
    let other_id = approve.replacen("/decisions/", "/decisions/0", 1);
    for bad in [&flipped, &later, &resigned, &other_id] {
        let page = confirm(bad, &[]).await;
        assert_eq!(page.status, 403, "{bad}");
        assert!(page.body.contains("This link is not valid"));
        assert_eq!(get(bad).await.status, 403);
    }
    let stripped = approve.split("&sig=").next().unwrap().to_string();
    assert_eq!(get(&stripped).await.status, 403);
    let missing = get(&format!("{}/decisions/", endpoints().api)).await;
    assert_eq!(missing.status, 404);
    assert_eq!(execution_status(&arn).await, "RUNNING");
    assert_eq!(confirm(&approve, &[]).await.status, 200);
    assert_eq!(wait_for_end(&arn, LONG).await.output["outcome"], "approved");
}

#[tokio::test]
async fn an_expired_link_gets_a_too_late_page_and_the_task_takes_the_expired_branch() {
    let title = unique("Stop db-expired");
    // The links live as long as the wait (`timeoutSeconds`; the state machine takes no
    // `expiresInSeconds` of its own: its execution input refuses it).
    let (arn, emails) = request(&title, json!({"timeoutSeconds": 6}), 1).await;
    let (approve, _) = links_of(&emails[0]);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["outcome"], "expired", "{}", end.output);
    let page = get(&approve).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("Too late"), "{}", page.body);
    let late_before = late_clicks().await;
    let page = confirm(&approve, &[]).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(page.body.contains("nothing was changed"), "{}", page.body);
    assert!(!page.body.contains("recorded"), "{}", page.body);
    // Counted for the operator's dashboard, though answered before any store call.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while late_clicks().await < late_before + 1.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "LateClicks not counted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The `LateClicks` the functions have emitted so far (EMF, as the local stack collects them).
async fn late_clicks() -> f64 {
    local_api("/_local/api/metrics").await["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "LateClicks")
        .filter_map(|m| m["sum"].as_f64())
        .sum()
}

/// Personal links are only per approver: with approvers there is no top-level link a workflow
/// could post somewhere shared and so let everybody decide as the first approver.
#[tokio::test]
async fn with_approvers_there_are_no_shared_links() {
    let (error, links) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": unique("personal"), "approvers": ["alice@example.com", "bob@example.com"]}),
    )
    .await;
    assert_eq!(error, None, "{links}");
    assert!(links.get("approveUrl").is_none(), "{links}");
    assert!(links.get("rejectUrl").is_none(), "{links}");
    let personal = links["links"].as_array().unwrap();
    assert_eq!(personal.len(), 2, "{links}");
    assert_eq!(personal[0]["approver"], "alice@example.com");
    assert_ne!(personal[0]["approveUrl"], personal[1]["approveUrl"]);

    // Without approvers the links are the shared ones, and there are no personal ones.
    let (error, links) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": unique("shared")}),
    )
    .await;
    assert_eq!(error, None, "{links}");
    assert!(links["approveUrl"].is_string(), "{links}");
    assert_eq!(links["links"], json!([]), "{links}");
}

#[tokio::test]
async fn a_click_before_the_wait_begins_resumes_as_soon_as_it_does() {
    // Links first, click, and only then a workflow that waits on them.
    let (error, links) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": unique("click-first")}),
    )
    .await;
    assert_eq!(error, None, "{links}");
    let approve = links["approveUrl"].as_str().unwrap().to_string();
    let page = confirm(&approve, &[]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("when it reaches its approval step"),
        "{}",
        page.body
    );

    let definition = json!({
        "StartAt": "WaitForApproval",
        "States": {"WaitForApproval": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": function_arn("WaitForApprovalFunction"),
                           "Payload": {"approvalId.$": "$.approvalId", "taskToken.$": "$$.Task.Token"}},
            "TimeoutSeconds": 60,
            "End": true}}
    });
    let input = json!({"approvalId": links["approvalId"]});
    let arn = start_workflow("e2e-wait", &definition, &input).await;
    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "approve");
    assert_eq!(end.output["approvalId"], links["approvalId"]);
}

#[tokio::test]
async fn records_keep_their_audit_fields_and_expire_through_ttl() {
    let title = unique("Stop db-audit");
    let (arn, emails) = request(&title, json!({}), 1).await;
    let (approve, _) = links_of(&emails[0]);
    confirm(&approve, &[("name", "Ravi")]).await;
    let end = wait_for_end(&arn, LONG).await;
    let item = approval_record(end.output["approvalId"].as_str().unwrap()).await;
    for field in [
        "decision",
        "decidedByName",
        "decidedAt",
        "sourceIp",
        "userAgent",
        "expiresAtTtl",
        "deliveredAt",
    ] {
        assert!(
            item.contains_key(field),
            "audit field {field} missing: {item:?}"
        );
    }
    assert_eq!(attr(&item, "decidedByName"), "Ravi", "{item:?}");
    let ttl = dynamodb()
        .await
        .describe_time_to_live()
        .table_name("ApprovalsTable")
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expiresAtTtl"));
}

/// SES carries the same fields as the other transports: cc, bcc, reply-to, the sender's name
/// (the From address stays `SenderEmail`, which the IAM condition checks) and an HTML body.
#[tokio::test]
async fn a_notification_through_ses_has_cc_bcc_reply_to_the_sender_name_and_html() {
    let subject = unique("Deploy done through SES");
    let (error, out) = invoke(
        "SendEmailFunction",
        &json!({"to": "owner@example.com", "cc": "lead@example.com", "bcc": ["audit@example.com"],
                "replyTo": "help@example.com", "senderName": "Cloud Ops", "subject": subject,
                "html": "<p>Done.</p>"}),
    )
    .await;
    assert_eq!(error, None, "{out}");
    emails_matching(&subject, 1).await;
    let all = local_api("/_local/api/emails").await;
    let raw = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"] == subject.as_str())
        .unwrap();
    assert_eq!(raw["via"], "ses");
    assert_eq!(
        (&raw["from"], &raw["fromName"]),
        (&json!("approvals@example.com"), &json!("Cloud Ops"))
    );
    assert_eq!(raw["cc"], json!(["lead@example.com"]));
    assert_eq!(raw["bcc"], json!(["audit@example.com"]));
    assert_eq!(raw["replyTo"], json!(["help@example.com"]));
    assert_eq!(
        (&raw["text"], &raw["html"]),
        (&json!(""), &json!("<p>Done.</p>"))
    );
}
