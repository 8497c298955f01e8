use super::*;
use std::sync::{Arc, Mutex as StdMutex};
use tracing_subscriber::layer::SubscriberExt;

/// Log lines as the functions write them (`init_tracing`'s layer), kept in memory.
#[derive(Clone, Default)]
struct Lines(Arc<StdMutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn json(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// A subscriber like the functions' at `rust_log`, writing to `lines`.
fn subscriber(lines: &Lines, rust_log: &str) -> impl tracing::Subscriber {
    let writer = lines.clone();
    tracing_subscriber::registry()
        .with(crate::log_filter(Some(rust_log)))
        .with(crate::json_logs(move || writer.clone()))
}

#[tokio::test]
async fn every_line_of_a_request_carries_its_approval_id_and_execution_arn() {
    let lines = Lines::default();
    let _default = tracing::subscriber::set_default(subscriber(&lines, "info"));
    tracing::info!("outside any request");
    scope(async {
        tracing::info!("before the ids are known");
        from_input(&serde_json::json!({"approvalId": "a-1", "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e"}));
        tracing::info!(status = "waiting", "waiting for approval");
        tracing::warn!("something went wrong");
    })
    .await;
    let lines = lines.json();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].get("span").is_none());
    assert_eq!(lines[1]["span"]["name"], "request");
    assert!(lines[1]["span"].get("approval_id").is_none());
    for line in &lines[2..] {
        assert_eq!(line["span"]["approval_id"], "a-1", "{line}");
        assert_eq!(
            line["span"]["execution_arn"],
            "arn:aws:states:us-east-1:123456789012:execution:m:e"
        );
    }
    assert_eq!(lines[2]["fields"]["status"], "waiting");
}

#[tokio::test]
async fn a_warning_carries_its_ids_when_only_warnings_are_logged() {
    let lines = Lines::default();
    let _default = tracing::subscriber::set_default(subscriber(&lines, "warn"));
    scope(async {
        approval_id("a-2");
        tracing::info!("not logged");
        tracing::warn!("logged");
    })
    .await;
    let lines = lines.json();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["span"]["approval_id"], "a-2");
}

#[tokio::test]
async fn ids_are_per_request_and_a_record_names_its_execution_only_for_its_own_request() {
    scope(async {
        record_read("a-3", Some("arn:x"));
        assert_eq!(current().execution_arn, None, "not this request's approval");
        approval_id("a-3");
        record_read("a-3", Some("arn:x"));
        record_read("a-3", Some("arn:other"));
        assert_eq!(current().execution_arn.as_deref(), Some("arn:x"));
        decision_committed("a-3", 42);
        assert_eq!(current().decided, Some(("a-3".to_string(), 42)));
    })
    .await;
    assert_eq!(current(), Ids::default(), "nothing outside a request");
    scope(async { assert_eq!(current(), Ids::default()) }).await;
}

#[tokio::test]
async fn an_approval_id_is_found_in_what_another_function_returned() {
    for input in [
        serde_json::json!({"to": ["x@y.z"], "approval": {"approvalId": "a-4", "title": "t"}}),
        serde_json::json!({"message": {"channel": "C1", "ts": "1.2", "approvalId": "a-4"}}),
        serde_json::json!({"approvalId": "a-4", "approval": {"approvalId": "other"}}),
    ] {
        scope(async {
            from_input(&input);
            assert_eq!(current().approval_id.as_deref(), Some("a-4"), "{input}");
        })
        .await;
    }
    scope(async {
        from_input(&serde_json::json!({"approval": "a-4", "approvalId": 7}));
        assert_eq!(current(), Ids::default(), "only strings where ids are");
    })
    .await;
}

/// What `run_task` does with an input its strict parser refuses: the ids from the input, then
/// the `task failed` warning and the `TasksFailed` line. A wrong `executionArn` path (the task
/// token) or a huge value must reach neither; a real ARN and approval id do.
#[tokio::test]
async fn an_invalid_execution_arn_or_approval_id_never_reaches_a_log_or_metric_line() {
    let token = "AQCEAAAAKgAAAAMAAAAAAAAAAf0nWZ4BHv0d7wPLz0Pr8tIEgG6Z2bXq+Y1/2KkRk/token==";
    let huge = "x".repeat(300 * 1024);
    let arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
    let cases = [
        (
            serde_json::json!({"approvalId": "a-5", "executionArn": token}),
            None,
            Some("a-5"),
        ),
        (
            serde_json::json!({"approvalId": token, "executionArn": huge}),
            None,
            None,
        ),
        (
            serde_json::json!({"approvalId": huge, "executionArn": arn}),
            Some(arn),
            None,
        ),
    ];
    for (input, logged_arn, logged_id) in cases {
        let lines = Lines::default();
        let _default = tracing::subscriber::set_default(subscriber(&lines, "info"));
        let err = approvals::HitlError::invalid_input("executionArn must be an execution's ARN");
        let emf = scope(async {
            from_input(&input);
            tracing::warn!(error = err.name(), message = %err, "task failed");
            crate::metrics::task_failed_line("Hitl/test", &err)
        })
        .await;
        let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        for line in [&log, &emf] {
            assert!(!line.contains(token), "{line}");
            assert!(!line.contains("xxxxxxxxxxxxxxxx"), "{}", &line[..200]);
            assert!(line.len() < 1000, "{}", line.len());
        }
        let log: Value = serde_json::from_str(log.trim()).unwrap();
        let emf: Value = serde_json::from_str(&emf).unwrap();
        assert_eq!(log["span"]["execution_arn"].as_str(), logged_arn);
        assert_eq!(log["span"]["approval_id"].as_str(), logged_id);
        assert_eq!(emf["executionArn"].as_str(), logged_arn);
        assert_eq!(emf["approvalId"].as_str(), logged_id);
    }
}

#[test]
fn an_approval_id_is_plausible_only_in_the_shapes_we_make() {
    let uuid = "3f0c2e7a-1b2c-4d5e-8f90-0a1b2c3d4e5f";
    let keyed = approvals::input::keyed_approval_id("exec-1/Ask");
    for ours in [
        uuid,
        &keyed,
        "slack-C0123ABCD-1700000000.000100",
        "a-1",
        &"a".repeat(64),
    ] {
        assert!(plausible_approval_id(ours), "{ours}");
    }
    for not_ours in [
        "",
        &"a".repeat(65),
        "a b",
        "AAAA+/token==",
        "a\n1",
        "<script>",
        "\u{e9}t\u{e9}",
    ] {
        assert!(!plausible_approval_id(not_ours), "{not_ours}");
    }
}
