//! What the clicker's card says when the decision is recorded but changes nothing: the Task
//! had stopped waiting, or Step Functions refused it for good. Never shown as effective.

use super::*;
use crate::HitlError;

#[tokio::test]
async fn a_decision_the_task_no_longer_waits_for_says_too_late() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![alice()]).await;
    // The Task timed out: Step Functions answers a callback on its token as no longer waiting.
    resumer
        .failed
        .lock()
        .unwrap()
        .push(("tok".into(), "States.Timeout".into()));
    let card = answer(&store, &resumer, click(alice(), "approve"), NOW).await;
    let line = card["line"].as_str().unwrap();
    assert!(line.starts_with("Approved by Alice at"), "{line}");
    assert!(line.contains("Too late"), "{line}");
}

#[tokio::test]
async fn a_decision_step_functions_refuses_for_good_says_not_delivered() {
    let (store, resumer) = (FakeStore::default(), FakeResumer::default());
    bot_request(&store, vec![alice()]).await;
    *resumer.fail_with.lock().unwrap() = Some(HitlError::DependencyFailed {
        dependency: "Step Functions".into(),
        message: "AccessDenied".into(),
    });
    let card = answer(&store, &resumer, click(alice(), "approve"), NOW).await;
    let line = card["line"].as_str().unwrap();
    assert!(line.contains("Not delivered"), "{line}");
    assert!(stored(&store).await.delivery.failed.is_some());
}
