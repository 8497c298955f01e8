//! No text a person or a workflow supplies can add markup to a link page or an email body:
//! with random text (`<`, `>`, `&`, quotes, `=`, whole tags) in every such field, the HTML has
//! exactly the tags and attributes it has with harmless text of the same shape, every tag is
//! one we write, and every `&` starts an entity.

use approvals::approval_links::LinkParams;
use approvals::follow_up::{Answer, FollowUp, FollowUpAnswer};
use approvals::use_cases::{Delivery, FormField, LinkView, TypedForm};
use approvals::{
    AnswerKind, ApprovalRecord, ButtonStyle, Channel, ChoiceButton, DecidedBy, Decision,
    RecordedDecision, SignedLink,
};
use channels::email::{build_emails, SendEmailInput};
use channels::pages::{bad_request, render};
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_800_000_000;

/// The only elements our pages and emails hold (`br`: a notification's line breaks).
const OUR_TAGS: [&str; 19] = [
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "div", "h1", "h2", "p", "strong",
    "form", "input", "label", "textarea", "button", "a", "br",
];

/// Every string a requester, an approver or a workflow controls.
#[derive(Debug, Clone)]
struct Fields {
    approval_id: String,
    title: String,
    description: String,
    label: String,
    value: String,
    question: String,
    name: String,
    comment: String,
    answer: String,
    approver: String,
    submission: String,
    param: String,
    reason: String,
    url: String,
    message: String,
    /// Several lines and paragraphs: a notification's text.
    text: String,
}

impl Fields {
    /// The same fields with every character that could mean markup replaced by `x` (spaces
    /// and line breaks kept, so what is trimmed or split stays the same).
    fn harmless(&self) -> Fields {
        let tame = |s: &String| -> String {
            s.chars()
                .map(|c| if c.is_whitespace() { c } else { 'x' })
                .collect()
        };
        Fields {
            approval_id: tame(&self.approval_id),
            title: tame(&self.title),
            description: tame(&self.description),
            label: tame(&self.label),
            value: tame(&self.value),
            question: tame(&self.question),
            name: tame(&self.name),
            comment: tame(&self.comment),
            answer: tame(&self.answer),
            approver: tame(&self.approver),
            submission: tame(&self.submission),
            param: tame(&self.param),
            reason: tame(&self.reason),
            url: tame(&self.url),
            message: tame(&self.message),
            text: tame(&self.text),
        }
    }
}

/// Text with markup in it: random characters among `<>&"'=/`, and whole attacks.
fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9<>&\"'=/!;#é-][a-zA-Z0-9 <>&\"'=/!;#é-]{0,11}",
            Just("<script>alert(1)</script>".to_string()),
            Just("\"><img src=x onerror=alert(1)>".to_string()),
            Just("\" autofocus onfocus=\"alert(1)".to_string()),
            Just("</textarea><form action=//evil>".to_string()),
            Just("&lt;b&gt;".to_string()),
            Just("<!--".to_string()),
        ],
        1..4,
    )
    .prop_map(|pieces| pieces.concat())
}

fn fields() -> impl Strategy<Value = Fields> {
    let line = prop_oneof![hostile(), Just("\n".to_string()), Just("\n\n".to_string())];
    (
        prop::collection::vec(hostile(), 15),
        hostile(),
        prop::collection::vec(line, 0..6),
    )
        .prop_map(|(strings, first, lines)| {
            let mut strings = strings.into_iter();
            let mut next = || strings.next().unwrap_or_default();
            Fields {
                approval_id: next(),
                title: next(),
                description: next(),
                label: next(),
                value: next(),
                question: next(),
                name: next(),
                comment: next(),
                answer: next(),
                approver: next(),
                submission: next(),
                param: next(),
                reason: next(),
                url: next(),
                message: next(),
                text: first + &lines.concat(),
            }
        })
}

/// How the request looks beyond its text: its own buttons or approve/reject, the kind of its
/// follow-up question, whether the answer is required, whether the decision came late.
#[derive(Debug, Clone, Copy)]
struct Shape {
    buttons: bool,
    kind: AnswerKind,
    required: bool,
    late: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    let kind = prop_oneof![
        Just(AnswerKind::Text),
        Just(AnswerKind::Email),
        Just(AnswerKind::Number)
    ];
    (any::<bool>(), kind, any::<bool>(), any::<bool>()).prop_map(
        |(buttons, kind, required, late)| Shape {
            buttons,
            kind,
            required,
            late,
        },
    )
}

fn decision(f: &Fields, shape: Shape) -> Decision {
    match shape.buttons {
        true => Decision::Custom(f.value.clone()),
        false => Decision::Approve,
    }
}

/// A request carrying every field: description, buttons, follow-up, a decision with a
/// comment and an answer.
fn record(f: &Fields, shape: Shape) -> ApprovalRecord {
    let mut record = ApprovalRecord::new(
        f.approval_id.clone(),
        f.title.clone(),
        Channel::Email,
        NOW,
        NOW + 60,
        1,
    );
    record.description = Some(f.description.clone());
    if shape.buttons {
        record.buttons = vec![ChoiceButton::new(&f.label, &f.value, ButtonStyle::Primary)];
    }
    record.follow_up = Some(FollowUp {
        question: f.question.clone(),
        kind: shape.kind,
        after: vec![],
        required: shape.required,
    });
    record.decision = Some(RecordedDecision {
        decision: decision(f, shape),
        decided_by: DecidedBy {
            id: "link".into(),
            name: f.name.clone(),
            channel: Channel::Email,
        },
        decided_at: NOW + 5,
        comment: Some(f.comment.clone()),
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: Some(FollowUpAnswer {
            question: f.question.clone(),
            answer: Some(Answer::Text(f.answer.clone())),
        }),
        submission_id: None,
    });
    if shape.late {
        record.delivery.late_at = Some(NOW + 6);
    }
    record
}

/// Every page a link can show, each with all the fields it can show.
fn pages(f: &Fields, shape: Shape) -> Vec<String> {
    let mut pages: Vec<String> = views(f, shape).iter().map(|v| render(v).html).collect();
    pages.push(bad_request(413, &f.title, &f.reason).html);
    pages
}

/// Every view of a link, each with all the fields it can show.
fn views(f: &Fields, shape: Shape) -> Vec<LinkView> {
    let link = SignedLink {
        approval_id: f.approval_id.clone(),
        decision: decision(f, shape),
        expires_at: NOW + 60,
        approver_index: Some(0),
    };
    let params = LinkParams {
        decision: Some(f.value.clone()),
        expires_at: Some(f.param.clone()),
        key_id: Some(f.param.clone()),
        approver_index: Some(f.param.clone()),
        signature: Some(f.param.clone()),
    };
    let typed = TypedForm {
        name: Some(f.name.clone()),
        comment: Some(f.comment.clone()),
        answer: Some(f.answer.clone()),
    };
    let form = |approver: Option<String>, refused: Option<FormField>| match refused {
        None => LinkView::Confirm {
            record: record(f, shape),
            link: link.clone(),
            params: params.clone(),
            approver,
            submission: f.submission.clone(),
        },
        Some(field) => LinkView::AnswerRefused {
            record: record(f, shape),
            link: link.clone(),
            params: params.clone(),
            approver,
            submission: f.submission.clone(),
            field,
            reason: f.reason.clone(),
            typed: typed.clone(),
        },
    };
    vec![
        form(None, None),
        form(Some(f.approver.clone()), None),
        form(None, Some(FormField::Name)),
        form(None, Some(FormField::Comment)),
        form(Some(f.approver.clone()), Some(FormField::Answer)),
        LinkView::Recorded {
            record: record(f, shape),
            delivery: Delivery::Pending,
        },
        LinkView::AlreadyDecided {
            record: record(f, shape),
        },
        LinkView::TooLate {
            title: Some(f.title.clone()),
            stopped_at: Some(NOW),
            kept: shape.late,
        },
        LinkView::Invalid {
            reason: f.reason.clone(),
        },
        LinkView::Unavailable {
            reason: f.reason.clone(),
        },
        LinkView::Unconfirmed {
            reason: f.reason.clone(),
            resubmit: Some(approvals::use_cases::Resubmit {
                approval_id: f.param.clone(),
                fields: vec![
                    ("submission".into(), f.submission.clone()),
                    ("name".into(), f.name.clone()),
                    ("comment".into(), f.comment.clone()),
                ],
            }),
        },
        LinkView::NotFound,
    ]
}

/// The HTML bodies of every email: shared links, the request's own buttons, personal links,
/// a notification.
fn email_bodies(f: &Fields) -> Vec<String> {
    let approval = json!({"approvalId": f.approval_id, "expiresAt": f.param, "title": f.title,
        "description": f.description, "approveUrl": f.url, "rejectUrl": f.url, "links": []});
    let mut with_buttons = approval.clone();
    with_buttons["buttons"] = json!([{"label": f.label, "value": f.value, "url": f.url}]);
    let mut personal = approval.clone();
    personal["links"] = json!([{"approver": "a@example.com", "approveUrl": f.url,
        "rejectUrl": f.url}]);
    let inputs = [
        json!({"approval": approval, "to": "b@example.com", "message": f.message}),
        json!({"approval": with_buttons, "to": "b@example.com"}),
        json!({"approval": personal, "message": f.message}),
        json!({"to": "b@example.com", "subject": f.title, "text": f.text}),
    ];
    inputs
        .into_iter()
        .map(|input| {
            let input: SendEmailInput = serde_json::from_value(input).unwrap();
            let emails = build_emails(input, "approvals@example.com");
            emails.unwrap_or_else(|e| panic!("{e}")).remove(0).html
        })
        .collect()
}

/// Each tag of `html` as written, its quoted attribute values left out: what the markup is,
/// without its text. Panics on a tag that does not end.
fn skeleton(html: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let (mut tag, mut quoted, mut end) = (String::new(), false, None);
        for (i, c) in rest[start..].char_indices() {
            match c {
                '"' => {
                    quoted = !quoted;
                    tag.push(c);
                }
                '>' if !quoted => {
                    tag.push(c);
                    end = Some(start + i + 1);
                    break;
                }
                _ if quoted => {}
                _ => tag.push(c),
            }
        }
        tags.push(tag);
        rest = &rest[end.unwrap_or_else(|| panic!("a tag never ends in {html}"))..];
    }
    tags
}

/// The element a tag opens or closes (`<input ...>`, `</p>`: `input`, `p`).
fn element(tag: &str) -> &str {
    let name = tag.trim_start_matches('<').trim_start_matches('/');
    let end = name
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(name.len());
    &name[..end]
}

/// Only our tags, the same markup as with harmless text, and no `&` but an entity's.
fn assert_only_our_markup(html: &str, harmless: &str) -> Result<(), TestCaseError> {
    let tags = skeleton(html);
    for tag in &tags {
        let name = element(tag);
        prop_assert!(
            OUR_TAGS.contains(&name),
            "a tag we do not write: {tag} in {html}"
        );
    }
    prop_assert_eq!(&tags, &skeleton(harmless), "in {}", html);
    for (i, _) in html.match_indices('&') {
        let entity = ["&amp;", "&lt;", "&gt;", "&quot;"]
            .iter()
            .any(|e| html[i..].starts_with(e));
        prop_assert!(entity, "a bare & at {i} in {html}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_field_adds_markup_to_a_link_page(f in fields(), shape in shape()) {
        let harmless = pages(&f.harmless(), shape);
        for (page, tame) in pages(&f, shape).iter().zip(&harmless) {
            assert_only_our_markup(page, tame)?;
        }
    }

    #[test]
    fn no_field_adds_markup_to_an_email_body(f in fields()) {
        let harmless = email_bodies(&f.harmless());
        for (body, tame) in email_bodies(&f).iter().zip(&harmless) {
            assert_only_our_markup(body, tame)?;
        }
    }
}

/// A page or email that shows nothing but our own markup passes; one with a user's tag fails.
#[test]
fn the_check_catches_a_tag_from_a_field() {
    let ours = "<!DOCTYPE html><html><body><p class=\"x\">a &amp; b</p></body></html>";
    assert!(assert_only_our_markup(ours, ours).is_ok());
    let injected = "<!DOCTYPE html><html><body><p class=\"x\">a<b>b</b></p></body></html>";
    assert!(assert_only_our_markup(injected, ours).is_err());
    let broken_out = "<!DOCTYPE html><html><body><p class=\"x\" onclick=\"y\">a</p></body></html>";
    assert!(assert_only_our_markup(broken_out, ours).is_err());
    assert!(assert_only_our_markup("<p>a & b</p>", "<p>a x b</p>").is_err());
}
