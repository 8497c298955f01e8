//! The Block Kit we post: the request with its buttons, and the same message once decided
//! (buttons replaced by the outcome line).

use serde_json::{json, Value};

use super::*;
use approvals::quorum::{Tally, Vote};
use approvals::Channel;

pub(crate) fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

pub(crate) fn button_element(i: usize, b: &Button) -> Value {
    let mut element = json!({
        "type": "button",
        "action_id": format!("hitl_button_{i}"),
        "text": plain(b.label.as_deref().unwrap_or_default().trim()),
        "value": b.value.as_deref().unwrap_or_default().trim(),
    });
    if let Some(style) = &b.style {
        element["style"] = json!(style);
    }
    if let Some(c) = &b.confirm {
        element["confirm"] = json!({
            "title": plain(c.title.as_deref().unwrap_or("Are you sure?")),
            "text": {"type": "mrkdwn", "text": c.text.as_deref().unwrap_or("Please confirm.")},
            "confirm": plain(c.confirm.as_deref().unwrap_or("Yes")),
            "deny": plain(c.deny.as_deref().unwrap_or("Cancel")),
        });
    }
    element
}

/// The blocks of a Request Action message: header, text, and the buttons under a `block_id`
/// that names the approval.
pub fn request_blocks(
    approval_id: &str,
    header: Option<&str>,
    text: &str,
    buttons: &[Button],
) -> Vec<Value> {
    let mut blocks = Vec::new();
    if let Some(header) = header {
        blocks.push(json!({"type": "header", "text": plain(header)}));
    }
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    blocks.push(json!({
        "type": "actions",
        "block_id": format!("{BLOCK_ID_PREFIX}{approval_id}"),
        "elements": buttons.iter().enumerate().map(|(i, b)| button_element(i, b)).collect::<Vec<_>>(),
    }));
    blocks
}

/// The message after the outcome: the same blocks without their buttons (nor a progress
/// line), and a line that says what happened, who and when.
pub fn outcome_blocks(original: &[Value], outcome: &str) -> Vec<Value> {
    let mut blocks: Vec<Value> = original
        .iter()
        .filter(|b| b["type"] != "actions" && b["type"] != "input" && !is_progress(b))
        .cloned()
        .map(|mut b| {
            if answers(&b["accessory"]) {
                b.as_object_mut().map(|o| o.remove("accessory"));
            }
            b
        })
        .collect();
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": outcome}]}));
    blocks
}

/// The `block_id` of the progress line of a request with a quorum (replaced, not repeated, by
/// the next vote; dropped with the buttons once settled).
pub const PROGRESS_BLOCK_ID: &str = "hitl_progress";

fn is_progress(block: &Value) -> bool {
    block["block_id"] == PROGRESS_BLOCK_ID
}

/// The message of an open request with a quorum: its blocks, buttons kept, and the progress
/// line under them in place of an earlier one. A message already at Slack's block limit keeps
/// its blocks as they are (the buttons matter more than the line).
pub fn progress_blocks(original: &[Value], progress: &str) -> Vec<Value> {
    let mut blocks: Vec<Value> = original
        .iter()
        .filter(|b| !is_progress(b))
        .cloned()
        .collect();
    if blocks.len() < MAX_BLOCKS {
        blocks.push(json!({"type": "context", "block_id": PROGRESS_BLOCK_ID,
            "elements": [{"type": "mrkdwn", "text": progress}]}));
    }
    blocks
}

/// Block Kit's limit on a context block's elements.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;

/// The settled message of a request with a quorum: [`outcome_blocks`], then one line per vote
/// (context blocks of at most [`MAX_CONTEXT_ELEMENTS`]), within [`MAX_BLOCKS`]: votes that do
/// not fit are counted in a last line (the workflow's output has them all).
pub fn votes_outcome_blocks(original: &[Value], outcome: &str, votes: &[Vote]) -> Vec<Value> {
    let mut blocks = outcome_blocks(original, outcome);
    let room = MAX_BLOCKS.saturating_sub(blocks.len()) * MAX_CONTEXT_ELEMENTS;
    let mut lines: Vec<String> = votes.iter().map(vote_line).collect();
    if lines.len() > room && room > 0 {
        let left_out = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push(format!(
            "…and {left_out} more votes (the workflow's output lists them all)"
        ));
    }
    for chunk in lines
        .chunks(MAX_CONTEXT_ELEMENTS)
        .take(room / MAX_CONTEXT_ELEMENTS)
    {
        let elements: Vec<Value> = chunk
            .iter()
            .map(|text| json!({"type": "mrkdwn", "text": text}))
            .collect();
        blocks.push(json!({"type": "context", "elements": elements}));
    }
    blocks
}

/// One vote: who, what, when (the decided line, follow-up answer included) and where.
pub(crate) fn vote_line(vote: &Vote) -> String {
    let by = &vote.decision.decided_by;
    let channel = match by.channel {
        Channel::Email => "by email",
        Channel::Slack => "in Slack",
        Channel::Teams => "in Teams",
    };
    let verified = if by.verified() { "" } else { ", unverified" };
    let line = format!("{} ({channel}{verified})", decided_line(&vote.decision));
    // Within Block Kit's 3000 characters per text, whatever the answer was.
    shortened(&line, MAX_TEXT_CHARS - 1)
}

/// How the waiting list names a slot: a Slack user id as a mention, anything else (an address)
/// as inert text.
pub(crate) fn slot_label(label: &str) -> String {
    let user_id = label.len() >= 3
        && label.starts_with(['U', 'W'])
        && label
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    match user_id {
        true => format!("<@{label}>"),
        false => mrkdwn_inert(label),
    }
}

pub use approvals::quorum::SHOWN_WAITING;

/// "1 of 2 approved; waiting for <@U2>, <@U3>" (and the rejects, once some came in).
pub(crate) fn progress_line(tally: &Tally) -> String {
    tally.progress_line(slot_label)
}

/// The outcome of a settled request with a quorum, with the tally that made it.
pub(crate) fn settled_line(outcome: &Decision, tally: &Tally) -> String {
    let (a, n) = (tally.approvals, tally.approvals_required);
    let (r, m) = (tally.rejections, tally.rejections_required);
    match outcome {
        Decision::Approve => format!(":white_check_mark: *Approved*: {a} of {n} approved"),
        Decision::Reject if r >= m => format!(":x: *Rejected*: {r} of {m} rejected"),
        Decision::Reject => format!(
            ":x: *Rejected*: {n} approvals can no longer be reached ({a} approved, {r} rejected)"
        ),
        Decision::Custom(_) => format!(":ballot_box_with_check: *Decided*: {a} of {n} approved"),
    }
}

/// What a voter is told when their vote counted and the request is still open.
pub(crate) fn counted_note(vote: &RecordedDecision, tally: &Tally) -> String {
    let what = match vote.decision {
        Decision::Approve => "approval",
        Decision::Reject => "rejection",
        Decision::Custom(_) => "vote",
    };
    format!("Your {what} is counted: {}.", progress_line(tally))
}

/// Whether a message holds an element whose action can answer (a button, a select, radio
/// buttons, checkboxes, a picker...): then a workflow can wait on it.
pub(crate) fn has_buttons(blocks: &[Value]) -> bool {
    !answering_elements(blocks).is_empty()
}

fn answers(element: &Value) -> bool {
    element["type"]
        .as_str()
        .is_some_and(|t| crate::slack_click::ANSWERING_TYPES.contains(&t))
}

/// The elements of a message whose action can answer: in `actions` blocks, as a section's
/// accessory, or in an `input` block that dispatches its action.
pub(crate) fn answering_elements(blocks: &[Value]) -> Vec<&Value> {
    let mut found = Vec::new();
    for b in blocks {
        let elements = b["elements"].as_array().into_iter().flatten();
        found.extend(elements.filter(|e| answers(e)));
        if answers(&b["accessory"]) {
            found.push(&b["accessory"]);
        }
        if b["type"] == "input" && answers(&b["element"]) {
            found.push(&b["element"]);
        }
    }
    found
}

/// Text from outside (a click's value, a name, a workspace id) made safe to show in Slack
/// mrkdwn: `&`, `<` and `>` become entities, as Slack asks, so it can never turn into a
/// mention, a link or a `<!channel>` ping.
pub fn mrkdwn_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A name typed on a shared link, made inert in Slack mrkdwn: escaped as [`mrkdwn_escape`]
/// does, and its formatting characters (`*` bold, `_` italic, `~` strike, `` ` `` code), which
/// Slack has no escape for, shown as look-alikes, so "*CEO*" is shown as typed, never as
/// formatting.
pub fn mrkdwn_inert(text: &str) -> String {
    mrkdwn_escape(text)
        .chars()
        .map(|c| match c {
            '*' => '\u{2217}',
            '_' => '\u{ff3f}',
            '~' => '\u{223c}',
            '`' => '\u{02cb}',
            c => c,
        })
        .collect()
}

/// How much of a follow-up question and answer the decided message shows. Escaped (up to five
/// characters each), they keep the line within Slack's 3000 characters per text.
pub const SHOWN_QUESTION_CHARS: usize = 150;
pub const SHOWN_ANSWER_CHARS: usize = 300;

fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}\u{2026}", &text[..cut]),
        None => text.to_string(),
    }
}

/// "✅ *Approved* by @alice at T": every part that came with the click is escaped.
pub(crate) fn decided_line(record: &RecordedDecision) -> String {
    let mark = match record.decision {
        Decision::Approve => ":white_check_mark:",
        Decision::Reject => ":x:",
        Decision::Custom(_) => ":ballot_box_with_check:",
    };
    let who = match &record.slack_user {
        Some(user) => format!("<@{}>", mrkdwn_escape(&user.id)),
        // A name typed on a shared link: whatever it holds, shown as text.
        None => mrkdwn_inert(&record.decided_by.name),
    };
    let answered = record
        .follow_up
        .as_ref()
        .map(|f| {
            let answer = f.answer_text();
            // Shortened: Slack refuses a text over 3000 characters, and a refused update would
            // leave the buttons on the message. The whole answer is in the decision output.
            format!(
                " · {} {}",
                mrkdwn_escape(&shortened(&f.question, SHOWN_QUESTION_CHARS)),
                mrkdwn_escape(&shortened(&answer, SHOWN_ANSWER_CHARS))
            )
        })
        .unwrap_or_default();
    format!(
        "{mark} *{}* by {who} at {}{answered}",
        mrkdwn_escape(&capitalized(&record.decision.past_tense())),
        rfc3339(record.decided_at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approvals::follow_up::{Answer, FollowUpAnswer};
    use approvals::DecidedBy;

    #[test]
    fn the_decided_line_stays_within_slacks_text_limit_whatever_was_answered() {
        let record = RecordedDecision {
            decision: Decision::Reject,
            decided_by: DecidedBy {
                id: "U0ALICE".into(),
                name: "alice".into(),
                channel: Channel::Slack,
            },
            decided_at: 1_800_000_000,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            submission_id: None,
            follow_up: Some(FollowUpAnswer {
                question: "<".repeat(500),
                answer: Some(Answer::Text("<&>".repeat(1000))),
            }),
        };
        let line = decided_line(&record);
        assert!(line.chars().count() <= 3000, "{}", line.chars().count());
        assert!(line.ends_with('\u{2026}'), "shortened: {line}");
        assert!(!line.contains('<'), "still escaped");
    }

    #[test]
    fn a_typed_name_is_shown_inertly() {
        let mut record = RecordedDecision {
            decision: Decision::Approve,
            decided_by: DecidedBy {
                id: "link".into(),
                name: "*CEO* _x_ ~y~ `z` <!here> &amp;".into(),
                channel: Channel::Email,
            },
            decided_at: 1_800_000_000,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            submission_id: None,
            follow_up: None,
        };
        let line = decided_line(&record);
        let who = line.split(" by ").nth(1).unwrap();
        for markup in ['*', '_', '~', '`', '<', '>'] {
            assert!(!who.contains(markup), "{markup:?} in {who}");
        }
        assert!(who.starts_with("\u{2217}CEO\u{2217}"), "{who}");
        assert!(who.contains("&lt;!here&gt; &amp;amp;"), "{who}");
        // The outcome's own bold stays.
        record.decided_by.name = "Dana".into();
        assert!(decided_line(&record).starts_with(":white_check_mark: *Approved* by Dana at "));
    }
}
