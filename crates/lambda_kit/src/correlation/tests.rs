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
        from_input(&serde_json::json!({"approvalId": "a-1", "executionArn": "arn:aws:states:us-east-1:1:execution:m:e"}));
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
            "arn:aws:states:us-east-1:1:execution:m:e"
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
