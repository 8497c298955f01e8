use super::*;
use crate::outbox::SentEmail;

fn email(html: &str) -> SentEmail {
    SentEmail {
        id: "e1".into(),
        via: "ses".into(),
        from: "approvals@example.com".into(),
        from_name: None,
        to: vec!["a@example.com".into()],
        cc: vec![],
        bcc: vec![],
        reply_to: vec![],
        subject: "s".into(),
        text: "t".into(),
        html: html.into(),
        sent_at: "now".into(),
    }
}

#[test]
fn an_email_opened_on_the_stack_s_origin_is_sandboxed() {
    let html = "<a href=\"http://127.0.0.1:3000/decisions/x?d=approve\">Approve</a><script>fetch('/_local/api/faults',{method:'POST',body:'{}'})</script>";
    let response = email_page(&email(html));
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let sandbox = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("sandbox"))
        .unwrap_or_else(|| panic!("no sandbox in {policy:?}"));
    for forbidden in ["allow-scripts", "allow-same-origin", "allow-forms"] {
        assert!(!sandbox.contains(forbidden), "{sandbox}");
    }
    assert!(policy.contains("script-src 'none'"), "{policy}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.status(), 200);
}
