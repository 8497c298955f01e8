//! The DynamoDB adapter against moto's real DynamoDB API runs the same store contract as the
//! in-memory store (`approvals::testing::store_contract`): first decision wins, late decisions kept
//! apart, deliveries leased to their token, the sparse relay and open-message indexes.
//!
//! Calls are made one after another: moto evaluates conditions without a lock, so concurrent
//! conditional writes straight to moto can both pass (DynamoDB itself applies them atomically
//! per item). The local stack's edge serializes DynamoDB writes to restore that guarantee; the
//! concurrent clicks are tested end to end through it (tests/tests/concurrency.rs).

use approvals::testing::store_contract::check_store_contract;
use aws_adapters::dynamodb_store::{OPEN_MESSAGES_INDEX, RELAY_INDEX};
use aws_adapters::DynamoApprovalStore;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};

mod moto;

use moto::{sdk_config_when_ready, spawn_moto};

/// moto on a free port with the approvals table created; stopped when the `Moto` is dropped.
async fn start_moto() -> (moto::Moto, aws_sdk_dynamodb::Client) {
    let (moto, port) = spawn_moto();
    let client = aws_sdk_dynamodb::Client::new(&sdk_config_when_ready(port).await);
    create_approvals_table(&client).await;
    (moto, client)
}

/// The table `Approvals` with its key and its two indexes as template.yaml declares them.
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
        .key_schema(key("approvalId", KeyType::Hash))
        .global_secondary_indexes(index(OPEN_MESSAGES_INDEX, "openMessage", "expiresAt"))
        .global_secondary_indexes(index(RELAY_INDEX, "redrive", "redriveAt"))
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
