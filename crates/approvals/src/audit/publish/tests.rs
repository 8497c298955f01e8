use std::sync::Mutex;

use async_trait::async_trait;

use super::*;

/// Publishes everything; keeps each call's event ids.
#[derive(Default)]
struct Calls(Mutex<Vec<Vec<String>>>);

#[async_trait]
impl AuditSink for Calls {
    async fn publish_events(
        &self,
        entries: &[AuditEntry],
    ) -> Result<Vec<Option<String>>, HitlError> {
        let total: usize = entries.iter().map(entry_size).sum();
        // What PutEvents does with a call over its limits: refuses it whole.
        if entries.len() > MAX_ENTRIES_PER_CALL || total > MAX_BYTES_PER_CALL {
            return Err(HitlError::DependencyFailed {
                dependency: "EventBridge".into(),
                message: "request too large".into(),
            });
        }
        let ids = entries.iter().map(|e| e.event_id.clone()).collect();
        self.0.lock().unwrap().push(ids);
        Ok(vec![None; entries.len()])
    }
}

fn entry(id: &str, detail_bytes: usize) -> AuditEntry {
    AuditEntry {
        event_id: id.to_string(),
        detail_type: "Vote Counted",
        detail: "x".repeat(detail_bytes),
        time: Some(1.0),
    }
}

fn write(id: &str, entries: Vec<AuditEntry>) -> Write {
    Write {
        id: id.to_string(),
        entries: Ok(entries),
    }
}

#[test]
fn an_entry_counts_its_time_source_detail_type_and_detail_bytes() {
    let e = entry("a", 100);
    assert_eq!(
        entry_size(&e),
        14 + "hitl.approvals".len() + "Vote Counted".len() + 100
    );
    let no_time = AuditEntry { time: None, ..e };
    assert_eq!(
        entry_size(&no_time),
        "hitl.approvals".len() + "Vote Counted".len() + 100
    );
}

#[tokio::test]
async fn ten_large_events_go_out_in_two_calls_in_order() {
    // Each about 40 KB: ten are 400 KB, over one call's 256 KB.
    let entries: Vec<AuditEntry> = (0..10).map(|n| entry(&format!("e{n}"), 40_000)).collect();
    let calls = Calls::default();
    let failed = publish_writes(&calls, vec![write("w1", entries)]).await;
    assert_eq!(failed, None);
    let calls = calls.0.into_inner().unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let all: Vec<String> = calls.concat();
    let expected: Vec<String> = (0..10).map(|n| format!("e{n}")).collect();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn small_events_still_go_ten_per_call() {
    let entries: Vec<AuditEntry> = (0..25).map(|n| entry(&format!("e{n}"), 100)).collect();
    let calls = Calls::default();
    assert_eq!(
        publish_writes(&calls, vec![write("w1", entries)]).await,
        None
    );
    let sizes: Vec<usize> = calls.0.into_inner().unwrap().iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
}

#[tokio::test]
async fn an_event_too_large_for_any_call_does_not_hold_back_the_ones_after_it() {
    let writes = vec![
        write("w1", vec![entry("before", 100)]),
        write("w2", vec![entry("huge", MAX_BYTES_PER_CALL)]),
        write("w3", vec![entry("after", 100), entry("after2", 100)]),
    ];
    let calls = Calls::default();
    // Nothing to retry: the stream moves on past the oversized event.
    assert_eq!(publish_writes(&calls, writes).await, None);
    let all = calls.0.into_inner().unwrap().concat();
    assert_eq!(all, ["before", "after", "after2"]);
}

#[tokio::test]
async fn an_event_exactly_at_the_limit_is_published_alone() {
    let fixed = entry_size(&entry("x", 0));
    let writes = vec![write(
        "w1",
        vec![
            entry("a", 100),
            entry("full", MAX_BYTES_PER_CALL - fixed),
            entry("b", 100),
        ],
    )];
    let calls = Calls::default();
    assert_eq!(publish_writes(&calls, writes).await, None);
    let calls = calls.0.into_inner().unwrap();
    assert_eq!(calls, [vec!["a"], vec!["full"], vec!["b"]]);
}
