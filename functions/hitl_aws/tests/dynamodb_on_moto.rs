//! The DynamoDB adapter against moto's real DynamoDB API: conditional writes make the first
//! decision win and the resume is claimed exactly once.
//!
//! Calls are made one after another: moto evaluates conditions without a lock, so concurrent
//! conditional writes straight to moto can both pass (DynamoDB itself applies them atomically
//! per item). The local stack's edge serializes DynamoDB writes to restore that guarantee; the
//! concurrent double-click is tested end to end through it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use hitl_aws::DynamoApprovalStore;
use hitl_domain::ports::{ApprovalStore, DecisionWrite};
use hitl_domain::{ApprovalRecord, Channel, DecidedBy, Decision, RecordedDecision};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_moto() -> (Moto, aws_sdk_dynamodb::Client) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let server = root.join(".venv/bin/moto_server");
    assert!(
        server.exists(),
        "{} is missing: run `make venv`",
        server.display()
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto(child);
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "t", "t", None, None, "test",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    for _ in 0..100 {
        if client.list_tables().send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client
        .create_table()
        .table_name("Approvals")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("approvalId")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("approvalId")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (moto, client)
}

fn record(id: &str, expires_at: i64) -> ApprovalRecord {
    ApprovalRecord {
        approval_id: id.into(),
        title: "Stop db-1".into(),
        description: None,
        approvers: vec![],
        created_at: 0,
        expires_at,
        delete_after: expires_at + 100,
        task_token: None,
        decision: None,
        resumed_at: None,
        origin: Channel::Email,
        message: None,
    }
}

fn decision(who: &str, d: Decision) -> RecordedDecision {
    RecordedDecision {
        decision: d,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: 10,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
    }
}

#[tokio::test]
async fn first_decision_wins_and_resume_is_claimed_once() {
    let (_moto, client) = start_moto().await;
    let store = DynamoApprovalStore::new(client, "Approvals");
    store.create(&record("a1", 1_000)).await.unwrap();
    assert!(
        store.create(&record("a1", 1_000)).await.is_err(),
        "ids are never overwritten"
    );

    let mut recorded = 0;
    for i in 0..4 {
        let d = if i % 2 == 0 {
            Decision::Approve
        } else {
            Decision::Reject
        };
        match store
            .record_decision("a1", &decision(&format!("p{i}"), d), 10)
            .await
            .unwrap()
        {
            DecisionWrite::Recorded(_) => recorded += 1,
            DecisionWrite::AlreadyDecided(rec) => {
                assert_eq!(rec.decision.unwrap().decided_by.id, "p0")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(recorded, 1, "exactly one decision is recorded");

    assert!(
        !store.claim_resume("a1", 11).await.unwrap(),
        "no token yet: nothing to resume"
    );
    let with_token = store.attach_task_token("a1", "tok").await.unwrap().unwrap();
    assert!(
        with_token.decision.is_some(),
        "the wait sees the earlier click"
    );
    assert!(
        store.claim_resume("a1", 11).await.unwrap(),
        "the first claim wins"
    );
    assert!(
        !store.claim_resume("a1", 11).await.unwrap(),
        "a second claim loses"
    );
    store.release_resume("a1").await.unwrap();
    assert!(
        store.claim_resume("a1", 12).await.unwrap(),
        "a released claim can be re-driven"
    );
}

#[tokio::test]
async fn expired_and_unknown_approvals_refuse_decisions() {
    let (_moto, client) = start_moto().await;
    let store = DynamoApprovalStore::new(client, "Approvals");
    store.create(&record("old", 5)).await.unwrap();
    assert!(matches!(
        store
            .record_decision("old", &decision("x", Decision::Approve), 5)
            .await
            .unwrap(),
        DecisionWrite::Expired(_)
    ));
    assert_eq!(
        store
            .record_decision("nope", &decision("x", Decision::Approve), 1)
            .await
            .unwrap(),
        DecisionWrite::NotFound
    );
    assert_eq!(store.attach_task_token("nope", "t").await.unwrap(), None);
    assert_eq!(store.get("nope").await.unwrap(), None);
}
