//! DynamoDB's TTL, which moto does not have: deletes the records whose `expiresAtTtl` has
//! passed, noting each key first so the local event source mapping marks its `REMOVE` record as
//! AWS marks a TTL delete. Runs every minute on the clock, and on demand at any time given
//! (`POST /_local/api/audit/ttl-sweep {"now": <unix seconds>}`): a record's retention is days,
//! so a test asks for a sweep "as of" a later time instead of waiting.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::moto_json::MotoJson;
use super::stream::MappingState;

pub struct Reaper {
    pub moto: MotoJson,
    pub table: String,
    pub state: Arc<Mutex<MappingState>>,
}

impl Reaper {
    /// Deletes what TTL would have deleted by `now`; the approval ids deleted.
    pub async fn sweep(&self, now: i64) -> anyhow::Result<Vec<String>> {
        let scanned = self
            .moto
            .call(
                "dynamodb",
                "DynamoDB_20120810.Scan",
                &json!({"TableName": self.table,
                    "FilterExpression": "expiresAtTtl <= :now",
                    "ExpressionAttributeValues": {":now": {"N": now.to_string()}},
                    "ProjectionExpression": "approvalId"}),
            )
            .await?;
        let ids: Vec<String> = scanned["Items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i: &Value| i["approvalId"]["S"].as_str().map(str::to_string))
            .collect();
        for id in &ids {
            self.state.lock().unwrap().ttl_keys.insert(id.clone());
            self.moto
                .call(
                    "dynamodb",
                    "DynamoDB_20120810.DeleteItem",
                    &json!({"TableName": self.table, "Key": {"approvalId": {"S": id}}}),
                )
                .await?;
        }
        Ok(ids)
    }
}
