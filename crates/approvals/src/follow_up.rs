//! Follow-up questions: after choosing, the person is asked one more thing ("Why?", "Which
//! ticket?", "How many replicas?") and the answer, checked by its kind, becomes part of the
//! decision. Channel-neutral: how the question is shown (a Slack modal, a field on a link's
//! confirmation page) is each channel's business; what an acceptable answer is lives here.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::input::{check_length, check_one_line, non_blank};
use crate::HitlError;

/// The longest question: it becomes a Slack input label and an HTML label.
pub const MAX_QUESTION_CHARS: usize = 500;
/// The longest text answer (Slack's `plain_text_input` takes up to 3000 characters).
pub const MAX_TEXT_ANSWER_CHARS: usize = 3000;
/// At most this many choices in `after` (as many as the buttons a request may have, and more).
pub const MAX_AFTER: usize = 25;

/// What kind of answer the question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// Free text: trimmed, at most [`MAX_TEXT_ANSWER_CHARS`] characters.
    Text,
    /// One email address (checked as approvers' addresses are, lower-cased).
    Email,
    /// A finite number, returned as a JSON number.
    Number,
}

impl AnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Text => "text",
            AnswerKind::Email => "email",
            AnswerKind::Number => "number",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "text" => Some(AnswerKind::Text),
            "email" => Some(AnswerKind::Email),
            "number" => Some(AnswerKind::Number),
            _ => None,
        }
    }
}

/// `followUp` as a workflow passes it: `{"question", "answer": "text"|"email"|"number",
/// "after"?: [choice values], "required"?: bool}`. Checked by [`FollowUpInput::validate`]; an
/// unknown field (a typo such as `requird`) is refused rather than silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FollowUpInput {
    /// What to ask after the choice: one line.
    #[schemars(required, length(min = 1, max = MAX_QUESTION_CHARS), pattern(crate::schema::ONE_LINE_PATTERN))]
    pub question: Option<String>,
    /// The kind of answer taken (default `text`).
    #[schemars(with = "Option<AnswerKind>")]
    pub answer: Option<String>,
    /// The choices (decision or button values) after which it is asked; absent: after every
    /// choice.
    #[schemars(length(max = MAX_AFTER))]
    pub after: Option<Vec<String>>,
    /// Whether an empty answer is refused (default true); when false it is recorded as `null`.
    pub required: Option<bool>,
}

/// A follow-up question, as stored on the approval record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub question: String,
    pub kind: AnswerKind,
    /// The choices (decision values) after which it is asked; empty: after every choice.
    pub after: Vec<String>,
    /// An empty answer is refused (the default); otherwise it is recorded as `null`.
    pub required: bool,
}

/// A typed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Text(String),
    Email(String),
    Number(Number),
}

impl Answer {
    pub fn kind(&self) -> AnswerKind {
        match self {
            Answer::Text(_) => AnswerKind::Text,
            Answer::Email(_) => AnswerKind::Email,
            Answer::Number(_) => AnswerKind::Number,
        }
    }

    /// The answer as text (a number in its JSON form), for pages, messages and storage.
    pub fn text(&self) -> String {
        match self {
            Answer::Text(t) | Answer::Email(t) => t.clone(),
            Answer::Number(n) => n.to_string(),
        }
    }

    /// The answer in the decision output: a string, or a JSON number.
    pub fn to_json(&self) -> Value {
        match self {
            Answer::Text(t) | Answer::Email(t) => Value::String(t.clone()),
            Answer::Number(n) => Value::Number(n.clone()),
        }
    }
}

/// The question as it was asked, and what was answered (`None`: left empty, allowed when the
/// question is not required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpAnswer {
    pub question: String,
    pub answer: Option<Answer>,
}

impl FollowUpAnswer {
    /// The answer as a person reads it; "(no answer)" for an optional question left empty.
    pub fn answer_text(&self) -> String {
        self.answer
            .as_ref()
            .map_or_else(|| "(no answer)".into(), Answer::text)
    }
}

/// Why an answer was refused: a sentence the person reads next to the field. Nothing is
/// recorded; they may answer again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRefused(pub String);

impl std::fmt::Display for AnswerRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FollowUpInput {
    /// The question, its kind, and the choices that trigger it: each of `after` must be one
    /// of `choices` (the values the request offers), so a typo cannot silently skip it.
    pub fn validate(self, choices: &[&str]) -> Result<FollowUp, HitlError> {
        let question = non_blank(self.question).ok_or_else(|| {
            HitlError::invalid_input("followUp.question is required: say what to ask")
        })?;
        check_length("followUp.question", &question, MAX_QUESTION_CHARS)?;
        check_one_line("followUp.question", &question)?;
        let kind = match non_blank(self.answer) {
            None => AnswerKind::Text,
            Some(kind) => AnswerKind::parse(&kind).ok_or_else(|| {
                HitlError::invalid_input(format!(
                    "followUp.answer must be text, email or number, not {kind:?}"
                ))
            })?,
        };
        let mut after: Vec<String> = Vec::new();
        for value in self.after.unwrap_or_default() {
            let value = value.trim().to_string();
            if !choices.contains(&value.as_str()) {
                return Err(HitlError::invalid_input(format!(
                    "followUp.after names {value:?}, which is none of the request's choices {choices:?}"
                )));
            }
            if !after.contains(&value) {
                after.push(value);
            }
        }
        if after.len() > MAX_AFTER {
            return Err(HitlError::invalid_input(format!(
                "followUp.after holds more than {MAX_AFTER} choices"
            )));
        }
        Ok(FollowUp {
            question,
            kind,
            after,
            required: self.required.unwrap_or(true),
        })
    }
}

impl FollowUp {
    /// Whether choosing `decision` (a decision value: `approve`, a button's value) asks it.
    pub fn applies_to(&self, decision: &str) -> bool {
        self.after.is_empty() || self.after.iter().any(|a| a == decision)
    }

    /// Checks what the person typed (`None`: the field was not sent) by the question's kind.
    pub fn answer(&self, given: Option<&str>) -> Result<FollowUpAnswer, AnswerRefused> {
        let given = given.map(str::trim).filter(|g| !g.is_empty());
        let answer = match given {
            None if self.required => {
                return Err(AnswerRefused("Please answer the question.".into()))
            }
            None => None,
            Some(given) => Some(parse_answer(self.kind, given)?),
        };
        Ok(FollowUpAnswer {
            question: self.question.clone(),
            answer,
        })
    }
}

/// One answer of `kind`, trimmed.
pub fn parse_answer(kind: AnswerKind, given: &str) -> Result<Answer, AnswerRefused> {
    let given = given.trim();
    match kind {
        AnswerKind::Text => {
            if given.chars().count() > MAX_TEXT_ANSWER_CHARS {
                return Err(AnswerRefused(format!(
                    "The answer is longer than {MAX_TEXT_ANSWER_CHARS} characters."
                )));
            }
            Ok(Answer::Text(given.to_string()))
        }
        AnswerKind::Email => crate::approval::normalize_email(given)
            .map(Answer::Email)
            .map_err(|_| {
                AnswerRefused(format!(
                    "\u{201c}{}\u{201d} is not an email address (expected name@example.com).",
                    shortened(given)
                ))
            }),
        AnswerKind::Number => {
            let number = parse_number(given).ok_or_else(|| {
                AnswerRefused(format!(
                    "\u{201c}{}\u{201d} is not a number (expected digits such as 42 or -3.5).",
                    shortened(given)
                ))
            })?;
            if !storable(&number) {
                return Err(AnswerRefused(format!(
                    "\u{201c}{}\u{201d} is too large or too small a number (at most 1e125 in size, at least 1e-130 unless 0).",
                    shortened(given)
                )));
            }
            Ok(Answer::Number(number))
        }
    }
}

/// A finite number: an integer stays an integer (`42`, not `42.0`).
fn parse_number(given: &str) -> Option<Number> {
    if let Ok(i) = given.parse::<i64>() {
        return Some(Number::from(i));
    }
    let looks_numeric = given
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    let f: f64 = given.parse().ok().filter(|_| looks_numeric)?;
    Number::from_f64(f).filter(|_| f.is_finite())
}

/// Within what the store keeps: DynamoDB numbers run from 1e-130 to just under 1e126 in size.
fn storable(number: &Number) -> bool {
    let size = number.as_f64().map_or(0.0, f64::abs);
    size == 0.0 || (1e-130..1e126).contains(&size)
}

/// A refused answer quoted back: at most 60 characters of it.
fn shortened(given: &str) -> String {
    let mut short: String = given.chars().take(60).collect();
    if given.chars().count() > 60 {
        short.push('\u{2026}');
    }
    short
}

#[cfg(test)]
mod tests;
