//! What each link page shows, and to whom.

use approvals::follow_up::{Answer, FollowUpAnswer};
use approvals::use_cases::{FormField, LinkView, TypedForm};
use approvals::{ApprovalRecord, Channel, DecidedBy, Decision, LinkSigner, RecordedDecision};

use super::render;

const NOW: i64 = 1_800_000_000;

fn decided_record() -> ApprovalRecord {
    let mut record = ApprovalRecord::new("a-1", "t".into(), Channel::Email, NOW, NOW + 60, 1);
    record.decision = Some(RecordedDecision {
        decision: Decision::Reject,
        decided_by: DecidedBy {
            id: "link".into(),
            name: "Dana".into(),
            channel: Channel::Email,
        },
        decided_at: NOW + 5,
        comment: Some("the db password is hunter2".into()),
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: Some(FollowUpAnswer {
            question: "Why?".into(),
            answer: Some(Answer::Text("private reason".into())),
        }),
        submission_id: Some("s1".into()),
    });
    record
}

/// A request posted to several channels is decided on any of them: the page says which.
#[test]
fn the_decided_line_says_where_it_was_decided() {
    for (channel, name, where_) in [
        (Channel::Slack, "U0DANA", "in Slack"),
        (Channel::Teams, "Dana Ops", "in Teams"),
    ] {
        let mut record = decided_record();
        let d = record.decision.as_mut().unwrap();
        d.decided_by.channel = channel;
        d.decided_by.name = name.into();
        for page in [
            render(&LinkView::AlreadyDecided {
                record: record.clone(),
            }),
            render(&LinkView::Recorded {
                record: record.clone(),
                delivery: approvals::use_cases::Delivery::Delivered,
            }),
        ] {
            let line = format!("Rejected by {name} at 2027-01-15T08:00:05Z, {where_}.");
            assert!(page.html.contains(&line), "{line} not in {}", page.html);
        }
    }
}

#[test]
fn the_already_decided_page_shows_who_decided_what_and_when_only() {
    let page = render(&LinkView::AlreadyDecided {
        record: decided_record(),
    });
    assert_eq!(page.status, 409);
    assert!(
        page.html
            .contains("Rejected by Dana at 2027-01-15T08:00:05Z, by email."),
        "{}",
        page.html
    );
    for private in ["hunter2", "private reason", "Why?"] {
        assert!(
            !page.html.contains(private),
            "{private} shown to any link holder"
        );
    }
    // The person who just decided sees what they typed.
    let page = render(&LinkView::Recorded {
        record: decided_record(),
        delivery: approvals::use_cases::Delivery::Delivered,
    });
    assert!(page.html.contains("hunter2") && page.html.contains("private reason"));
}

fn confirm(field: Option<FormField>) -> LinkView {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let url = signer.link_url("h", "a-1", Decision::Approve, NOW + 60, None);
    let query = url.split_once('?').unwrap().1;
    let params = approvals::approval_links::LinkParams::from_urlencoded(query);
    let link = signer.verify("a-1", &params, NOW).unwrap();
    let record = ApprovalRecord::new("a-1", "t".into(), Channel::Email, NOW, NOW + 60, 1);
    let submission = "0123abcd".to_string();
    match field {
        None => LinkView::Confirm {
            record,
            link,
            params,
            approver: None,
            submission,
        },
        Some(field) => LinkView::AnswerRefused {
            record,
            link,
            params,
            approver: None,
            submission,
            field,
            reason: "Your name cannot contain control characters.".into(),
            typed: TypedForm {
                name: Some("Dana\u{1b}".into()),
                comment: None,
                answer: None,
            },
        },
    }
}

#[test]
fn the_confirmation_form_carries_its_submission_id_and_the_servers_limits() {
    let html = render(&confirm(None)).html;
    assert!(
        html.contains("<input type=\"hidden\" name=\"submission\" value=\"0123abcd\">"),
        "{html}"
    );
    assert!(html.contains("name=\"name\" maxlength=\"100\""), "{html}");
    assert!(html.contains("rows=\"3\" maxlength=\"1000\""), "{html}");
}

#[test]
fn a_refused_name_is_said_next_to_the_name_and_the_page_keeps_its_submission() {
    let page = render(&confirm(Some(FormField::Name)));
    assert_eq!(page.status, 422);
    let at_name = page
        .html
        .find("id=\"name-error\"")
        .expect("the reason, at the name");
    assert!(at_name < page.html.find("id=\"name\" name=\"name\"").unwrap());
    assert!(page.html.contains("value=\"0123abcd\""), "{}", page.html);
}

#[test]
fn a_failure_page_says_whether_the_click_was_taken() {
    let reason = String::from("timeout");
    let not_taken = render(&LinkView::Unavailable {
        reason: reason.clone(),
    });
    assert_eq!(not_taken.status, 503);
    assert!(not_taken.html.contains("Your click was not taken"));
    let unknown = render(&LinkView::Unconfirmed {
        reason,
        resubmit: Some(approvals::use_cases::Resubmit {
            approval_id: "a-1".into(),
            fields: vec![
                ("sig".into(), "s1g".into()),
                ("submission".into(), "5ub".into()),
                ("name".into(), "Dana".into()),
            ],
        }),
    });
    assert_eq!(unknown.status, 503);
    let html = &unknown.html;
    assert!(html.contains("couldn't confirm your decision"), "{html}");
    assert!(html.contains("Submitting the same decision again is safe"));
    for never in [
        "not taken",
        "Try again",
        "try again",
        "nothing was recorded",
    ] {
        assert!(
            !html.contains(never),
            "{never:?} for a click that may be recorded"
        );
    }
    // The same form comes back, submission id and all, so a second submission is the same.
    assert!(
        html.contains("<form method=\"post\" action=\"a-1\">"),
        "{html}"
    );
    for (name, value) in [("sig", "s1g"), ("submission", "5ub"), ("name", "Dana")] {
        let hidden = format!("<input type=\"hidden\" name=\"{name}\" value=\"{value}\">");
        assert!(html.contains(&hidden), "{hidden} in {html}");
    }
}

#[test]
fn a_decision_the_workflow_refused_for_good_is_never_shown_as_effective() {
    // The person who decided, when Step Functions refused it for good as they clicked.
    let page = render(&LinkView::Recorded {
        record: decided_record(),
        delivery: approvals::use_cases::Delivery::Refused,
    });
    assert!(page
        .html
        .contains("Not delivered: the workflow refused this decision"));
    assert!(!page.html.contains("continues now") && !page.html.contains("is told"));
    // Anyone else, later: the record says it was given up.
    let mut record = decided_record();
    record.delivery.failed = Some(approvals::DeliveryFailure {
        reason: "Hitl.DependencyFailed: AccessDeniedException".into(),
        at: NOW + 6,
    });
    let page = render(&LinkView::AlreadyDecided { record });
    assert!(page.html.contains("id=\"not-delivered\""), "{}", page.html);
    assert!(
        !page.html.contains("AccessDenied"),
        "the reason is for operators"
    );
}
