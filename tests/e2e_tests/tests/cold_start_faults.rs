//! No environment is poisoned: a process whose cold start met a failing Secrets Manager (a
//! throttle or a 5xx, as in a burst of cold starts) answers "not taken" / `Hitl.Transient`
//! while it fails, and serves normally as soon as Secrets Manager answers again, in that same
//! process, with nobody redeploying. Faults are global to this binary's stack: one test, in
//! phases.

use e2e_tests::*;
use serde_json::{json, Value};

async fn set_faults(config: Value) {
    let r = http()
        .post(format!("{}/_local/api/faults", endpoints().api))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// Every function's next call is a cold start (its process is new).
async fn recycle_functions() {
    let r = http()
        .post(format!("{}/_local/api/functions/recycle", endpoints().api))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

async fn pids_of(function: &str) -> Value {
    local_api("/_local/api/functions").await[function]["pids"].clone()
}

async fn new_links() -> Result<String, String> {
    let (error, out) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": unique("cold start")}),
    )
    .await;
    match error {
        None => Ok(out["approveUrl"].as_str().unwrap().to_string()),
        Some(_) => Err(out["errorType"].as_str().unwrap_or_default().to_string()),
    }
}

#[tokio::test]
async fn a_cold_start_that_met_a_failing_secrets_manager_recovers_in_the_same_process() {
    let approve = new_links().await.expect("links before any fault");

    // Secrets Manager fails every call (the SDK's retries included) while processes start.
    set_faults(json!({"rules": [{"service": "secretsmanager", "errorRate": 1.0}]})).await;
    recycle_functions().await;
    let page = get(&approve).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body.contains("did not take your click") && page.body.contains("nothing was recorded"),
        "the page says the click was not taken: {}",
        page.body
    );
    assert_eq!(
        new_links().await,
        Err("Hitl.Transient".to_string()),
        "a Task meeting it fails with the error our ASL retries, not Hitl.Config"
    );
    let decision_api = pids_of("DecisionApiFunction").await;
    let create_links = pids_of("CreateApprovalLinksFunction").await;

    // Secrets Manager answers again: the same processes serve, without a new cold start.
    set_faults(json!({})).await;
    let page = get(&approve).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let again = new_links().await.expect("the Task works again");
    assert!(again.starts_with("http"), "{again}");
    assert_eq!(pids_of("DecisionApiFunction").await, decision_api);
    assert_eq!(pids_of("CreateApprovalLinksFunction").await, create_links);

    // Only Slack's signing secret fails while the Decision API starts: its Slack half is built
    // again too, not kept broken beside working link pages.
    set_faults(
        json!({"rules": [{"service": "secretsmanager", "operation": "GetSecretValue",
                                 "bodyContains": "slack-signing-secret", "errorRate": 1.0}]}),
    )
    .await;
    recycle_functions().await;
    assert_eq!(get(&approve).await.status, 503, "not taken while it fails");
    set_faults(json!({})).await;
    let decision_api = pids_of("DecisionApiFunction").await;
    let unsigned = http()
        .post(format!("{}/slack/interactions", endpoints().api))
        .form(&[("payload", "{}")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        unsigned.status().as_u16(),
        401,
        "Slack clicks are served again (an unsigned one is refused by the signature check)"
    );
    assert_eq!(get(&approve).await.status, 200);
    assert_eq!(pids_of("DecisionApiFunction").await, decision_api);
}
