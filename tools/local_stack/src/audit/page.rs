//! The page's "Audit events" section: the latest events read from the audit bus (`maud`:
//! every value escaped).

use std::sync::{Arc, OnceLock};

use maud::{html, Markup};
use serde_json::Value;

use super::AuditLocal;

/// How many of the latest events the page lists (the API has them all).
const SHOWN: usize = 50;

static AUDIT: OnceLock<Arc<AuditLocal>> = OnceLock::new();

/// The running stack's audit trail, for the page.
pub fn register(audit: Arc<AuditLocal>) {
    let _ = AUDIT.set(audit);
}

/// Who a decision's detail names, and through which channel.
fn who(detail: &Value) -> String {
    let by = &detail["decision"]["decidedBy"];
    match by["id"].as_str() {
        Some(id) => format!(
            "{} {} ({}{})",
            detail["decision"]["decision"].as_str().unwrap_or_default(),
            id,
            by["channel"].as_str().unwrap_or_default(),
            if by["verified"] == true {
                ", verified"
            } else {
                ""
            }
        ),
        None => String::new(),
    }
}

pub fn page_section() -> Markup {
    let Some(audit) = AUDIT.get() else {
        return html! {};
    };
    let events = audit.bus.snapshot();
    html! {
        h2 { "Audit events" }
        p class="muted" {
            (events.len()) " published on the audit bus (newest first; all at "
            code { "/_local/api/audit-events" } ")"
        }
        table {
            tr { th { "time" } th { "detail-type" } th { "approval" } th { "who" } }
            @for e in events.iter().rev().take(SHOWN) {
                tr {
                    td class="muted" { (e["time"].as_str().unwrap_or_default()) }
                    td { (e["detail-type"].as_str().unwrap_or_default()) }
                    td { code { (e["detail"]["approvalId"].as_str().unwrap_or_default()) } }
                    td { (who(&e["detail"])) }
                }
            }
        }
    }
}
