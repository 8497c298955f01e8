//! The approval and notification emails: personal links as buttons, and the inputs refused by
//! name (over the in-memory world of `use_cases.rs`).

mod use_cases_common;

use channels::email::{build_emails, SendEmailInput};
use use_cases_common::World;

#[tokio::test]
async fn approval_emails_carry_personal_links_as_buttons() {
    let w = World::new();
    let links = w.create(serde_json::json!({"title": "Stop db-1", "approvers": ["alice@example.com", "bob@example.com"]})).await;
    let input: SendEmailInput =
        serde_json::from_value(serde_json::json!({"approval": links})).unwrap();
    let emails = build_emails(input, "approvals@example.com").unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[1].to, vec!["bob@example.com"]);
    // In an attribute, the URL's `&` is written `&amp;`.
    let in_html = |url: &str| url.replace('&', "&amp;");
    assert!(emails[1]
        .html
        .contains(&in_html(&links.links[1].approve_url)));
    assert!(emails[1].text.contains(&links.links[1].reject_url));
    assert!(!emails[1]
        .html
        .contains(&in_html(&links.links[0].approve_url)));
    assert_eq!(emails[0].subject, "Approval needed: Stop db-1");

    let stranger: SendEmailInput =
        serde_json::from_value(serde_json::json!({"approval": links, "to": "eve@example.com"}))
            .unwrap();
    assert_eq!(
        build_emails(stranger, "a@example.com").unwrap_err().name(),
        "Hitl.InvalidInput"
    );
}

/// A subject or title that would carry a header line into the email is refused by name,
/// whether it comes as the subject, as the title, or in an approval a workflow edited.
#[tokio::test]
async fn control_characters_never_reach_a_subject() {
    let w = World::new();
    let err = w
        .try_create(serde_json::json!({"title": "Stop db-1\r\nBcc: eve@example.com"}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(err.to_string().contains("title"), "{err}");
    let notification: SendEmailInput = serde_json::from_value(serde_json::json!(
        {"to": "x@example.com", "subject": "Done\nBcc: eve@example.com", "text": "t"}
    ))
    .unwrap();
    let err = build_emails(notification, "a@example.com").unwrap_err();
    assert!(err.to_string().contains("subject"), "{err}");
    let mut links = w
        .create(serde_json::json!({"title": "Stop db-1", "approvers": ["alice@example.com"]}))
        .await;
    links.title = "Stop db-1\u{7}".into();
    let edited: SendEmailInput =
        serde_json::from_value(serde_json::json!({"approval": links})).unwrap();
    let err = build_emails(edited, "a@example.com").unwrap_err();
    assert!(err.to_string().contains("approval.title"), "{err}");
}

#[tokio::test]
async fn notifications_need_recipients_subject_and_text() {
    for (input, needle) in [
        (
            serde_json::json!({"subject": "s", "text": "t"}),
            "to is required",
        ),
        (
            serde_json::json!({"to": "x@example.com", "text": "t"}),
            "subject",
        ),
        (
            serde_json::json!({"to": "x@example.com", "subject": "s"}),
            "text",
        ),
        (
            serde_json::json!({"to": "not an email", "subject": "s", "text": "t"}),
            "not an email",
        ),
    ] {
        let input: SendEmailInput = serde_json::from_value(input).unwrap();
        let err = build_emails(input, "a@example.com").unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    let ok: SendEmailInput = serde_json::from_value(
        serde_json::json!({"to": ["x@example.com"], "subject": "Done", "text": "<b>ok</b>"}),
    )
    .unwrap();
    let email = &build_emails(ok, "a@example.com").unwrap()[0];
    assert!(email.html.contains("&lt;b&gt;ok&lt;/b&gt;"));
}
