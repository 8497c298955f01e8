use super::*;
use crate::testing::{answer, rate_limited, refused_url, serve, slow};

fn slack() -> ServiceHttp {
    ServiceHttp::new::<crate::slack::SlackError>()
}

#[tokio::test]
async fn a_429_on_a_post_is_retried_after_retry_after() {
    let server = serve(vec![rate_limited("1"), answer(200, "{}")]).await;
    let started = Instant::now();
    let r = slack()
        .send_once("chat.postMessage", |c| c.post(&server.url))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(server.calls(), 2, "a 429 was refused: safe to send again");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_long_retry_after_becomes_a_named_rate_limit_error_at_once() {
    let server = serve(vec![rate_limited("30")]).await;
    let err = slack()
        .send_once("chat.postMessage", |c| c.post(&server.url))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Slack.RateLimited");
    assert!(err.to_string().contains("Retry-After 30"), "{err}");
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn a_retry_after_that_does_not_fit_the_budget_is_not_waited() {
    let server = serve(vec![rate_limited("1"), answer(200, "{}")]).await;
    let started = Instant::now();
    let err = slack()
        .with_budget(Duration::from_secs(1))
        .send_idempotent("chat.update", |c| c.post(&server.url))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Slack.RateLimited");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn server_errors_on_idempotent_calls_are_retried_then_named_unavailable() {
    let server = serve(vec![answer(503, "")]).await;
    let err = ServiceHttp::new::<crate::jira::JiraError>()
        .send_idempotent("list transitions", |c| c.get(&server.url))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Jira.Unavailable");
    assert_eq!(server.calls(), MAX_ATTEMPTS);
}

#[tokio::test]
async fn a_server_error_on_a_post_is_not_repeated_and_is_unconfirmed() {
    let server = serve(vec![answer(502, ""), answer(200, "{}")]).await;
    let err = ServiceHttp::new::<crate::teams::TeamsError>()
        .send_once("post card", |c| c.post(&server.url))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Teams.Unconfirmed");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("may or may not"), "{err}");
    assert_eq!(server.calls(), 1, "a 5xx post may have gone out");
}

#[tokio::test]
async fn a_post_that_times_out_is_not_repeated_and_is_unconfirmed() {
    let server = serve(vec![slow(Duration::from_secs(3), 200, "{}")]).await;
    let started = Instant::now();
    let err = slack()
        .with_budget(Duration::from_secs(1))
        .send_once("chat.postMessage", |c| c.post(&server.url))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Slack.Unconfirmed", "{err}");
    assert!(err.to_string().contains("no answer within"), "{err}");
    assert!(started.elapsed() < Duration::from_millis(1200));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn an_idempotent_call_that_times_out_is_retried_within_the_budget() {
    let server = serve(vec![
        slow(Duration::from_secs(5), 200, "late"),
        answer(200, "fresh"),
    ])
    .await;
    let budget = Duration::from_secs(5);
    let started = Instant::now();
    let r = slack()
        .with_budget(budget)
        .send_idempotent("chat.update", |c| c.post(&server.url))
        .await
        .unwrap();
    assert_eq!(r.body, "fresh");
    assert_eq!(server.calls(), 2);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= ATTEMPT_TIMEOUT && elapsed < budget,
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn the_total_budget_is_respected_whatever_the_kind_of_call() {
    for repeat in [Repeat::Idempotent, Repeat::Once] {
        let server = serve(vec![slow(Duration::from_secs(3), 200, "{}")]).await;
        let http = slack().with_budget(Duration::from_secs(1));
        let started = Instant::now();
        let err = http
            .send_until(http.deadline(), repeat, "chat.update", |c| {
                c.post(&server.url)
            })
            .await
            .unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(1200),
            "{repeat:?}: {elapsed:?}"
        );
        let expected = match repeat {
            Repeat::Idempotent => "Slack.Unavailable",
            Repeat::Once => "Slack.Unconfirmed",
        };
        assert_eq!(err.name(), expected);
    }
}

#[tokio::test]
async fn a_post_that_never_connected_is_retried_and_not_called_unconfirmed() {
    let url = refused_url().await;
    let started = Instant::now();
    let err = slack()
        .send_once("chat.postMessage", |c| c.post(&url))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Slack.Unavailable", "{err}");
    assert!(err.to_string().contains("could not connect"), "{err}");
    assert!(!err.to_string().contains(&url), "{err}");
    // Three attempts, with backoffs of 200 and 400 ms between them.
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn other_statuses_go_back_to_the_adapter_with_their_body() {
    let server = serve(vec![answer(404, "no such thing")]).await;
    let r = ServiceHttp::new::<crate::teams::TeamsError>()
        .send_once("post card", |c| c.post(&server.url))
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.body, "no such thing");
    assert!(!r.is_success());
}
