//! The load driver of `make load` (`load_test`), smaller, as tests: each starts
//! its own local stack (with its own faults), so they do not disturb the shared one.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use e2e_tests::{bin_dir, workspace_root};
use load_test::{self as load, email, LoadConfig, Target, DEFAULT_FAULTS};
use local_stack::launch::{LaunchOptions, LocalStack};

fn config(email: usize, slack: usize, faults: Option<&str>) -> LoadConfig {
    let mut config = LoadConfig::new(bin_dir(), workspace_root());
    config.email = email;
    config.slack = slack;
    config.faults = faults.map(str::to_string);
    config.drain_timeout = Duration::from_secs(120);
    config.ready_timeout = Duration::from_secs(300);
    config
}

/// One load run at a time: each starts its own stack, and two at once on a 2-core machine
/// measure the machine, not the product.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run(config: LoadConfig) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let report = load::run(&config).await.expect("the load run");
    report.print();
    assert!(report.failures().is_empty(), "{:?}", report.failures());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clicks_without_faults_decide_once_and_nothing_is_lost() {
    run(config(30, 10, None)).await;
}

/// `make test`'s share of `make load`: ≥ 5 % of SendTaskSuccess failing, 2 % of the Decision
/// API's processes killed after the decision write. Needs the decision relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clicks_under_faults_decide_once_and_nothing_is_lost() {
    run(config(100, 20, Some(DEFAULT_FAULTS))).await;
}

/// A Decision API process killed right after it wrote the decision: the click is answered
/// 500 at once (Runtime.ExitError, as API Gateway answers), not after the function timeout,
/// and the decision stays recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_after_the_decision_write_is_answered_at_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Stopped when dropped, at the end of the test.
    let stack = start_with_a_kill_after_the_decision_write().await;
    let target = Target::new(stack.endpoints.clone()).await;
    let tag = format!(
        "load-{}-00001",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    email::start(&target, &tag).await.expect("StartExecution");
    let links = emailed_links(&target, &tag).await;
    let clicked = Instant::now();
    let (status, _) = email::confirm(&target, &links.0).await;
    let took = clicked.elapsed();
    assert_eq!(
        status, 500,
        "API Gateway's answer when the function's runtime exits"
    );
    assert!(
        took < Duration::from_secs(5),
        "answered at once, not after the 10 s timeout: {took:?}"
    );

    let approval_id = email::approval_id_of(&links.0).unwrap();
    let item = target
        .dynamodb
        .get_item()
        .table_name("ApprovalsTable")
        .key("approvalId", AttributeValue::S(approval_id))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item["decision"].as_s().unwrap(),
        "approve",
        "the write happened before the kill"
    );
    let faults = local_api(&target, "faults").await;
    assert_eq!(
        faults["counters"]["kills"]["DecisionApiFunction"]["killed"], 1,
        "{faults}"
    );
    let concurrency = local_api(&target, "concurrency").await;
    assert_eq!(concurrency["DecisionApiFunction"]["stats"]["crashes"], 1);
}

/// A stack of its own whose Decision API processes are all killed right after the decision write.
async fn start_with_a_kill_after_the_decision_write() -> LocalStack {
    let options = LaunchOptions {
        faults: Some(
            r#"{"kill":[{"function":"DecisionApiFunction","afterCall":"dynamodb.UpdateItem","bodyContains":"decidedAt","rate":1}]}"#
                .into(),
        ),
        ..LaunchOptions::default()
    };
    let (bin, workspace) = (bin_dir(), workspace_root());
    tokio::task::spawn_blocking(move || LocalStack::start_with(&bin, &workspace, &options))
        .await
        .unwrap()
        .expect("a stack with a kill rule")
}

/// Waits for the email of the request `tag` and returns its (approve, reject) links.
async fn emailed_links(target: &Target, tag: &str) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let emails: Vec<serde_json::Value> = target
            .http
            .get(format!("{}/_local/api/emails", target.endpoints.api))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let found = emails
            .iter()
            .filter(|e| e["subject"].as_str().unwrap_or_default().contains(tag))
            .find_map(|e| email::links_of(e["text"].as_str()?));
        if let Some(links) = found {
            return links;
        }
        assert!(Instant::now() < deadline, "no email for {tag}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The JSON of this stack's local page API at `/_local/api/{path}`.
async fn local_api(target: &Target, path: &str) -> serde_json::Value {
    target
        .http
        .get(format!("{}/_local/api/{path}", target.endpoints.api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
