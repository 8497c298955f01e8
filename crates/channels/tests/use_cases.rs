//! The approval use cases end to end over in-memory adapters with a fixed clock. What the
//! emails say: `emails.rs`.

mod use_cases_common;

use approvals::delivery::relay;
use approvals::use_cases::TaskStatus;
use approvals::use_cases::{self, Delivery, LinkView, WaitInput};
use approvals::HitlError;
use channels::pages::render;
use use_cases_common::{World, BASE, NOW};

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
async fn a_failed_resume_keeps_the_decision_and_the_relay_delivers_it_without_a_click() {
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
    // While the fault lasts, the relay keeps the decision due.
    let report = relay(&w.store, &w.resumer, None, NOW + 10, 10)
        .await
        .unwrap();
    assert_eq!(report.retry_later, vec!["appr-1"]);
    *w.resumer.fail_with.lock().unwrap() = None;
    // The fault cleared: the next pass delivers it, nobody clicks.
    let report = relay(&w.store, &w.resumer, None, NOW + 40, 10)
        .await
        .unwrap();
    assert_eq!(report.delivered, vec!["appr-1"]);
    assert_eq!(w.resumes().len(), 1);
    assert_eq!(w.resumes()[0].1.decision, "approve");
    let record = w.store.records.lock().unwrap()["appr-1"].clone();
    assert_eq!(record.delivery.delivered_at, Some(NOW + 40));
    assert!(
        record.delivery.relay_at.is_none(),
        "settled: left the index"
    );
    let again = relay(&w.store, &w.resumer, None, NOW + 80, 10)
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
        execution_arn: None,
    };
    let err = use_cases::wait_for_approval(input, &w.store, &w.resumer, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.NotFound");
}
