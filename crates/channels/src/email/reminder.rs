//! Reminders by email: the approval email again, each person with their own links, under
//! "Reminder: <title>"; or, when the request was settled while the reminder was on its way, a
//! note without links saying who decided. [`ReminderMessages`] is also what the reminder use
//! case needs rendered for Slack ([`crate::slack::reminder`]) and Teams
//! ([`crate::teams::reminder`]).

use approvals::approval::rfc3339;
use approvals::ports::{OutgoingEmail, SlackMessage};
use approvals::use_cases::reminders::{Reminder, ReminderFormat};
use approvals::{CreateLinksOutput, HitlError, RecordedDecision};
use serde_json::Value;

use super::{build_emails, Recipients, SendEmailInput, MAX_SUBJECT_CHARS};

/// The reminders of every channel ([`ReminderFormat`]).
pub struct ReminderMessages;

impl ReminderFormat for ReminderMessages {
    fn reminder_emails(
        &self,
        reminder: &Reminder,
        links: &CreateLinksOutput,
        from: &str,
    ) -> Result<Vec<OutgoingEmail>, HitlError> {
        reminder_emails(reminder, links, from)
    }

    fn slack_reminder(&self, reminder: &Reminder) -> SlackMessage {
        crate::slack::reminder::reminder_message(reminder)
    }

    fn teams_reminder(&self, reminder: &Reminder) -> Value {
        crate::teams::reminder::reminder_card(reminder)
    }
}

/// One email per person in `links.links`: waiting approvers and escalation targets are told
/// why each is asked; after a settlement, each is told who decided (no links).
pub fn reminder_emails(
    reminder: &Reminder,
    links: &CreateLinksOutput,
    from: &str,
) -> Result<Vec<OutgoingEmail>, HitlError> {
    let people: Vec<String> = links.links.iter().map(|l| l.approver.clone()).collect();
    if let Some(decision) = &reminder.decided {
        return people
            .into_iter()
            .map(|to| decided_email(reminder, decision, to, from))
            .collect::<Result<Vec<_>, _>>()
            .map(|emails| emails.into_iter().flatten().collect());
    }
    let escalated = |who: &String| {
        reminder
            .escalation
            .iter()
            .any(|t| t.eq_ignore_ascii_case(who))
    };
    let (targets, approvers): (Vec<String>, Vec<String>) = people.into_iter().partition(escalated);
    let mut emails = Vec::new();
    for (group, message) in [
        (approvers, approver_paragraph(reminder)),
        (targets, escalation_paragraph(reminder)),
    ] {
        if group.is_empty() {
            continue;
        }
        let input = SendEmailInput {
            to: Some(Recipients::Many(group)),
            subject: Some(subject("Reminder", &reminder.title)),
            approval: Some(links.clone()),
            message: Some(message),
            ..SendEmailInput::default()
        };
        emails.extend(build_emails(input, from)?);
    }
    Ok(emails)
}

/// `"{what}: {title}"`, the title shortened to fit a subject.
fn subject(what: &str, title: &str) -> String {
    let room = MAX_SUBJECT_CHARS - what.chars().count() - 2;
    let title: String = match title.chars().count() > room {
        true => title.chars().take(room - 1).chain(['\u{2026}']).collect(),
        false => title.to_string(),
    };
    format!("{what}: {title}")
}

/// What a waiting approver reads above their buttons.
fn approver_paragraph(reminder: &Reminder) -> String {
    let mut text = format!(
        "Reminder {}: your answer is still needed (open until {}).",
        reminder.number,
        rfc3339(reminder.expires_at)
    );
    if let Some(tally) = &reminder.tally {
        text.push_str(&format!(
            " {} of {} approvals so far.",
            tally.approvals, tally.approvals_required
        ));
    }
    if reminder.escalated_now && !reminder.escalation.is_empty() {
        text.push_str(&format!(
            " It has now also been sent to {}, who may answer in place of an approver who has not.",
            reminder.escalation.join(", ")
        ));
    }
    text
}

/// What an escalation target reads above their buttons.
fn escalation_paragraph(reminder: &Reminder) -> String {
    let waiting = match reminder.waiting.is_empty() {
        true => String::new(),
        false => format!(" (still waiting for {})", reminder.waiting.join(", ")),
    };
    format!(
        "Reminder {}: this request was escalated to you{waiting}: your answer fills the place \
         of an approver who has not answered. Open until {}.",
        reminder.number,
        rfc3339(reminder.expires_at)
    )
}

/// The note a person gets instead of a reminder when the request was settled meanwhile.
fn decided_email(
    reminder: &Reminder,
    decision: &RecordedDecision,
    to: String,
    from: &str,
) -> Result<Vec<OutgoingEmail>, HitlError> {
    let text = format!(
        "{} was already decided: {} by {} at {}. No answer is needed from you.",
        reminder.title,
        decision.decision.past_tense(),
        decision.decided_by.name,
        rfc3339(decision.decided_at)
    );
    let input = SendEmailInput {
        to: Some(Recipients::One(to)),
        subject: Some(subject("Decided", &reminder.title)),
        text: Some(text),
        ..SendEmailInput::default()
    };
    build_emails(input, from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approvals::{ApprovalId, Channel, DecidedBy, Decision, RecipientLinks};

    fn reminder() -> Reminder {
        Reminder {
            approval_id: ApprovalId::from("a-1"),
            title: "Stop db-1".into(),
            number: 3,
            waiting: vec!["bob@corp.com".into()],
            escalation: vec!["lead@corp.com".into()],
            escalated_now: true,
            tally: None,
            expires_at: 1_800_000_000,
            decided: None,
        }
    }

    fn links() -> CreateLinksOutput {
        let pair = |who: &str, a: usize| RecipientLinks {
            approver: who.into(),
            approve_url: format!("https://x/decisions/a-1?d=approve&a={a}"),
            reject_url: format!("https://x/decisions/a-1?d=reject&a={a}"),
            buttons: Vec::new(),
        };
        CreateLinksOutput {
            approval_id: "a-1".into(),
            approve_url: None,
            reject_url: None,
            expires_at: "2027-01-15T08:00:00Z".into(),
            title: "Stop db-1".into(),
            description: None,
            links: vec![pair("bob@corp.com", 1), pair("lead@corp.com", 3)],
            buttons: Vec::new(),
        }
    }

    #[test]
    fn each_person_gets_their_own_links_and_the_escalation_is_said() {
        let emails = reminder_emails(&reminder(), &links(), "approvals@corp.com").unwrap();
        assert_eq!(emails.len(), 2);
        let (bob, lead) = (&emails[0], &emails[1]);
        assert_eq!(
            (bob.to.as_slice(), lead.to.as_slice()),
            (
                ["bob@corp.com".to_string()].as_slice(),
                ["lead@corp.com".to_string()].as_slice()
            )
        );
        assert_eq!(bob.subject, "Reminder: Stop db-1");
        assert!(
            bob.text.contains("a=1") && !bob.text.contains("a=3"),
            "{}",
            bob.text
        );
        assert!(
            lead.text.contains("a=3") && !lead.text.contains("a=1"),
            "{}",
            lead.text
        );
        assert!(
            bob.text.contains("also been sent to lead@corp.com"),
            "{}",
            bob.text
        );
        assert!(
            lead.text
                .contains("Reminder 3: this request was escalated to you"),
            "{}",
            lead.text
        );
        assert!(
            lead.text.contains("still waiting for bob@corp.com"),
            "{}",
            lead.text
        );
    }

    #[test]
    fn after_a_settlement_the_note_says_who_decided_and_has_no_links() {
        let mut reminder = reminder();
        reminder.decided = Some(approvals::RecordedDecision {
            decision: Decision::Approve,
            decided_by: DecidedBy {
                id: "carol@corp.com".into(),
                name: "carol@corp.com".into(),
                channel: Channel::Email,
            },
            decided_at: 1_800_000_000,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: None,
            submission_id: None,
        });
        let emails = reminder_emails(&reminder, &links(), "approvals@corp.com").unwrap();
        assert_eq!(emails.len(), 2);
        assert_eq!(emails[0].subject, "Decided: Stop db-1");
        assert!(
            emails[0]
                .text
                .contains("already decided: approved by carol@corp.com"),
            "{}",
            emails[0].text
        );
        assert!(emails
            .iter()
            .all(|e| !e.text.contains("https://") && !e.html.contains("https://x/")));
    }

    #[test]
    fn a_long_title_still_makes_a_subject() {
        let title = "t".repeat(200);
        let subject = subject("Reminder", &title);
        assert_eq!(subject.chars().count(), MAX_SUBJECT_CHARS);
        assert!(subject.starts_with("Reminder: tttt") && subject.ends_with('\u{2026}'));
    }
}
