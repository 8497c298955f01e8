//! DynamoDB stream records as Lambda's event source mapping hands them over, and their images
//! as the SDK's items, so the record is read by the store's own `dynamodb_item::from_item`.
//!
//! Unknown fields are ignored here, unlike our inputs: this JSON is AWS's, and a field AWS adds
//! must not stop the audit trail.

use std::collections::HashMap;

use approvals::{ApprovalRecord, HitlError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::dynamodb_item::{corrupt, from_item, Item};

/// The Lambda event of a DynamoDB stream event source mapping.
#[derive(Debug, Clone, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records")]
    pub records: Vec<StreamRecord>,
}

/// One stream record: one committed write to one item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRecord {
    /// Unique per record, the same when the record is delivered again.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: String,
    pub dynamodb: StreamChange,
    /// Set by DynamoDB on the deletes its TTL makes (and only on those).
    #[serde(default)]
    pub user_identity: Option<UserIdentity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamChange {
    /// What a partial batch failure names (`itemIdentifier`).
    pub sequence_number: String,
    /// Unix seconds (fractional); anything else (a stand-in's text) is ignored: it only dates
    /// the event.
    #[serde(default, deserialize_with = "seconds_or_none")]
    pub approximate_creation_date_time: Option<f64>,
    #[serde(default)]
    pub old_image: Option<Map<String, Value>>,
    #[serde(default)]
    pub new_image: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: String,
    pub principal_id: String,
}

impl StreamRecord {
    /// A delete made by DynamoDB's TTL, as AWS marks them (`userIdentity` of type `Service`,
    /// principal `dynamodb.amazonaws.com`).
    pub fn removed_by_ttl(&self) -> bool {
        self.event_name == "REMOVE"
            && self
                .user_identity
                .as_ref()
                .is_some_and(|u| u.kind == "Service" && u.principal_id == "dynamodb.amazonaws.com")
    }

    /// The record before and after the write.
    pub fn records(&self) -> Result<(Option<ApprovalRecord>, Option<ApprovalRecord>), HitlError> {
        let read = |image: &Option<Map<String, Value>>| {
            image
                .as_ref()
                .map(|i| image_to_item(i).and_then(|item| from_item(&item)))
                .transpose()
        };
        Ok((
            read(&self.dynamodb.old_image)?,
            read(&self.dynamodb.new_image)?,
        ))
    }
}

fn seconds_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.and_then(|v| v.as_f64()))
}

/// A stream image (DynamoDB's JSON: `{"approvalId": {"S": "a-1"}, ...}`) as an SDK item.
pub fn image_to_item(image: &Map<String, Value>) -> Result<Item, HitlError> {
    image
        .iter()
        .map(|(name, value)| Ok((name.clone(), attribute(name, value)?)))
        .collect::<Result<HashMap<_, _>, _>>()
}

fn attribute(name: &str, value: &Value) -> Result<AttributeValue, HitlError> {
    let bad = || corrupt(name);
    let Some((kind, v)) = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
    else {
        return Err(bad());
    };
    let text = || v.as_str().map(str::to_string).ok_or_else(bad);
    let texts = || -> Result<Vec<String>, HitlError> {
        v.as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
            .collect()
    };
    let blob = |s: &str| {
        aws_smithy_types::base64::decode(s)
            .map(Blob::new)
            .map_err(|_| bad())
    };
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text()?),
        "N" => AttributeValue::N(text()?),
        "B" => AttributeValue::B(blob(&text()?)?),
        "BOOL" => AttributeValue::Bool(v.as_bool().ok_or_else(bad)?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(texts()?),
        "NS" => AttributeValue::Ns(texts()?),
        "BS" => AttributeValue::Bs(texts()?.iter().map(|s| blob(s)).collect::<Result<_, _>>()?),
        "L" => AttributeValue::L(
            v.as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|x| attribute(name, x))
                .collect::<Result<_, _>>()?,
        ),
        "M" => AttributeValue::M(image_to_item(v.as_object().ok_or_else(bad)?)?),
        _ => return Err(bad()),
    })
}
