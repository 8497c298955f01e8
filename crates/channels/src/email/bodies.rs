//! The bodies of the approval email (its links as buttons) and of a plain notification.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use approvals::CreateLinksOutput;

pub(super) fn approval_bodies(
    approval: &CreateLinksOutput,
    message: Option<&str>,
    approve_url: &str,
    reject_url: &str,
) -> (String, String) {
    let description = approval.description.as_deref().unwrap_or("");
    let mut text_body = format!("Approval needed: {}\n\n", approval.title);
    for part in [message.unwrap_or(""), description] {
        if !part.is_empty() {
            text_body.push_str(part);
            text_body.push_str("\n\n");
        }
    }
    text_body.push_str(&format!(
        "Approve: {approve_url}\nReject: {reject_url}\n\nEach link opens a confirmation page; nothing is decided until you confirm there.\nThe links expire at {}.\n",
        approval.expires_at
    ));

    let paragraph = |p: &str| {
        if p.is_empty() {
            String::new()
        } else {
            format!("<p style=\"margin:0 0 12px\">{}</p>", text(p))
        }
    };
    let button = |href: &str, label: &str, color: &str| {
        format!(
            "<a href=\"{}\" style=\"display:inline-block;padding:10px 22px;margin-right:8px;border-radius:6px;background:{color};color:#ffffff;text-decoration:none;font-weight:600\">{label}</a>",
            attr(href)
        )
    };
    let html = format!(
        "<!doctype html><html><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933\">\
<h2 style=\"font-size:18px\">Approval needed: {}</h2>{}{}<p style=\"margin:20px 0\">{}{}</p>\
<p style=\"color:#52606d;font-size:12px\">Each button opens a confirmation page; nothing is decided until you confirm there. The links expire at {}.</p>\
</body></html>",
        text(&approval.title),
        paragraph(message.unwrap_or("")),
        paragraph(description),
        button(approve_url, "Approve", "#1a7f37"),
        button(reject_url, "Reject", "#b42318"),
        text(&approval.expires_at)
    );
    (text_body, html)
}

pub(super) fn notification_html(subject: &str, body: &str) -> String {
    let paragraphs: String = body
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", text(p).replace('\n', "<br>")))
        .collect();
    format!(
        "<!doctype html><html><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933\"><h2 style=\"font-size:18px\">{}</h2>{paragraphs}</body></html>",
        text(subject)
    )
}
