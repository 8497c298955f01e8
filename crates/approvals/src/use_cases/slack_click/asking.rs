//! A click whose choice asks a follow-up question: the modal is opened instead of recording
//! anything, and its submission records the decision with the answer (or is refused with a
//! message under the field, recording nothing). Cancelling the modal decides nothing: the
//! message keeps its buttons.

use super::*;

/// Whether `click` must be answered with the request's question first: the request is open
/// and asks after this choice.
pub(super) fn asks(record: &ApprovalRecord, click: &Click, now: i64) -> bool {
    record.is_open(now)
        && record
            .question_after(click.decision.decision.as_str())
            .is_some()
}

/// Opens the question for the clicker. If Slack does not let us (the click's trigger expired,
/// was used, or Slack failed), nothing is decided and the clicker is told to click again.
pub(super) async fn ask(click: Click, record: ApprovalRecord, chat: Chat<'_>) -> ClickOutcome {
    let slack = chat.slack;
    let opened = match (&click.trigger_id, &record.follow_up) {
        (Some(trigger), Some(question)) => {
            let view = chat.format.follow_up_view(&record, question, &click);
            slack.open_view(trigger, &view).await
        }
        _ => Err(HitlError::invalid_input("the click carried no trigger_id")),
    };
    match opened {
        Ok(()) => ClickOutcome::Asked {
            approval_id: click.approval_id,
        },
        Err(err) => {
            tracing::warn!(approval_id = %click.approval_id, error = err.name(), message = %err, "follow-up question not opened");
            let reason = "This answer comes with a question, and Slack did not let us open it in time. Nothing was decided: click the button again.".to_string();
            tell(slack, &click, &reason).await;
            ClickOutcome::Refused {
                error: "Slack.ViewNotOpened",
                reason,
            }
        }
    }
}

/// A submitted question: checked again like a click (workspace, the request's own message, the
/// allow-list), then its answer by the question's kind; a refused answer records nothing.
pub(super) async fn record_submission(
    submission: Submission,
    workspace: Option<&str>,
    store: &dyn ApprovalStore,
    now: i64,
) -> Result<ClickStep, HitlError> {
    let Submission { click, answer } = submission;
    let (mut click, record) = match checked(click, workspace, store).await? {
        Checked::Allowed(click, record) => (click, record),
        Checked::Refused(step) => return Ok(step),
    };
    let open = record.is_open(now);
    if let Some(question) = record.question_after(click.decision.decision.as_str()) {
        match question.answer(answer.as_deref()) {
            Ok(answered) => click.decision.follow_up = Some(answered),
            Err(refusal) if open => {
                return Ok(ClickStep::AnswerRefused {
                    click,
                    reason: refusal.0,
                })
            }
            // Decided or expired meanwhile: the write below says so; the answer is moot.
            Err(_) => {}
        }
    }
    write(click, store, now).await
}
