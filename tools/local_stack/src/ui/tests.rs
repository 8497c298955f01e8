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

/// A Slack message's text, labels and values reach the page as text, and its buttons are
/// numbered across its action blocks as the click hook counts them.
#[test]
fn a_slack_message_shows_its_markup_as_text_and_numbers_its_buttons_across_blocks() {
    let button = |label: &str| json!({"type": "button", "text": {"text": label}, "style": "primary\" onclick=\"x"});
    let message = json!({"channel": "C1", "ts": "1.2\"><script>", "channelName": "#ops<b>",
    "blocks": [
        {"type": "section", "text": {"text": "<img src=x onerror=alert(1)>"}},
        {"type": "actions", "elements": [button("<i>Yes</i>"), button("No")]},
        {"type": "actions", "elements": [button("Later")]},
    ]});
    let users = maud::html! { option value="U1" { "bob" } };
    let html = chat::slack_message(&message, &users).into_string();
    assert!(
        !html.contains("<script") && !html.contains("<img") && !html.contains("<i>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("value=\"1.2&quot;&gt;&lt;script&gt;\""),
        "{html}"
    );
    assert!(
        html.contains("class=\"primary&quot; onclick=&quot;x\""),
        "{html}"
    );
    for (index, label) in [(0, "&lt;i&gt;Yes&lt;/i&gt;"), (1, "No"), (2, "Later")] {
        assert!(
            html.contains(&format!(
                "value=\"{index}\" class=\"primary&quot; onclick=&quot;x\">{label}</button>"
            )),
            "{html}"
        );
    }
    assert_eq!(html.matches("<form ").count(), 2, "{html}");
    assert!(html.contains("<select name=\"user\"><option value=\"U1\">bob</option></select>"));
}

#[test]
fn a_teams_card_and_a_text_email_show_their_markup_as_text() {
    let card = json!({"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "<b>Resize?</b>"}],
        "actions": [{"url": "https://x/?a=1&b=\"2\"", "title": "<Open>"}]});
    let html = chat::teams_section(&json!({"messages": [card]})).into_string();
    assert!(
        html.contains("<div>&lt;b&gt;Resize?&lt;/b&gt;</div>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://x/?a=1&amp;b=&quot;2&quot;\">&lt;Open&gt;</a>"),
        "{html}"
    );
    let mut text_only = email("");
    text_only.text = "a < b & c".into();
    assert_eq!(
        page::viewable_html(&text_only),
        "<pre style=\"white-space:pre-wrap\">a &lt; b &amp; c</pre>"
    );
}
