//! The table's stream fed to the Audit Publisher the way Lambda's event source mapping does:
//! each shard read from its oldest record (`TRIM_HORIZON`), batches of at most
//! [`BATCH_SIZE`] in order, and on a reported item failure (`ReportBatchItemFailures`) or a
//! function error the batch is handed over again from the failed record, so nothing after it
//! is skipped. A record past [`MAX_RETRIES`] attempts is set aside, as the failure queue would
//! keep it.
//!
//! moto's stream records carry no `userIdentity`; AWS's TTL deletes do
//! (`{"type": "Service", "principalId": "dynamodb.amazonaws.com"}`). The local TTL reaper
//! ([`super::reaper`]) notes the keys it deletes, and this mapping adds that identity to their
//! `REMOVE` records only.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::moto_json::MotoJson;
use crate::runtime_api::FunctionPool;

/// The template's `BatchSize`.
pub const BATCH_SIZE: usize = 10;
/// The template's `MaximumRetryAttempts`.
pub const MAX_RETRIES: u32 = 100;

/// What the mapping did, for the page and the API.
#[derive(Default)]
pub struct MappingState {
    /// Batches handed over (retries included).
    pub invocations: u64,
    /// Batches handed over again (an item failure or a function error).
    pub retries: u64,
    /// Records given up after [`MAX_RETRIES`] (the failure queue's), by sequence number.
    pub given_up: Vec<String>,
    /// Keys the reaper deleted whose `REMOVE` records are TTL's.
    pub ttl_keys: BTreeSet<String>,
}

pub struct Mapping {
    pub moto: MotoJson,
    pub stream_arn: String,
    pub function: Arc<FunctionPool>,
    pub state: Arc<Mutex<MappingState>>,
}

impl Mapping {
    /// Polls every shard until shutdown (moto's tables have one shard).
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut iterators = Vec::new();
        let mut pending: VecDeque<Value> = VecDeque::new();
        let mut attempts = 0u32;
        loop {
            if *stop.borrow() {
                return;
            }
            if iterators.is_empty() {
                iterators = self.shard_iterators().await.unwrap_or_default();
            }
            for iterator in iterators.iter_mut() {
                if let Ok((records, next)) = self.read(iterator).await {
                    pending.extend(records);
                    *iterator = next;
                }
            }
            while !pending.is_empty() {
                let delivered = self.deliver(&mut pending, &mut attempts).await;
                if !delivered {
                    break; // retried on the next tick, after a pause
                }
            }
            let pause = if attempts > 0 { 500 } else { 200 };
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(pause)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn shard_iterators(&self) -> anyhow::Result<Vec<String>> {
        let described = self
            .moto
            .call(
                "dynamodb",
                "DynamoDBStreams_20120810.DescribeStream",
                &json!({"StreamArn": self.stream_arn}),
            )
            .await?;
        let mut out = Vec::new();
        for shard in described["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let it = self
                .moto
                .call(
                    "dynamodb",
                    "DynamoDBStreams_20120810.GetShardIterator",
                    &json!({"StreamArn": self.stream_arn, "ShardId": shard["ShardId"],
                        "ShardIteratorType": "TRIM_HORIZON"}),
                )
                .await?;
            out.extend(it["ShardIterator"].as_str().map(str::to_string));
        }
        Ok(out)
    }

    async fn read(&self, iterator: &str) -> anyhow::Result<(Vec<Value>, String)> {
        let got = self
            .moto
            .call(
                "dynamodb",
                "DynamoDBStreams_20120810.GetRecords",
                &json!({"ShardIterator": iterator, "Limit": 100}),
            )
            .await?;
        let next = got["NextShardIterator"]
            .as_str()
            .unwrap_or(iterator)
            .to_string();
        let records = got["Records"].as_array().cloned().unwrap_or_default();
        Ok((records, next))
    }

    /// Hands the first batch over; whether it went through (`pending` then lost it).
    async fn deliver(&self, pending: &mut VecDeque<Value>, attempts: &mut u32) -> bool {
        let n = pending.len().min(BATCH_SIZE);
        let batch: Vec<Value> = pending.iter().take(n).map(|r| self.as_lambda(r)).collect();
        let outcome = self.function.invoke(json!({"Records": batch})).await;
        let failed_at = match &outcome {
            Ok(answer) => failed_index(answer, &batch),
            Err(_) => Some(0),
        };
        let mut state = self.state.lock().unwrap();
        state.invocations += 1;
        match failed_at {
            None => {
                pending.drain(..n);
                *attempts = 0;
                true
            }
            Some(i) => {
                pending.drain(..i);
                *attempts += 1;
                state.retries += 1;
                if *attempts > MAX_RETRIES {
                    if let Some(dropped) = pending.pop_front() {
                        state.given_up.push(sequence(&dropped));
                    }
                    *attempts = 0;
                }
                false
            }
        }
    }

    fn as_lambda(&self, record: &Value) -> Value {
        as_lambda(
            record,
            &self.stream_arn,
            &self.state.lock().unwrap().ttl_keys,
        )
    }
}

/// A moto stream record as Lambda hands it over: its stream's ARN, and AWS's identity on the
/// deletes the TTL reaper made (`ttl_keys`), only those: moto's records carry no
/// `userIdentity`.
pub fn as_lambda(record: &Value, stream_arn: &str, ttl_keys: &BTreeSet<String>) -> Value {
    let mut record = record.clone();
    record["eventSourceARN"] = json!(stream_arn);
    let key = record["dynamodb"]["Keys"]["approvalId"]["S"]
        .as_str()
        .unwrap_or_default();
    if record["eventName"] == "REMOVE" && ttl_keys.contains(key) {
        record["userIdentity"] = ttl_identity();
    }
    record
}

/// The identity AWS gives the deletes its TTL makes.
pub fn ttl_identity() -> Value {
    json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
}

fn sequence(record: &Value) -> String {
    record["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The index of the first record the function named as failed (`batchItemFailures`), as
/// Lambda reads it: the lowest sequence number among those named.
pub fn failed_index(answer: &Value, batch: &[Value]) -> Option<usize> {
    let named: Vec<&str> = answer["batchItemFailures"]
        .as_array()?
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect();
    batch
        .iter()
        .position(|r| named.contains(&sequence(r).as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, id: &str, seq: &str) -> Value {
        json!({"eventID": seq, "eventName": name, "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"approvalId": {"S": id}}, "SequenceNumber": seq}})
    }

    #[test]
    fn only_the_reapers_deletes_carry_the_ttl_identity_as_aws_records_do() {
        let reaped = BTreeSet::from(["a-1".to_string()]);
        // moto's own records have none: this mapping adds it.
        assert!(record("REMOVE", "a-1", "1").get("userIdentity").is_none());
        let ttl = as_lambda(&record("REMOVE", "a-1", "1"), "arn:s", &reaped);
        assert_eq!(ttl["userIdentity"], ttl_identity());
        assert_eq!(ttl["eventSourceARN"], "arn:s");
        for other in [record("REMOVE", "a-2", "2"), record("MODIFY", "a-1", "3")] {
            assert!(as_lambda(&other, "arn:s", &reaped)
                .get("userIdentity")
                .is_none());
        }
    }

    #[test]
    fn a_batch_is_handed_over_again_from_the_first_record_the_function_names() {
        let batch: Vec<Value> = ["7", "8", "9"]
            .iter()
            .map(|s| record("INSERT", "a", s))
            .collect();
        let answer =
            json!({"batchItemFailures": [{"itemIdentifier": "9"}, {"itemIdentifier": "8"}]});
        assert_eq!(failed_index(&answer, &batch), Some(1));
        assert_eq!(
            failed_index(&json!({"batchItemFailures": []}), &batch),
            None
        );
    }
}
