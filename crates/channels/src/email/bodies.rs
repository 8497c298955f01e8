//! The bodies of the approval email (its links as buttons) and of a plain notification.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use approvals::{ButtonLink, ButtonStyle, CreateLinksOutput};

/// One button of an approval email: Approve / Reject, or one of the request's own buttons.
pub(super) struct EmailButton<'a> {
    pub label: &'a str,
    pub url: &'a str,
    pub style: ButtonStyle,
}

impl<'a> EmailButton<'a> {
    /// Approve and Reject on a pair of links.
    pub fn pair(approve_url: &'a str, reject_url: &'a str) -> Vec<Self> {
        vec![
            EmailButton {
                label: "Approve",
                url: approve_url,
                style: ButtonStyle::Primary,
            },
            EmailButton {
                label: "Reject",
                url: reject_url,
                style: ButtonStyle::Danger,
            },
        ]
    }

    pub fn of(buttons: &'a [ButtonLink]) -> Vec<Self> {
        buttons
            .iter()
            .map(|b| EmailButton {
                label: &b.label,
                url: &b.url,
                style: b.style,
            })
            .collect()
    }
}

pub(super) fn approval_bodies(
    approval: &CreateLinksOutput,
    message: Option<&str>,
    buttons: &[EmailButton],
) -> (String, String) {
    let description = approval.description.as_deref().unwrap_or("");
    let mut text_body = format!("Approval needed: {}\n\n", approval.title);
    for part in [message.unwrap_or(""), description] {
        if !part.is_empty() {
            text_body.push_str(part);
            text_body.push_str("\n\n");
        }
    }
    for b in buttons {
        text_body.push_str(&format!("{}: {}\n", b.label, b.url));
    }
    text_body.push_str(&format!(
        "\nEach link opens a confirmation page; nothing is decided until you confirm there.\nThe links expire at {}.\n",
        approval.expires_at
    ));

    let paragraph = |p: &str| {
        if p.is_empty() {
            String::new()
        } else {
            format!("<p style=\"margin:0 0 12px\">{}</p>", text(p))
        }
    };
    let button = |b: &EmailButton| {
        let color = match b.style {
            ButtonStyle::Primary => "#1a7f37",
            ButtonStyle::Danger => "#b42318",
            ButtonStyle::Default => "#52606d",
        };
        format!(
            "<a href=\"{}\" style=\"display:inline-block;padding:10px 22px;margin:0 8px 8px 0;border-radius:6px;background:{color};color:#ffffff;text-decoration:none;font-weight:600\">{}</a>",
            attr(b.url),
            text(b.label)
        )
    };
    let buttons: String = buttons.iter().map(button).collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933\">\
<h2 style=\"font-size:18px\">Approval needed: {}</h2>{}{}<p style=\"margin:20px 0\">{buttons}</p>\
<p style=\"color:#52606d;font-size:12px\">Each button opens a confirmation page; nothing is decided until you confirm there. The links expire at {}.</p>\
</body></html>",
        text(&approval.title),
        paragraph(message.unwrap_or("")),
        paragraph(description),
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
