//! The bodies of the approval email (its links as buttons) and of a plain notification. The
//! HTML is `maud`'s: every value in it (title, message, labels, URLs) is escaped.

use maud::{html, Markup, DOCTYPE};

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
    (text_body, approval_html(approval, message, buttons))
}

/// The style of the body of every email we write.
const BODY_STYLE: &str = "font-family:Arial,Helvetica,sans-serif;color:#1f2933";

/// The approval email's HTML: the title, the message and description, a button per link.
fn approval_html(
    approval: &CreateLinksOutput,
    message: Option<&str>,
    buttons: &[EmailButton],
) -> String {
    let paragraphs = [
        message.unwrap_or(""),
        approval.description.as_deref().unwrap_or(""),
    ];
    html! {
        (DOCTYPE)
        html {
            body style=(BODY_STYLE) {
                h2 style="font-size:18px" { "Approval needed: " (approval.title) }
                @for paragraph in paragraphs.into_iter().filter(|p| !p.is_empty()) {
                    p style="margin:0 0 12px" { (paragraph) }
                }
                p style="margin:20px 0" {
                    @for b in buttons { (email_button(b)) }
                }
                p style="color:#52606d;font-size:12px" {
                    "Each button opens a confirmation page; nothing is decided until you confirm there. The links expire at "
                    (approval.expires_at) "."
                }
            }
        }
    }
    .into_string()
}

/// A link styled as a button (mail clients show no forms and run no style sheets).
fn email_button(b: &EmailButton) -> Markup {
    let color = match b.style {
        ButtonStyle::Primary => "#1a7f37",
        ButtonStyle::Danger => "#b42318",
        ButtonStyle::Default => "#52606d",
    };
    html! {
        a href=(b.url) style={
            "display:inline-block;padding:10px 22px;margin:0 8px 8px 0;border-radius:6px;background:"
            (color) ";color:#ffffff;text-decoration:none;font-weight:600"
        } { (b.label) }
    }
}

/// A text body as HTML: its blank-line-separated paragraphs, its line breaks kept.
pub(super) fn notification_html(subject: &str, body: &str) -> String {
    html! {
        (DOCTYPE)
        html {
            body style=(BODY_STYLE) {
                h2 style="font-size:18px" { (subject) }
                @for paragraph in body.split("\n\n") {
                    p {
                        @for (i, line) in paragraph.split('\n').enumerate() {
                            @if i > 0 { br; }
                            (line)
                        }
                    }
                }
            }
        }
    }
    .into_string()
}
