//! A reminder in Teams: a card the bot sends to the conversation of the request's card, naming
//! the approvers who have not answered (and the escalation targets once the request
//! escalated); or, after a settlement, who decided. Names and titles are TextRuns, which render
//! no markdown, so a typed name can never become a link.

use serde_json::{json, Value};

use approvals::approval::rfc3339;
use approvals::use_cases::reminders::Reminder;

use super::adaptive_card;

/// The card of `reminder`.
pub fn reminder_card(reminder: &Reminder) -> Value {
    let line = match &reminder.decided {
        Some(decision) => format!(
            "Already decided: {} by {} at {}. No answer is needed.",
            decision.decision.past_tense(),
            decision.decided_by.name,
            rfc3339(decision.decided_at)
        ),
        None => ask(reminder),
    };
    let heading = format!("Reminder {}: {}", reminder.number, reminder.title);
    adaptive_card(vec![plain(&heading, true), plain(&line, false)], Vec::new())
}

fn ask(reminder: &Reminder) -> String {
    let mut text = String::from("Still waiting for an answer");
    if !reminder.waiting.is_empty() {
        text.push_str(&format!(" from {}", reminder.waiting.join(", ")));
    }
    if let Some(tally) = &reminder.tally {
        text.push_str(&format!(
            " ({} of {} approved)",
            tally.approvals, tally.approvals_required
        ));
    }
    text.push_str(&format!(" before {}.", rfc3339(reminder.expires_at)));
    if !reminder.escalation.is_empty() {
        let lead = match reminder.escalated_now {
            true => "Escalated to",
            false => "Also asked, since the escalation:",
        };
        text.push_str(&format!(
            " {lead} {}, whose answer fills the place of an approver who has not answered.",
            reminder.escalation.join(", ")
        ));
    }
    text
}

/// Text shown as typed (a RichTextBlock's TextRun renders no markdown).
fn plain(text: &str, bold: bool) -> Value {
    let mut run = json!({"type": "TextRun", "text": text});
    if bold {
        run["weight"] = json!("bolder");
    }
    json!({"type": "RichTextBlock", "inlines": [run]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use approvals::ApprovalId;

    #[test]
    fn the_card_names_who_is_asked_as_plain_text() {
        let reminder = Reminder {
            approval_id: ApprovalId::from("a-1"),
            title: "Stop [db-1](https://evil.example)".into(),
            number: 1,
            waiting: vec!["Bob Smith".into()],
            escalation: vec!["lead@corp.com".into()],
            escalated_now: true,
            tally: None,
            expires_at: 1_800_000_000,
            decided: None,
        };
        let card = reminder_card(&reminder);
        let runs: Vec<&str> = card["body"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                assert_eq!(b["type"], "RichTextBlock");
                b["inlines"][0]["text"].as_str().unwrap()
            })
            .collect();
        assert_eq!(runs[0], "Reminder 1: Stop [db-1](https://evil.example)");
        assert!(runs[1].contains("from Bob Smith"), "{}", runs[1]);
        assert!(
            runs[1].contains("Escalated to lead@corp.com"),
            "{}",
            runs[1]
        );
        assert!(card.get("actions").is_none());
    }
}
