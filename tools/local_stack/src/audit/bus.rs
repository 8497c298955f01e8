//! The audit bus in moto, and a way to read what was published on it: a rule for the
//! product's source to an SQS queue, drained into memory for the page and the API.

use std::sync::Mutex;

use serde_json::{json, Value};

use super::moto_json::MotoJson;

/// The audit events' `source` (`approvals::audit::SOURCE`).
pub const SOURCE: &str = "hitl.approvals";

/// The events read from the bus so far (oldest first), at most this many kept.
pub const KEPT: usize = 2000;

pub struct BusReader {
    moto: MotoJson,
    queue_url: String,
    pub events: Mutex<Vec<Value>>,
}

impl BusReader {
    /// Creates `bus`, its queue and the rule between them.
    pub async fn create(moto: MotoJson, bus: &str) -> anyhow::Result<Self> {
        moto.call("events", "AWSEvents.CreateEventBus", &json!({"Name": bus}))
            .await?;
        let queue = moto
            .call(
                "sqs",
                "AmazonSQS.CreateQueue",
                &json!({"QueueName": "hitl-local-audit-events"}),
            )
            .await?;
        let queue_url = queue["QueueUrl"].as_str().unwrap_or_default().to_string();
        let attributes = moto
            .call(
                "sqs",
                "AmazonSQS.GetQueueAttributes",
                &json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}),
            )
            .await?;
        let queue_arn = attributes["Attributes"]["QueueArn"].clone();
        let rule = json!({"Name": "hitl-local-audit", "EventBusName": bus,
            "EventPattern": json!({"source": [SOURCE]}).to_string()});
        moto.call("events", "AWSEvents.PutRule", &rule).await?;
        let targets = json!({"Rule": "hitl-local-audit", "EventBusName": bus,
            "Targets": [{"Id": "local", "Arn": queue_arn}]});
        moto.call("events", "AWSEvents.PutTargets", &targets)
            .await?;
        Ok(BusReader {
            moto,
            queue_url,
            events: Mutex::new(Vec::new()),
        })
    }

    /// Moves what the queue holds into `events`; how many came.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut moved = 0;
        loop {
            let received = self
                .moto
                .call(
                    "sqs",
                    "AmazonSQS.ReceiveMessage",
                    &json!({"QueueUrl": self.queue_url, "MaxNumberOfMessages": 10}),
                )
                .await?;
            let messages = received["Messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return Ok(moved);
            }
            for m in &messages {
                let body = m["Body"].as_str().unwrap_or_default();
                let event: Value = serde_json::from_str(body).unwrap_or(json!({"raw": body}));
                {
                    let mut events = self.events.lock().unwrap();
                    events.push(event);
                    let over = events.len().saturating_sub(KEPT);
                    events.drain(..over);
                }
                moved += 1;
                let delete =
                    json!({"QueueUrl": self.queue_url, "ReceiptHandle": m["ReceiptHandle"]});
                self.moto
                    .call("sqs", "AmazonSQS.DeleteMessage", &delete)
                    .await?;
            }
        }
    }

    pub fn snapshot(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }
}
