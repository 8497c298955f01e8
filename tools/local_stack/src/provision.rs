//! Creates the template's resources in moto: tables (with TTL and global secondary indexes),
//! the SES sender identity and the state machines (ASL localized for moto's SDK casing).

use std::collections::BTreeMap;

use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use crate::template::{IndexDef, Stack, TableDef, ACCOUNT, REGION};

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "hitl-local",
        ))
        .load()
        .await
}

/// (attribute, HASH|RANGE) pairs of a table or index as DynamoDB key schema elements.
fn key_schema(pairs: &[(String, String)]) -> anyhow::Result<Vec<KeySchemaElement>> {
    pairs
        .iter()
        .map(|(name, kind)| {
            let key_type = if kind == "RANGE" {
                KeyType::Range
            } else {
                KeyType::Hash
            };
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(anyhow::Error::from)
        })
        .collect()
}

/// An index of a pay-per-request table: no provisioned throughput.
fn global_secondary_index(index: &IndexDef) -> anyhow::Result<GlobalSecondaryIndex> {
    let non_key_attributes =
        (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone());
    GlobalSecondaryIndex::builder()
        .index_name(&index.name)
        .set_key_schema(Some(key_schema(&index.key_schema)?))
        .projection(
            Projection::builder()
                .set_projection_type(index.projection_type.as_deref().map(ProjectionType::from))
                .set_non_key_attributes(non_key_attributes)
                .build(),
        )
        .build()
        .with_context(|| format!("index {}", index.name))
}

/// The secrets the template creates, in moto's Secrets Manager. Done before any function
/// starts: functions read their secrets at cold start, and on AWS the stack creates them first.
pub async fn provision_secrets(
    stack: &Stack,
    config: &aws_config::SdkConfig,
) -> anyhow::Result<()> {
    for secret in &stack.secrets {
        put_secret(config, &secret.name, &secret.value).await?;
    }
    Ok(())
}

/// Creates the secret `name`, or gives it a new current value if it exists (the way an
/// operator rotates a key with `put-secret-value`).
pub async fn put_secret(
    config: &aws_config::SdkConfig,
    name: &str,
    value: &str,
) -> anyhow::Result<()> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let created = client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    anyhow!(
                        "secret {name}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                    )
                })
        }
        Err(e) => Err(anyhow!(
            "secret {name}: {}",
            aws_sdk_secretsmanager::error::DisplayErrorContext(e)
        )),
    }
}

/// Returns the state machine ARNs by logical id.
pub async fn provision(
    stack: &Stack,
    config: &aws_config::SdkConfig,
) -> anyhow::Result<BTreeMap<String, String>> {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    for table in &stack.tables {
        create_table(&dynamodb, table).await?;
    }
    create_sender_identities(stack, config).await?;
    create_state_machines(stack, config).await
}

async fn create_table(dynamodb: &aws_sdk_dynamodb::Client, table: &TableDef) -> anyhow::Result<()> {
    let mut create = dynamodb
        .create_table()
        .table_name(&table.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&table.key_schema)?));
    for index in &table.global_secondary_indexes {
        create = create.global_secondary_indexes(global_secondary_index(index)?);
    }
    for (name, kind) in &table.attributes {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()?,
        );
    }
    create.send().await.map_err(|e| {
        anyhow!(
            "create table {}: {}",
            table.name,
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        )
    })?;
    if let Some(attribute) = &table.ttl_attribute {
        dynamodb
            .update_time_to_live()
            .table_name(&table.name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "TTL on {}: {}",
                    table.name,
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
    }
    Ok(())
}

/// moto's SESv2 refuses senders without an identity: one per function's `SENDER_EMAIL`.
async fn create_sender_identities(
    stack: &Stack,
    config: &aws_config::SdkConfig,
) -> anyhow::Result<()> {
    let ses = aws_sdk_sesv2::Client::new(config);
    let senders: std::collections::BTreeSet<&String> = stack
        .functions
        .iter()
        .filter_map(|f| f.env.get("SENDER_EMAIL"))
        .collect();
    for sender in senders {
        ses.create_email_identity()
            .email_identity(sender)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "SES identity {sender}: {}",
                    aws_sdk_sesv2::error::DisplayErrorContext(e)
                )
            })?;
    }
    Ok(())
}

/// The state machine ARNs by logical id.
async fn create_state_machines(
    stack: &Stack,
    config: &aws_config::SdkConfig,
) -> anyhow::Result<BTreeMap<String, String>> {
    let sfn = aws_sdk_sfn::Client::new(config);
    let mut arns = BTreeMap::new();
    for sm in &stack.state_machines {
        let definition = crate::asl_casing::localize_asl(&sm.definition);
        let out = sfn
            .create_state_machine()
            .name(&sm.name)
            .definition(definition.to_string())
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/hitl-local"))
            .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "create state machine {}: {}",
                    sm.name,
                    aws_sdk_sfn::error::DisplayErrorContext(e)
                )
            })?;
        arns.insert(sm.logical_id.clone(), out.state_machine_arn().to_string());
    }
    Ok(arns)
}
