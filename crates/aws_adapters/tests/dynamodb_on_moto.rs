//! The DynamoDB adapter against moto's real DynamoDB API runs the same store contract as the
//! in-memory store (`approvals::testing::store_contract`): first decision wins, late decisions kept
//! apart, deliveries leased to their token, the sparse relay and open-message indexes.
//!
//! The store contract's calls are made one after another: moto evaluates conditions without a
//! lock, so concurrent conditional writes straight to moto can both pass (DynamoDB itself
//! applies them atomically per item). The local stack's edge serializes DynamoDB writes to
//! restore that guarantee; the concurrent clicks are tested end to end through it
//! (tests/tests/concurrency.rs). The team-decision contract races votes and reminder claims
//! against a moto that answers one request at a time (`spawn_serial_moto`), which restores it
//! too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use approvals::ports::{ApprovalStore, DecisionWrite};
use approvals::quorum::Quorum;
use approvals::testing::store_contract::check_store_contract;
use approvals::testing::store_contract_companions::check_companion_contract;
use approvals::testing::store_contract_votes::check_team_contract;
use approvals::{ApprovalId, ApprovalRecord, Channel, DecidedBy, Decision, RecordedDecision};
use aws_adapters::dynamodb_quorum::REMIND_INDEX;
use aws_adapters::dynamodb_store::{OPEN_MESSAGES_INDEX, RELAY_INDEX};
use aws_adapters::DynamoApprovalStore;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

mod moto;

use moto::{sdk_config_when_ready, spawn_moto, spawn_serial_moto};

/// moto on a free port with the approvals table created; stopped when the `Moto` is dropped.
async fn start_moto() -> (moto::Moto, aws_sdk_dynamodb::Client) {
    with_table(spawn_moto()).await
}

async fn with_table((moto, port): (moto::Moto, u16)) -> (moto::Moto, aws_sdk_dynamodb::Client) {
    let client = aws_sdk_dynamodb::Client::new(&sdk_config_when_ready(port).await);
    create_approvals_table(&client).await;
    (moto, client)
}

/// The table `Approvals` with its key and its indexes as template.yaml declares them.
async fn create_approvals_table(client: &aws_sdk_dynamodb::Client) {
    client
        .create_table()
        .table_name("Approvals")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("approvalId", ScalarAttributeType::S))
        .attribute_definitions(attribute("openMessage", ScalarAttributeType::S))
        .attribute_definitions(attribute("expiresAt", ScalarAttributeType::N))
        .attribute_definitions(attribute("redrive", ScalarAttributeType::S))
        .attribute_definitions(attribute("redriveAt", ScalarAttributeType::N))
        .attribute_definitions(attribute("remind", ScalarAttributeType::S))
        .attribute_definitions(attribute("remindAt", ScalarAttributeType::N))
        .key_schema(key("approvalId", KeyType::Hash))
        .global_secondary_indexes(index(OPEN_MESSAGES_INDEX, "openMessage", "expiresAt"))
        .global_secondary_indexes(index(RELAY_INDEX, "redrive", "redriveAt"))
        .global_secondary_indexes(index(REMIND_INDEX, "remind", "remindAt"))
        .send()
        .await
        .unwrap();
}

fn attribute(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

/// An index as template.yaml declares them (sparse, keys only).
fn index(name: &str, hash: &str, range: &str) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(hash, KeyType::Hash))
        .key_schema(key(range, KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_dynamodb_store_keeps_the_store_contract() {
    let (_moto, client) = start_moto().await;
    let store = DynamoApprovalStore::new(client, "Approvals");
    check_store_contract(&store, "ddb").await;
}

#[tokio::test]
async fn the_dynamodb_store_keeps_the_team_decision_contract() {
    let (_moto, client) = with_table(spawn_serial_moto()).await;
    let store = DynamoApprovalStore::new(client, "Approvals");
    check_team_contract(&store, "ddb").await;
}

/// Companions race too (a Parallel state's Slack and Teams posts): one request at a time.
#[tokio::test]
async fn the_dynamodb_store_keeps_the_companion_contract() {
    let (_moto, client) = with_table(spawn_serial_moto()).await;
    let store = DynamoApprovalStore::new(client, "Approvals");
    check_companion_contract(&store, "ddb").await;
}

/// Loses the answer to the first vote write once armed: moto applies it, the caller gets a
/// 500, and the SDK sends the very same request again (as when a network drops an answer).
#[derive(Debug, Default, Clone)]
struct LoseVoteAnswer {
    armed: Arc<AtomicBool>,
    this_one: Arc<AtomicBool>,
}

impl Intercept for LoseVoteAnswer {
    fn name(&self) -> &'static str {
        "LoseVoteAnswer"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.request().body().bytes().unwrap_or_default();
        let vote = String::from_utf8_lossy(body).contains("list_append(if_not_exists(votes");
        self.this_one
            .store(vote && self.armed.load(Ordering::SeqCst), Ordering::SeqCst);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.this_one.swap(false, Ordering::SeqCst) {
            self.armed.store(false, Ordering::SeqCst);
            let response = context.response_mut();
            *response.status_mut() = StatusCode::try_from(500u16).unwrap();
            *response.body_mut() = SdkBody::from(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"answer lost"}"#,
            );
        }
        Ok(())
    }
}

/// A vote whose write landed but whose answer was lost is found again by its write id when
/// the SDK's retry finds the votes changed: counted (or recorded) once, not "already voted".
#[tokio::test]
async fn a_vote_whose_answer_was_lost_is_counted_once() {
    let (moto, port) = spawn_moto();
    let (_moto, plain) = with_table((moto, port)).await;
    let lose = LoseVoteAnswer::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config_when_ready(port).await)
        .interceptor(lose.clone())
        .build();
    let store = DynamoApprovalStore::new(aws_sdk_dynamodb::Client::from_conf(config), "Approvals");
    let mut record = ApprovalRecord::new("lost-1", "t".into(), Channel::Email, NOW, NOW + 100, 1);
    record.approvers = vec!["a@x.io".into(), "b@x.io".into(), "c@x.io".into()];
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    store.create(&record).await.unwrap();
    let id = ApprovalId::from("lost-1");
    for (who, expected) in [("a@x.io", "counted"), ("b@x.io", "recorded")] {
        lose.armed.store(true, Ordering::SeqCst);
        let write = store.record_decision(&id, &vote(who), NOW).await.unwrap();
        assert!(!lose.armed.load(Ordering::SeqCst), "the answer was lost");
        let kind = match write {
            DecisionWrite::Counted(_) => "counted",
            DecisionWrite::Recorded(_) => "recorded",
            other => panic!("{who}: {other:?}"),
        };
        assert_eq!(kind, expected, "{who}");
    }
    let stored = DynamoApprovalStore::new(plain, "Approvals")
        .get(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.votes.len(), 2, "each vote once");
    assert_eq!(stored.decision.unwrap().decided_by.id, "b@x.io");
}

const NOW: i64 = 1_800_000_000;

fn vote(who: &str) -> RecordedDecision {
    RecordedDecision {
        decision: Decision::Approve,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: NOW,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    }
}
