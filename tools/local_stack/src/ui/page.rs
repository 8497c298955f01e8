//! The local page: emails, chat messages, executions, schedules and endpoints. Built with
//! `maud`: everything shown (an email's subject, a chat message, an execution's input) is
//! escaped; the one `PreEscaped` is the page's own style sheet.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::Value;

use super::chat::{jira_section, teams_section};
use super::Ui;
use crate::outbox::SentEmail;

/// The page's style sheet: a constant of ours.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2933}h2{margin-top:2rem}\
.card{border:1px solid #d9e2ec;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}.muted{color:#52606d;font-size:.9rem}\
iframe{width:100%;height:260px;border:1px solid #eee;border-radius:6px;background:#fff}pre{white-space:pre-wrap;font-size:.8rem;background:#f5f7fa;padding:.5rem;border-radius:6px}\
.RUNNING{color:#2563eb}.SUCCEEDED{color:#1a7f37}.FAILED,.TIMED_OUT,.ABORTED{color:#b42318}table{border-collapse:collapse}td,th{padding:.3rem .6rem;text-align:left;vertical-align:top}";

impl Ui {
    pub(super) async fn page(&self) -> String {
        // Teams refreshes a bot card for the people it lists when they look at it.
        self.standins.teams.refresh_views().await;
        let executions = self.executions_rows().await;
        let endpoints = serde_json::to_string_pretty(&self.endpoints).unwrap_or_default();
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta http-equiv="refresh" content="3";
                    title { "hitl local" }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 { "hitl: local stack" }
                    p class="muted" { "Emails sent (through SES, the local SMTP server or the Outlook stand-in) and executions of the template's state machines. Click Approve or Reject inside an email; this page refreshes every 3 s." }
                    h2 { "Emails" }
                    (self.emails_section())
                    (self.slack_section())
                    (teams_section(&self.standins.teams.snapshot()))
                    (jira_section(&self.standins.jira.snapshot()))
                    h2 { "Executions" }
                    table {
                        tr { th { "state machine" } th { "status" } th { "input" } th { "output" } }
                        (executions)
                    }
                    h2 { "Schedules" }
                    (self.schedules_section())
                    (crate::alarms::page_section())
                    (crate::audit::page::page_section())
                    h2 { "Endpoints" }
                    pre { (endpoints) }
                }
            }
        }
        .into_string()
    }

    /// Each sent email (SES, SMTP or Outlook) in a sandboxed frame.
    fn emails_section(&self) -> Markup {
        let emails = self.outbox.all();
        html! {
            @if emails.is_empty() {
                p class="muted" { "No email sent yet." }
            }
            @for e in &emails {
                div class="card" {
                    div { strong { (e.subject) } }
                    div class="muted" {
                        (addressing(e)) " · at " (e.sent_at) " via " (e.via) " · "
                        a href={ "/_local/emails/" (e.id) } { "open" }
                    }
                    // The email opens its links in the top window, like a mail client
                    // opening a browser tab; `srcdoc` holds it escaped, as an attribute.
                    iframe sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
                        srcdoc={ "<base target=\"_top\">" (viewable_html(e)) } {}
                }
            }
        }
    }

    async fn executions_rows(&self) -> Markup {
        let pretty = |v: &Value| {
            if v.is_null() {
                String::new()
            } else {
                serde_json::to_string_pretty(v).unwrap_or_default()
            }
        };
        let executions = self.executions().await;
        html! {
            @for e in &executions {
                @let status = e["status"].as_str().unwrap_or_default();
                tr {
                    td {
                        (e["stateMachine"].as_str().unwrap_or_default())
                        div class="muted" { (e["name"].as_str().unwrap_or_default()) }
                    }
                    td class=(status) { (status) }
                    td { pre { (pretty(&e["input"])) } }
                    td { pre { (pretty(&e["output"])) (e["error"].as_str().unwrap_or_default()) } }
                }
            }
        }
    }

    fn schedules_section(&self) -> Markup {
        html! {
            @for s in &self.schedules {
                div class="card" {
                    strong { (s.name) } " "
                    span class="muted" {
                        (s.target) " · " (s.expression) " · "
                        @if s.enabled { "enabled" } @else { "disabled (fires only on demand)" }
                    }
                    form method="post" action={ "/_local/schedules/" (s.name) "/fire" } {
                        button { "Fire now" }
                    }
                }
            }
        }
    }
}

/// An email's HTML body, or its text body as HTML when it has none.
pub(super) fn viewable_html(e: &SentEmail) -> String {
    if e.html.is_empty() {
        html! { pre style="white-space:pre-wrap" { (e.text) } }.into_string()
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
