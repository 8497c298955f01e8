//! Email through SMTP and Outlook on the local stack, each a stack of its own deployed with
//! `EmailTransport=smtp` (the local SMTP server: STARTTLS, a certificate the functions check,
//! AUTH) or `EmailTransport=outlook` (the Graph stand-in): the approval loop decided by the
//! link in the received mail, notifications with cc, bcc, reply-to, a sender name and HTML,
//! and a refused Outlook call by its name.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);

fn smtp() -> Configured {
    stack_with(&[("EmailTransport", "smtp")])
}

fn outlook() -> Configured {
    stack_with(&[("EmailTransport", "outlook")])
}

/// Outlook's tests change the stand-in's mailboxes: one at a time.
static OUTLOOK_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The one email whose subject contains `needle`, as the local page's API lists it.
async fn received(stack: &Configured, needle: &str) -> Value {
    stack.emails_matching(needle, 1).await;
    let all = stack.emails().await;
    let found: Vec<&Value> = all
        .iter()
        .filter(|e| e["subject"].as_str().unwrap_or_default().contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[tokio::test]
async fn an_approval_sent_over_smtp_is_decided_by_the_link_in_the_received_mail() {
    let stack = smtp();
    let title = unique("Stop db-smtp");
    let arn = stack
        .start_execution(
            "EmailApprovalStateMachine",
            json!({"title": title, "to": ["owner@example.com"]}),
        )
        .await;
    let email = stack.emails_matching(&title, 1).await.remove(0);
    let raw = received(&stack, &title).await;
    assert_eq!(raw["via"], "smtp", "{raw}");
    assert_eq!(raw["from"], "approvals@example.com");
    assert_eq!(email.to, ["owner@example.com"]);

    // The local page shows it like SES mail: in the list, its buttons in the frame.
    let page = get(&format!("{}/_local/", stack.endpoints.api)).await;
    assert!(
        page.body.contains(&title),
        "the page does not list the SMTP email"
    );
    let (approve, _) = links_of(&email);
    let shown = get(&format!(
        "{}/_local/emails/{}",
        stack.endpoints.api,
        raw["id"].as_str().unwrap()
    ))
    .await;
    assert!(
        shown.body.contains(&approve.replace('&', "&amp;")),
        "{}",
        shown.body
    );

    assert_eq!(get(&approve).await.status, 200);
    let done = confirm(&approve, &[("name", "Sam Smtp")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = stack.wait_for_end(&arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["outcome"], "approved", "{}", end.output);
    assert_eq!(end.output["decision"]["decidedBy"]["name"], "Sam Smtp");
}

/// Send Email's every addressing field, and an HTML body, as the notification's input.
fn notification(subject: &str) -> Value {
    json!({
        "to": "owner@example.com", "cc": ["Lead@Example.com"], "bcc": "audit@example.com",
        "replyTo": "help@example.com", "senderName": "Cloud Ops", "subject": subject,
        "text": "The deploy is done.", "html": "<p>The deploy is <b>done</b>.</p>"
    })
}

/// What a notification with every field looks like once received.
fn assert_every_field(raw: &Value, via: &str) {
    assert_eq!(raw["via"], via, "{raw}");
    assert_eq!(raw["from"], "approvals@example.com", "{raw}");
    assert_eq!(raw["fromName"], "Cloud Ops", "{raw}");
    assert_eq!(raw["to"], json!(["owner@example.com"]), "{raw}");
    assert_eq!(raw["cc"], json!(["lead@example.com"]), "{raw}");
    assert_eq!(raw["bcc"], json!(["audit@example.com"]), "{raw}");
    assert_eq!(raw["replyTo"], json!(["help@example.com"]), "{raw}");
    assert_eq!(
        raw["html"].as_str().unwrap().trim(),
        "<p>The deploy is <b>done</b>.</p>"
    );
}

#[tokio::test]
async fn a_notification_over_smtp_has_cc_bcc_reply_to_the_sender_name_and_html() {
    let stack = smtp();
    let subject = unique("Deploy done over SMTP");
    let (error, out) = stack
        .invoke("SendEmailFunction", &notification(&subject))
        .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(out["sent"], 1, "{out}");
    let raw = received(&stack, &subject).await;
    assert_every_field(&raw, "smtp");
    assert_eq!(raw["text"].as_str().unwrap().trim(), "The deploy is done.");
    // The message id Send Email returns is the Message-ID the server received.
    let id = out["messageIds"][0].as_str().unwrap();
    assert_eq!(raw["id"], id.replace('@', ""), "{raw}");
}

/// The other SMTP security: TLS from the first byte (port 465 style), AUTH over it.
#[tokio::test]
async fn a_notification_over_smtp_with_tls_from_the_first_byte_is_received() {
    let stack = stack_with(&[("EmailTransport", "smtp"), ("SmtpSecurity", "tls")]);
    let subject = unique("Deploy done over SMTPS");
    let (error, out) = stack
        .invoke("SendEmailFunction", &notification(&subject))
        .await;
    assert_eq!(error, None, "{out}");
    assert_every_field(&received(&stack, &subject).await, "smtp");
}

#[tokio::test]
async fn a_notification_through_outlook_has_cc_bcc_reply_to_the_sender_name_and_html() {
    let _turn = OUTLOOK_TURN.lock().await;
    let stack = outlook();
    let subject = unique("Deploy done through Outlook");
    let (error, out) = stack
        .invoke("SendEmailFunction", &notification(&subject))
        .await;
    assert_eq!(error, None, "{out}");
    assert_eq!(out["sent"], 1, "{out}");
    assert_every_field(&received(&stack, &subject).await, "outlook");
}

#[tokio::test]
async fn outlook_refusing_the_sending_mailbox_is_a_named_error() {
    let _turn = OUTLOOK_TURN.lock().await;
    let stack = outlook();
    let mailboxes = |list: Value| {
        let url = format!(
            "{}/_standins/outlook/_control/mailboxes",
            stack.endpoints.api
        );
        async move {
            let r = http()
                .post(url)
                .json(&json!({"mailboxes": list}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    };
    mailboxes(json!(["someone-else@example.com"])).await;
    let subject = unique("Refused by Outlook");
    let (error, out) = stack
        .invoke("SendEmailFunction", &notification(&subject))
        .await;
    mailboxes(json!(["approvals@example.com"])).await;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{out}");
    assert_eq!(out["errorType"], "Outlook.MailboxNotFound", "{out}");
    let message = out["errorMessage"].as_str().unwrap();
    assert!(message.contains("ErrorInvalidUser"), "{message}");
    assert!(message.contains("approvals@example.com"), "{message}");
}

#[tokio::test]
async fn bad_addressing_is_refused_by_name_before_anything_is_sent() {
    let stack = smtp();
    let subject = unique("Never sent");
    let mut input = notification(&subject);
    input["cc"] = json!("not an address");
    let (error, out) = stack.invoke("SendEmailFunction", &input).await;
    assert!(error.is_some(), "{out}");
    assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
    assert!(
        out["errorMessage"].as_str().unwrap().starts_with("cc: "),
        "{out}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = stack.emails().await;
    assert!(!sent.iter().any(|e| e["subject"] == subject.as_str()));
}
