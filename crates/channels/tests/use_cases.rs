//! The approval use cases end to end over in-memory adapters with a fixed clock.

use approvals::delivery::redrive;
use approvals::testing::{InMemoryStore, RecordingResumer};
use approvals::use_cases::TaskStatus;
use approvals::use_cases::{self, ClientInfo, Delivery, LinkSettings, LinkView, WaitInput};
use approvals::{CreateLinksInput, CreateLinksOutput, HitlError, LinkSigner};
use channels::email::{build_emails, SendEmailInput};
use channels::pages::render;

const NOW: i64 = 1_800_000_000;
const BASE: &str = "https://api.example.com";

struct World {
    signer: LinkSigner,
    store: InMemoryStore,
    resumer: RecordingResumer,
}

impl World {
    fn new() -> Self {
        World {
            signer: LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap(),
            store: InMemoryStore::default(),
            resumer: RecordingResumer::default(),
        }
    }

    async fn create(&self, input: serde_json::Value) -> CreateLinksOutput {
        self.try_create(input).await.unwrap()
    }

    async fn try_create(&self, input: serde_json::Value) -> Result<CreateLinksOutput, HitlError> {
        let settings = LinkSettings {
            signer: &self.signer,
            base_url: BASE,
            retention_days: 30,
            origin: approvals::Channel::Email,
        };
        let input: CreateLinksInput = serde_json::from_value(input).unwrap();
        use_cases::create_approval_links(input, &settings, &self.store, "appr-1".into(), NOW).await
    }

    async fn wait(&self, token: &str) -> Result<TaskStatus, HitlError> {
        let input = WaitInput {
            approval_id: Some("appr-1".into()),
            task_token: Some(token.into()),
        };
        use_cases::wait_for_approval(input, &self.store, &self.resumer, NOW + 1)
            .await
            .map(|o| o.status)
    }

    async fn get(&self, url: &str, now: i64) -> LinkView {
        let (id, query) = split(url);
        use_cases::view_link(&id, &query, &self.signer, &self.store, now).await
    }

    async fn post(&self, url: &str, extra: &str, now: i64) -> LinkView {
        let (id, query) = split(url);
        let body = format!("{query}{extra}");
        let client = ClientInfo {
            source_ip: Some("203.0.113.7".into()),
            user_agent: Some("test".into()),
        };
        use_cases::decide(
            &id,
            &body,
            client,
            &self.signer,
            &self.store,
            &self.resumer,
            now,
        )
        .await
    }

    fn resumes(&self) -> Vec<(String, approvals::DecisionOutput)> {
        self.resumer.resumed.lock().unwrap().clone()
    }
}

fn split(url: &str) -> (String, String) {
    let (path, query) = url.split_once('?').unwrap();
    (
        path.rsplit('/').next().unwrap().to_string(),
        query.to_string(),
    )
}

#[tokio::test]
async fn get_shows_a_confirmation_and_never_decides() {
    let w = World::new();
    let links = w
        .create(serde_json::json!({"title": "Stop db-1 <prod>"}))
        .await;
    w.wait("token-1").await.unwrap();
    for _ in 0..3 {
        let view = w.get(links.approve_url.as_deref().unwrap(), NOW + 5).await;
        assert!(matches!(view, LinkView::Confirm { .. }), "{view:?}");
        let page = render(&view);
        assert_eq!(page.status, 200);
        assert!(
            page.html.contains("Stop db-1 &lt;prod&gt;"),
            "title is escaped"
        );
        assert!(page.html.contains("method=\"post\""));
    }
    assert!(w.resumes().is_empty());
    assert!(w.store.records.lock().unwrap()["appr-1"].decision.is_none());
}

#[tokio::test]
async fn approve_resumes_the_waiting_task_with_the_decision_output() {
    let w = World::new();
    let links = w.create(serde_json::json!({"title": "t"})).await;
    assert_eq!(w.wait("token-1").await.unwrap(), TaskStatus::Waiting);
    let view = w
        .post(
            links.approve_url.as_deref().unwrap(),
            "&name=Dana&comment=looks+idle",
            NOW + 10,
        )
        .await;
    assert!(
        matches!(
            view,
            LinkView::Recorded {
                delivery: Delivery::Delivered,
                ..
            }
        ),
        "{view:?}"
    );
    let resumes = w.resumes();
    assert_eq!(resumes.len(), 1);
    let (token, output) = &resumes[0];
    assert_eq!(token, "token-1");
    assert_eq!(output.decision, "approve");
    assert!(output.approved);
    assert_eq!(output.decided_by.name, "Dana");
    assert_eq!(output.comment.as_deref(), Some("looks idle"));
    let record = w.store.records.lock().unwrap()["appr-1"].clone();
    assert_eq!(
        record.decision.unwrap().source_ip.as_deref(),
        Some("203.0.113.7")
    );
}

#[tokio::test]
async fn double_click_resumes_once_and_the_second_sees_who_decided() {
    let w = World::new();
    let links = w.create(serde_json::json!({"title": "t", "approvers": ["alice@example.com", "bob@example.com"]})).await;
    w.wait("token-1").await.unwrap();
    let first = w.post(&links.links[0].reject_url, "", NOW + 10).await;
    assert!(matches!(first, LinkView::Recorded { .. }));
    let second = w.post(&links.links[1].approve_url, "", NOW + 11).await;
    let page = render(&second);
    assert_eq!(page.status, 409);
    assert!(
        page.html.contains("Rejected by alice@example.com"),
        "{}",
        page.html
    );
    assert_eq!(w.resumes().len(), 1);
    assert_eq!(w.resumes()[0].1.decision, "reject");
    // A GET after the decision shows the outcome too.
    assert_eq!(
        render(&w.get(&links.links[1].approve_url, NOW + 12).await).status,
        409
    );
}

#[tokio::test]
async fn click_before_wait_resumes_when_the_wait_begins() {
    let w = World::new();
    let links = w.create(serde_json::json!({"title": "t"})).await;
    let view = w
        .post(links.approve_url.as_deref().unwrap(), "", NOW + 1)
        .await;
    assert!(
        matches!(
            view,
            LinkView::Recorded {
                delivery: Delivery::NotWaiting,
                ..
            }
        ),
        "{view:?}"
    );
    assert!(w.resumes().is_empty());
    assert_eq!(w.wait("token-9").await.unwrap(), TaskStatus::Resumed);
    assert_eq!(w.resumes().len(), 1);
    assert_eq!(w.resumes()[0].0, "token-9");
}

#[tokio::test]
async fn tampered_expired_and_unknown_links_get_their_own_pages() {
    let w = World::new();
    let links = w
        .create(serde_json::json!({"title": "t", "expiresInSeconds": 60}))
        .await;
    let tampered = links
        .reject_url
        .as_deref()
        .unwrap()
        .replace("d=reject", "d=approve");
    assert_eq!(render(&w.post(&tampered, "", NOW + 1).await).status, 403);
    assert_eq!(
        render(&w.get(links.approve_url.as_deref().unwrap(), NOW + 61).await).status,
        410
    );
    assert_eq!(
        render(
            &w.post(links.approve_url.as_deref().unwrap(), "", NOW + 61)
                .await
        )
        .status,
        410
    );
    let other = w
        .signer
        .link_url(BASE, "nope", approvals::Decision::Approve, NOW + 100, None);
    assert_eq!(render(&w.get(&other, NOW).await).status, 404);
    assert!(w.store.records.lock().unwrap()["appr-1"].decision.is_none());
}

#[tokio::test]
async fn restricted_approvals_need_a_personal_link() {
    let w = World::new();
    let links = w
        .create(serde_json::json!({"title": "t", "approvers": ["alice@example.com"]}))
        .await;
    let anonymous = w.signer.link_url(
        BASE,
        "appr-1",
        approvals::Decision::Approve,
        NOW + 100,
        None,
    );
    let page = render(&w.post(&anonymous, "", NOW + 1).await);
    assert_eq!(page.status, 403);
    assert!(page.html.contains("restricted"));
    let beyond = w.signer.link_url(
        BASE,
        "appr-1",
        approvals::Decision::Approve,
        NOW + 100,
        Some(5),
    );
    assert_eq!(render(&w.post(&beyond, "", NOW + 1).await).status, 403);
    // With approvers there is no shared link: nobody can pass a personal one around as it.
    assert_eq!((links.approve_url, links.reject_url), (None, None));
}

#[tokio::test]
async fn a_failed_resume_keeps_the_decision_and_the_redriver_delivers_it_without_a_click() {
    let w = World::new();
    let links = w.create(serde_json::json!({"title": "t"})).await;
    w.wait("token-1").await.unwrap();
    *w.resumer.fail_with.lock().unwrap() =
        Some(HitlError::transient("Step Functions", "throttled"));
    let view = w
        .post(links.approve_url.as_deref().unwrap(), "", NOW + 2)
        .await;
    assert!(
        matches!(
            view,
            LinkView::Recorded {
                delivery: Delivery::Pending,
                ..
            }
        ),
        "{view:?}"
    );
    assert!(render(&view).html.contains("no need to click again"));
    // While the fault lasts, the re-driver keeps the decision due.
    let report = redrive(&w.store, &w.resumer, None, NOW + 10, 10)
        .await
        .unwrap();
    assert_eq!(report.retry_later, vec!["appr-1"]);
    *w.resumer.fail_with.lock().unwrap() = None;
    // The fault cleared: the next pass delivers it, nobody clicks.
    let report = redrive(&w.store, &w.resumer, None, NOW + 40, 10)
        .await
        .unwrap();
    assert_eq!(report.delivered, vec!["appr-1"]);
    assert_eq!(w.resumes().len(), 1);
    assert_eq!(w.resumes()[0].1.decision, "approve");
    let record = w.store.records.lock().unwrap()["appr-1"].clone();
    assert_eq!(record.delivery.delivered_at, Some(NOW + 40));
    assert!(
        record.delivery.redrive_at.is_none(),
        "settled: left the index"
    );
    let again = redrive(&w.store, &w.resumer, None, NOW + 80, 10)
        .await
        .unwrap();
    assert!(again.is_idle(), "{again:?}");
}

#[tokio::test]
async fn wait_rejects_bad_input_with_named_errors() {
    let w = World::new();
    let err = use_cases::wait_for_approval(WaitInput::default(), &w.store, &w.resumer, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    let input = WaitInput {
        approval_id: Some("missing".into()),
        task_token: Some("t".into()),
    };
    let err = use_cases::wait_for_approval(input, &w.store, &w.resumer, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.NotFound");
}

#[tokio::test]
async fn approval_emails_carry_personal_links_as_buttons() {
    let w = World::new();
    let links = w.create(serde_json::json!({"title": "Stop db-1", "approvers": ["alice@example.com", "bob@example.com"]})).await;
    let input: SendEmailInput =
        serde_json::from_value(serde_json::json!({"approval": links})).unwrap();
    let emails = build_emails(input, "approvals@example.com").unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[1].to, vec!["bob@example.com"]);
    assert!(emails[1].html.contains(
        &html_escape::encode_double_quoted_attribute(&links.links[1].approve_url).to_string()
    ));
    assert!(emails[1].text.contains(&links.links[1].reject_url));
    assert!(!emails[1].html.contains(
        &html_escape::encode_double_quoted_attribute(&links.links[0].approve_url).to_string()
    ));
    assert_eq!(emails[0].subject, "Approval needed: Stop db-1");

    let stranger: SendEmailInput =
        serde_json::from_value(serde_json::json!({"approval": links, "to": "eve@example.com"}))
            .unwrap();
    assert_eq!(
        build_emails(stranger, "a@example.com").unwrap_err().name(),
        "Hitl.InvalidInput"
    );
}

/// A subject or title that would carry a header line into the email is refused by name,
/// whether it comes as the subject, as the title, or in an approval a workflow edited.
#[tokio::test]
async fn control_characters_never_reach_a_subject() {
    let w = World::new();
    let err = w
        .try_create(serde_json::json!({"title": "Stop db-1\r\nBcc: eve@example.com"}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(err.to_string().contains("title"), "{err}");
    let notification: SendEmailInput = serde_json::from_value(serde_json::json!(
        {"to": "x@example.com", "subject": "Done\nBcc: eve@example.com", "text": "t"}
    ))
    .unwrap();
    let err = build_emails(notification, "a@example.com").unwrap_err();
    assert!(err.to_string().contains("subject"), "{err}");
    let mut links = w
        .create(serde_json::json!({"title": "Stop db-1", "approvers": ["alice@example.com"]}))
        .await;
    links.title = "Stop db-1\u{7}".into();
    let edited: SendEmailInput =
        serde_json::from_value(serde_json::json!({"approval": links})).unwrap();
    let err = build_emails(edited, "a@example.com").unwrap_err();
    assert!(err.to_string().contains("approval.title"), "{err}");
}

#[tokio::test]
async fn notifications_need_recipients_subject_and_text() {
    for (input, needle) in [
        (
            serde_json::json!({"subject": "s", "text": "t"}),
            "to is required",
        ),
        (
            serde_json::json!({"to": "x@example.com", "text": "t"}),
            "subject",
        ),
        (
            serde_json::json!({"to": "x@example.com", "subject": "s"}),
            "text",
        ),
        (
            serde_json::json!({"to": "not an email", "subject": "s", "text": "t"}),
            "not an email",
        ),
    ] {
        let input: SendEmailInput = serde_json::from_value(input).unwrap();
        let err = build_emails(input, "a@example.com").unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    let ok: SendEmailInput = serde_json::from_value(
        serde_json::json!({"to": ["x@example.com"], "subject": "Done", "text": "<b>ok</b>"}),
    )
    .unwrap();
    let email = &build_emails(ok, "a@example.com").unwrap()[0];
    assert!(email.html.contains("&lt;b&gt;ok&lt;/b&gt;"));
}
