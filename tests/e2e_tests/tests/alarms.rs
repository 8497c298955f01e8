//! The local stack computes the template's alarms from the metrics the functions emit, as
//! CloudWatch would: Step Functions refuses every `SendTaskSuccess`, so a decision stays
//! undelivered; the Decision Relay reports the age of the oldest undelivered decision each
//! pass (`OldestUndeliveredAgeSeconds`), and once it exceeds `BacklogAgeAlarmSeconds` (20 s
//! here, 900 by default) the alarm on it reads ALARM. When Step Functions accepts again the
//! relay delivers the decision and the alarm returns to OK.
//!
//! The alarm keeps its template definition (60 s periods, evaluated at the end of each
//! minute); only the threshold parameter is lowered. The relay's schedule is also fired
//! by hand (the page's "Fire now") so that a pass follows each step at once: the test takes
//! about two to four minutes, most of it waiting for whole minutes to end, as on AWS.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

const THRESHOLD_SECONDS: u64 = 20;
const METRIC: &str = "OldestUndeliveredAgeSeconds";
const RELAY_SCHEDULE: &str = "DecisionRelayFunction.Relay";
/// Bounds each wait for a state: a relay pass, the minute it lands in, the evaluation.
const STATE_WITHIN: Duration = Duration::from_secs(200);

fn stack() -> Configured {
    stack_with(&[("BacklogAgeAlarmSeconds", &THRESHOLD_SECONDS.to_string())])
}

async fn api(
    stack: &Configured,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = http().request(method, format!("{}{path}", stack.endpoints.api));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn set_faults(stack: &Configured, config: Value) {
    api(
        stack,
        reqwest::Method::POST,
        "/_local/api/faults",
        Some(config),
    )
    .await;
}

/// A pass of the Decision Relay now (besides its schedule's).
async fn run_relay(stack: &Configured) {
    let path = format!("/_local/api/schedules/{RELAY_SCHEDULE}/fire");
    api(stack, reqwest::Method::POST, &path, None).await;
}

/// The template's alarm on the metric `name` (with `dimension`, if given), as the local stack
/// evaluates it.
async fn alarm_on(stack: &Configured, name: &str, dimension: Option<(&str, &str)>) -> Value {
    let alarms = api(stack, reqwest::Method::GET, "/_local/api/alarms", None).await;
    let metric = |a: &&Value| {
        let m = &a["definition"]["source"]["metric"];
        m["name"] == name && dimension.is_none_or(|(k, v)| m["dimensions"][k] == v)
    };
    alarms
        .as_array()
        .unwrap()
        .iter()
        .find(metric)
        .unwrap_or_else(|| panic!("no alarm on {name} {dimension:?} in template.yaml: {alarms:#}"))
        .clone()
}

async fn backlog_alarm(stack: &Configured) -> Value {
    alarm_on(stack, METRIC, None).await
}

/// Waits until the backlog alarm reads `state`, running the relay every 15 s meanwhile.
async fn wait_for_state(stack: &Configured, state: &str) -> Value {
    let started = Instant::now();
    let mut fired = Instant::now() - Duration::from_secs(60);
    loop {
        let alarm = backlog_alarm(stack).await;
        if alarm["state"] == state {
            eprintln!("{state} after {:?}: {}", started.elapsed(), alarm["reason"]);
            return alarm;
        }
        assert!(
            started.elapsed() < STATE_WITHIN,
            "not {state} after {STATE_WITHIN:?}: {alarm:#}"
        );
        if fired.elapsed() > Duration::from_secs(15) {
            run_relay(stack).await;
            fired = Instant::now();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The largest `OldestUndeliveredAgeSeconds` the relay has reported.
async fn largest_reported_age(stack: &Configured) -> f64 {
    let metrics = api(stack, reqwest::Method::GET, "/_local/api/metrics", None).await;
    metrics["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == METRIC)
        .filter_map(|m| m["maximum"].as_f64())
        .fold(f64::NEG_INFINITY, f64::max)
}

#[tokio::test]
async fn an_undelivered_decision_older_than_the_threshold_raises_the_backlog_alarm() {
    let stack = stack();
    let alarm = backlog_alarm(&stack).await;
    assert_eq!(
        alarm["definition"]["threshold"], THRESHOLD_SECONDS as f64,
        "{alarm:#}"
    );
    assert_ne!(
        alarm["state"], "ALARM",
        "nothing is undelivered yet: {alarm:#}"
    );

    set_faults(
        &stack,
        json!({"rules": [{"service": "sfn", "operation": "SendTaskSuccess", "errorRate": 1.0}]}),
    )
    .await;
    let title = unique("Stop db-backlog");
    let execution = stack
        .start_execution(
            "EmailApprovalStateMachine",
            json!({"title": title, "to": ["owner@example.com"]}),
        )
        .await;
    let email = &stack.emails_matching(&title, 1).await[0];
    let (approve, _) = links_of(email);
    let page = confirm(&approve, &[("name", "Dana")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("no need to click again"),
        "the decision is kept: {}",
        page.body
    );
    let decided = Instant::now();

    let alarm = wait_for_state(&stack, "ALARM").await;
    assert!(
        decided.elapsed() > Duration::from_secs(THRESHOLD_SECONDS),
        "ALARM before the decision was {THRESHOLD_SECONDS} s old: {alarm:#}"
    );
    let age = largest_reported_age(&stack).await;
    assert!(
        age > THRESHOLD_SECONDS as f64,
        "the relay reported at most {age} s"
    );
    let breaching = alarm["datapoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["value"].as_f64());
    assert!(
        breaching.clone().any(|v| v > THRESHOLD_SECONDS as f64),
        "{alarm:#}"
    );

    let page = get(&format!("{}/_local/", stack.endpoints.api)).await.body;
    let name = alarm["name"].as_str().unwrap();
    let row = &page[page
        .find(name)
        .unwrap_or_else(|| panic!("{name} not on the page"))..];
    assert!(
        row[..row.find("</tr>").unwrap()].contains(">ALARM<"),
        "{row}"
    );

    // Step Functions accepts again: the relay delivers, the backlog empties.
    set_faults(&stack, json!({})).await;
    let finished = stack.wait_for_end(&execution, STATE_WITHIN).await;
    assert_eq!(finished.output["outcome"], "approved", "{finished:?}");
    let alarm = wait_for_state(&stack, "OK").await;
    let states: Vec<&str> = alarm["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["state"].as_str())
        .collect();
    assert_eq!(states.first(), Some(&"OK"), "{alarm:#}");
    assert!(states.contains(&"ALARM"), "{alarm:#}");
    let metrics = api(&stack, reqwest::Method::GET, "/_local/api/metrics", None).await;
    assert_eq!(
        metrics["rejectedEmfLines"]["count"], 0,
        "every EMF line the functions printed is one CloudWatch takes: {metrics:#}"
    );
}

/// Step Functions' `ExecutionsFailed` (read from the local Step Functions, which publishes no
/// metric) raises the alarm on the state machine whose execution failed.
#[tokio::test]
async fn a_failed_execution_raises_its_state_machine_s_alarm() {
    let stack = stack();
    let machine = state_machine_arn("EmailApprovalStateMachine");
    let dimension = Some(("StateMachineArn", machine.as_str()));
    let alarm = alarm_on(&stack, "ExecutionsFailed", dimension).await;
    assert_ne!(alarm["state"], "ALARM", "{alarm:#}");
    // An empty title: CreateApprovalLinks refuses it, nothing catches Hitl.InvalidInput.
    let input = json!({"title": "", "to": ["owner@example.com"]});
    let execution = stack
        .start_execution("EmailApprovalStateMachine", input)
        .await;
    let finished = stack
        .wait_for_end(&execution, Duration::from_secs(60))
        .await;
    assert_eq!(finished.status, "FAILED", "{finished:?}");
    let failed = Instant::now();
    loop {
        let alarm = alarm_on(&stack, "ExecutionsFailed", dimension).await;
        if alarm["state"] == "ALARM" {
            eprintln!(
                "ALARM {:?} after the failure: {}",
                failed.elapsed(),
                alarm["reason"]
            );
            break;
        }
        assert!(failed.elapsed() < STATE_WITHIN, "no ALARM: {alarm:#}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
