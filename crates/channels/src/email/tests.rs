//! cc, bcc, reply-to, the sender's name and HTML bodies: what reaches the transport, and what
//! is refused by name before anything is sent.

use serde_json::{json, Value};

use super::*;

const FROM: &str = "Approvals@Corp.com";

fn build(input: Value) -> Result<Vec<OutgoingEmail>, HitlError> {
    build_emails(serde_json::from_value(input).unwrap(), FROM)
}

fn shared_approval() -> Value {
    json!({"approvalId": "a-1", "expiresAt": "2030-01-01T00:00:00Z", "title": "Stop db-1?",
           "approveUrl": "https://x/a?d=approve", "rejectUrl": "https://x/a?d=reject", "links": []})
}

#[test]
fn a_notification_carries_every_field_to_the_transport() {
    let emails = build(json!({
        "to": ["Ops@Corp.com", "dev@corp.com"], "cc": "lead@corp.com",
        "bcc": ["audit@corp.com", "ops@corp.com"], "replyTo": "Help@Corp.com",
        "senderName": "  Cloud Ops (prod)  ", "subject": "Done", "text": "All good",
        "html": "<p>All <b>good</b></p>"
    }))
    .unwrap();
    let email = &emails[0];
    assert_eq!(email.from, FROM, "the address stays as configured");
    assert_eq!(email.from_name.as_deref(), Some("Cloud Ops (prod)"));
    assert_eq!(email.to, ["ops@corp.com", "dev@corp.com"]);
    assert_eq!(email.cc, ["lead@corp.com"]);
    assert_eq!(email.bcc, ["audit@corp.com"], "nobody gets it twice");
    assert_eq!(email.reply_to, ["help@corp.com"]);
    assert_eq!(
        (email.text.as_str(), email.html.as_str()),
        ("All good", "<p>All <b>good</b></p>")
    );
}

#[test]
fn html_alone_is_a_notification_without_a_text_part() {
    let email = build(json!({"to": "a@corp.com", "subject": "S", "html": "<p>hi</p>"})).unwrap();
    assert_eq!(email[0].text, "");
    assert_eq!(email[0].html, "<p>hi</p>");
    let err = build(json!({"to": "a@corp.com", "subject": "S", "html": "  "})).unwrap_err();
    assert!(err.to_string().contains("text or html"), "{err}");
}

#[test]
fn a_shared_approval_may_be_copied_and_keeps_its_buttons() {
    let emails = build(json!({"approval": shared_approval(), "to": "a@corp.com",
        "cc": "b@corp.com", "bcc": "c@corp.com", "replyTo": "d@corp.com", "senderName": "Ops"}))
    .unwrap();
    assert_eq!(emails[0].cc, ["b@corp.com"]);
    assert_eq!(emails[0].bcc, ["c@corp.com"]);
    assert!(emails[0].html.contains("https://x/a?d=approve"));
}

fn personal_approval() -> Value {
    let mut approval = shared_approval();
    approval["approveUrl"] = Value::Null;
    approval["rejectUrl"] = Value::Null;
    approval["links"] = json!([{"approver": "alice@corp.com",
        "approveUrl": "https://x/p?d=approve", "rejectUrl": "https://x/p?d=reject"}]);
    approval
}

#[test]
fn personal_links_are_never_copied_nor_replied_to_but_may_have_a_name() {
    let approval = personal_approval();
    for copy in ["cc", "bcc"] {
        let err = build(json!({"approval": approval, copy: "eve@corp.com"})).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(err.to_string().contains("personal links"), "{err}");
    }
    let emails = build(json!({"approval": approval, "senderName": "Ops"})).unwrap();
    assert!(emails[0].reply_to.is_empty());
    assert_eq!(emails[0].from_name.as_deref(), Some("Ops"));
}

/// A reply quotes the message, its links included: the reply-to address could then decide as
/// the approver. Refused by name, like a copy.
#[test]
fn reply_to_is_refused_with_personal_links() {
    let input = json!({"approval": personal_approval(), "replyTo": "ops@corp.com"});
    let err = build(input).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string()
            .starts_with("replyTo is refused with personal links: a reply quotes the message"),
        "{err}"
    );
    // Shared links may still name where replies go (see a_shared_approval_may_be_copied...).
    let shared =
        json!({"approval": shared_approval(), "to": "a@corp.com", "replyTo": "d@corp.com"});
    assert_eq!(build(shared).unwrap()[0].reply_to, ["d@corp.com"]);
}

#[test]
fn unknown_fields_are_refused_with_the_name_meant_at_any_depth() {
    let read = |input: Value| {
        approvals::input::from_json::<SendEmailInput>(input)
            .unwrap_err()
            .to_string()
    };
    let message =
        read(json!({"to": "a@corp.com", "subject": "S", "text": "t", "replyto": "b@corp.com"}));
    assert!(
        message.starts_with("unknown field `replyto`; did you mean `replyTo`?"),
        "{message}"
    );
    let mut approval = personal_approval();
    approval["links"][0]["aprover"] = json!("bob@corp.com");
    let message = read(json!({"approval": approval}));
    assert!(
        message.starts_with("unknown field `approval.links[0].aprover`; did you mean `approver`?"),
        "{message}"
    );
}

#[test]
fn an_approval_email_takes_no_html_of_its_own() {
    let err = build(json!({"approval": shared_approval(), "to": "a@corp.com", "html": "<p>x</p>"}))
        .unwrap_err();
    assert!(
        err.to_string().starts_with("html is for notifications"),
        "{err}"
    );
}

#[test]
fn bad_addresses_names_and_limits_are_refused_by_field() {
    let base = json!({"to": "a@corp.com", "subject": "S", "text": "t"});
    let many: Vec<String> = (0..50).map(|i| format!("u{i}@corp.com")).collect();
    let reply_to: Vec<String> = (0..=MAX_REPLY_TO)
        .map(|i| format!("r{i}@corp.com"))
        .collect();
    for (field, value, needle) in [
        ("cc", json!("not an address"), "cc: "),
        ("bcc", json!(["ok@corp.com", "nope"]), "bcc: "),
        ("replyTo", json!("x@"), "replyTo: "),
        ("replyTo", json!(reply_to), "at most 10"),
        ("bcc", json!(many), "at most 50 recipients"),
        (
            "senderName",
            json!("Ops\r\nBcc: eve@corp.com"),
            "senderName must be one line",
        ),
        (
            "senderName",
            json!("ceo@corp.com"),
            "may not hold an address",
        ),
        ("senderName", json!("x".repeat(101)), "longer than 100"),
        (
            "html",
            json!("x".repeat(MAX_BODY_BYTES + 1)),
            "html is larger than 256 KB",
        ),
        (
            "text",
            json!("x".repeat(MAX_BODY_BYTES + 1)),
            "text is larger than 256 KB",
        ),
    ] {
        let mut input = base.clone();
        input[field] = value;
        let err = build(input).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput", "{field}");
        assert!(err.to_string().contains(needle), "{field}: {err}");
    }
}
