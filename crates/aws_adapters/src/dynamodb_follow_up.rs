//! How a follow-up question (on the record) and its answer (on the decision) are laid out as
//! DynamoDB attributes. A number answer is a DynamoDB number; text and email are strings.

use approvals::follow_up::parse_answer;
use approvals::{Answer, AnswerKind, FollowUp, FollowUpAnswer, HitlError};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb_item::{corrupt, get_s, s, Item};

fn kind_of(name: Option<&str>, field: &str) -> Result<AnswerKind, HitlError> {
    match name {
        Some("text") => Ok(AnswerKind::Text),
        Some("email") => Ok(AnswerKind::Email),
        Some("number") => Ok(AnswerKind::Number),
        _ => Err(corrupt(field)),
    }
}

/// The question of a request: `followUp` as one map.
pub fn question_attributes(f: &FollowUp) -> Item {
    let question = Item::from([
        ("question".to_string(), s(&f.question)),
        ("kind".to_string(), s(f.kind.as_str())),
        (
            "after".to_string(),
            AttributeValue::L(f.after.iter().map(|a| s(a)).collect()),
        ),
        ("required".to_string(), AttributeValue::Bool(f.required)),
    ]);
    Item::from([("followUp".to_string(), AttributeValue::M(question))])
}

pub fn question_from(item: &Item) -> Result<Option<FollowUp>, HitlError> {
    let Some(m) = item.get("followUp").map(|v| v.as_m()) else {
        return Ok(None);
    };
    let m = m.map_err(|_| corrupt("followUp"))?;
    Ok(Some(FollowUp {
        question: get_s(m, "question").ok_or_else(|| corrupt("followUp.question"))?,
        kind: kind_of(get_s(m, "kind").as_deref(), "followUp.kind")?,
        after: m
            .get("after")
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|a| a.as_s().ok().cloned()).collect())
            .unwrap_or_default(),
        required: m
            .get("required")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(true),
    }))
}

/// The answer of a decision, beside its other attributes: `followUpQuestion`, and, when
/// answered, `followUpKind` and `followUpAnswer`.
pub fn answer_attributes(a: &FollowUpAnswer) -> Item {
    let mut item = Item::from([("followUpQuestion".to_string(), s(&a.question))]);
    if let Some(answer) = &a.answer {
        item.insert("followUpKind".into(), s(answer.kind().as_str()));
        let value = match answer {
            Answer::Number(n) => AttributeValue::N(n.to_string()),
            other => s(&other.text()),
        };
        item.insert("followUpAnswer".into(), value);
    }
    item
}

pub fn answer_from(item: &Item) -> Result<Option<FollowUpAnswer>, HitlError> {
    let Some(question) = get_s(item, "followUpQuestion") else {
        return Ok(None);
    };
    let answer = match item.get("followUpAnswer") {
        None => None,
        Some(value) => {
            let kind = kind_of(get_s(item, "followUpKind").as_deref(), "followUpKind")?;
            let text = match value {
                AttributeValue::N(n) | AttributeValue::S(n) => n,
                _ => return Err(corrupt("followUpAnswer")),
            };
            // Stored only after this check passed: it gives the same answer back.
            Some(parse_answer(kind, text).map_err(|_| corrupt("followUpAnswer"))?)
        }
    };
    Ok(Some(FollowUpAnswer { question, answer }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_and_answers_round_trip() {
        let question = FollowUp {
            question: "How many?".into(),
            kind: AnswerKind::Number,
            after: vec!["reject".into()],
            required: false,
        };
        assert_eq!(
            question_from(&question_attributes(&question)).unwrap(),
            Some(question)
        );
        assert_eq!(question_from(&Item::new()).unwrap(), None);
        for answer in [
            Some(Answer::Number(serde_json::Number::from_f64(2.5).unwrap())),
            Some(Answer::Number(7.into())),
            Some(Answer::Email("a@b.co".into())),
            Some(Answer::Text("because".into())),
            None,
        ] {
            let answered = FollowUpAnswer {
                question: "Q?".into(),
                answer,
            };
            let item = answer_attributes(&answered);
            assert_eq!(answer_from(&item).unwrap(), Some(answered));
        }
        let number = answer_attributes(&FollowUpAnswer {
            question: "Q?".into(),
            answer: Some(Answer::Number(7.into())),
        });
        assert_eq!(number["followUpAnswer"], AttributeValue::N("7".into()));
    }
}
