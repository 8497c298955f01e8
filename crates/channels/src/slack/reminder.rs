//! A reminder in Slack: a reply in the request's thread (the use case sets `thread_ts`) that
//! mentions the approvers who have not answered, and the escalation targets once the request
//! escalated; or, after a settlement, who decided. Everything from outside is escaped.

use approvals::approval::rfc3339;
use approvals::ports::SlackMessage;
use approvals::use_cases::reminders::Reminder;

use super::{mrkdwn_escape, mrkdwn_inert};

/// The thread reply of `reminder`.
pub fn reminder_message(reminder: &Reminder) -> SlackMessage {
    let text = match &reminder.decided {
        Some(decision) => {
            let who = match &decision.slack_user {
                Some(user) => mention(&user.id),
                None => mrkdwn_inert(&decision.decided_by.name),
            };
            format!(
                ":ballot_box_with_check: Already decided: *{}* by {who} at {}. No answer is needed.",
                mrkdwn_escape(&decision.decision.past_tense()),
                rfc3339(decision.decided_at)
            )
        }
        None => ask(reminder),
    };
    SlackMessage {
        text,
        ..SlackMessage::default()
    }
}

fn ask(reminder: &Reminder) -> String {
    let mut text = format!(
        ":bell: Reminder {}: *{}* still needs an answer",
        reminder.number,
        mrkdwn_escape(&reminder.title)
    );
    let asked: Vec<String> = reminder.waiting.iter().map(|w| mention(w)).collect();
    if !asked.is_empty() {
        text.push_str(&format!(" from {}", asked.join(", ")));
    }
    if let Some(tally) = &reminder.tally {
        text.push_str(&format!(
            " ({} of {} approved)",
            tally.approvals, tally.approvals_required
        ));
    }
    text.push_str(&format!(" before {}.", rfc3339(reminder.expires_at)));
    if !reminder.escalation.is_empty() {
        let targets: Vec<String> = reminder.escalation.iter().map(|t| mention(t)).collect();
        let lead = match reminder.escalated_now {
            true => "Escalated to",
            false => "Also asked, since the escalation:",
        };
        text.push_str(&format!(
            " {lead} {}: an answer from them fills the place of an approver who has not answered.",
            targets.join(", ")
        ));
    }
    text
}

/// A Slack user id (`U…`, `W…`) as a mention; anything else (an address) as inert text.
fn mention(who: &str) -> String {
    let user_id = who.len() >= 3
        && who.starts_with(['U', 'W'])
        && who
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    match user_id {
        true => format!("<@{who}>"),
        false => mrkdwn_inert(who),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approvals::ApprovalId;

    fn reminder() -> Reminder {
        Reminder {
            approval_id: ApprovalId::from("a-1"),
            title: "Stop <!channel> db-1".into(),
            number: 2,
            waiting: vec!["U0BOB".into(), "carol@corp.com".into()],
            escalation: vec!["U0LEAD".into()],
            escalated_now: true,
            tally: None,
            expires_at: 1_800_000_000,
            decided: None,
        }
    }

    #[test]
    fn the_waiting_and_the_escalation_are_mentioned_and_the_title_is_inert() {
        let text = reminder_message(&reminder()).text;
        assert!(
            text.starts_with(":bell: Reminder 2: *Stop &lt;!channel&gt; db-1*"),
            "{text}"
        );
        assert!(text.contains("from <@U0BOB>, carol@corp.com"), "{text}");
        assert!(text.contains("Escalated to <@U0LEAD>"), "{text}");
    }

    #[test]
    fn without_named_approvers_the_thread_is_reminded_without_mentions() {
        let mut reminder = reminder();
        reminder.waiting.clear();
        reminder.escalation.clear();
        let text = reminder_message(&reminder).text;
        assert!(!text.contains("<@"), "{text}");
        assert!(text.contains("still needs an answer before"), "{text}");
    }
}
