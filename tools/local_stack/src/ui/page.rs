//! The local page: emails, chat messages, executions, schedules and endpoints.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::Value;

use super::chat::{jira_section, teams_section};
use super::Ui;
use crate::outbox::SentEmail;

/// The page's head, its style, and what it is for.
const PAGE_START: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"3\">\
<title>hitl local</title><style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2933}h2{margin-top:2rem}\
.card{border:1px solid #d9e2ec;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}.muted{color:#52606d;font-size:.9rem}\
iframe{width:100%;height:260px;border:1px solid #eee;border-radius:6px;background:#fff}pre{white-space:pre-wrap;font-size:.8rem;background:#f5f7fa;padding:.5rem;border-radius:6px}\
.RUNNING{color:#2563eb}.SUCCEEDED{color:#1a7f37}.FAILED,.TIMED_OUT,.ABORTED{color:#b42318}table{border-collapse:collapse}td,th{padding:.3rem .6rem;text-align:left;vertical-align:top}</style></head><body>\
<h1>hitl: local stack</h1><p class=\"muted\">Emails sent (through SES, the local SMTP server or the Outlook stand-in) and executions of the template's state machines. Click Approve or Reject inside an email; this page refreshes every 3 s.</p>";

impl Ui {
    pub(super) async fn page(&self) -> String {
        let mut html = String::from(PAGE_START);
        html.push_str("<h2>Emails</h2>");
        html.push_str(&self.emails_section());
        html.push_str(&self.slack_section());
        html.push_str(&teams_section(&self.standins.teams.snapshot()));
        html.push_str(&jira_section(&self.standins.jira.snapshot()));
        html.push_str("<h2>Executions</h2><table><tr><th>state machine</th><th>status</th><th>input</th><th>output</th></tr>");
        html.push_str(&self.executions_rows().await);
        html.push_str("</table><h2>Schedules</h2>");
        html.push_str(&self.schedules_section());
        html.push_str(&crate::alarms::page_section());
        html.push_str(&format!(
            "<h2>Endpoints</h2><pre>{}</pre></body></html>",
            text(&serde_json::to_string_pretty(&self.endpoints).unwrap_or_default())
        ));
        html
    }

    /// Each sent email (SES, SMTP or Outlook) in a sandboxed frame.
    fn emails_section(&self) -> String {
        let mut html = String::new();
        let emails = self.outbox.all();
        if emails.is_empty() {
            html.push_str("<p class=\"muted\">No email sent yet.</p>");
        }
        for e in emails {
            // The email opens its links in the top window, like a mail client opening a browser tab.
            let body = format!("<base target=\"_top\">{}", viewable_html(&e));
            html.push_str(&format!(
                "<div class=\"card\"><div><strong>{}</strong></div><div class=\"muted\">{} · at {} via {} · <a href=\"/_local/emails/{}\">open</a></div>\
<iframe sandbox=\"allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation\" srcdoc=\"{}\"></iframe></div>",
                text(&e.subject),
                text(&addressing(&e)),
                text(&e.sent_at),
                text(&e.via),
                attr(&e.id),
                attr(&body)
            ));
        }
        html
    }

    async fn executions_rows(&self) -> String {
        let mut html = String::new();
        for e in self.executions().await {
            let pretty = |v: &Value| {
                if v.is_null() {
                    String::new()
                } else {
                    serde_json::to_string_pretty(v).unwrap_or_default()
                }
            };
            let status = e["status"].as_str().unwrap_or_default();
            html.push_str(&format!(
                "<tr><td>{}<div class=\"muted\">{}</div></td><td class=\"{}\">{}</td><td><pre>{}</pre></td><td><pre>{}{}</pre></td></tr>",
                text(e["stateMachine"].as_str().unwrap_or_default()),
                text(e["name"].as_str().unwrap_or_default()),
                attr(status),
                text(status),
                text(&pretty(&e["input"])),
                text(&pretty(&e["output"])),
                text(e["error"].as_str().unwrap_or_default())
            ));
        }
        html
    }

    fn schedules_section(&self) -> String {
        let mut html = String::new();
        for s in &self.schedules {
            html.push_str(&format!(
                "<div class=\"card\"><strong>{}</strong> <span class=\"muted\">{} · {} · {}</span><form method=\"post\" action=\"/_local/schedules/{}/fire\"><button>Fire now</button></form></div>",
                text(&s.name),
                text(&s.target.to_string()),
                text(&s.expression),
                if s.enabled { "enabled" } else { "disabled (fires only on demand)" },
                attr(&s.name)
            ));
        }
        html
    }
}

/// An email's HTML body, or its text body as HTML when it has none.
pub(super) fn viewable_html(e: &SentEmail) -> String {
    if e.html.is_empty() {
        format!(
            "<pre style=\"white-space:pre-wrap\">{}</pre>",
            text(&e.text)
        )
    } else {
        e.html.clone()
    }
}

/// "from Name <a@x> to b@x · cc … · bcc … · reply to …", the parts it has.
fn addressing(e: &SentEmail) -> String {
    let from = match &e.from_name {
        Some(name) => format!("{name} <{}>", e.from),
        None => e.from.clone(),
    };
    let mut line = format!("from {from} to {}", e.to.join(", "));
    for (label, list) in [("cc", &e.cc), ("bcc", &e.bcc), ("reply to", &e.reply_to)] {
        if !list.is_empty() {
            line.push_str(&format!(" · {label} {}", list.join(", ")));
        }
    }
    line
}
