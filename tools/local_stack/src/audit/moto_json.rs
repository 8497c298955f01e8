//! Calls to moto in the AWS JSON protocols (DynamoDB Streams, EventBridge, SQS, DynamoDB's
//! Scan and DeleteItem), straight to moto: the local stack's own bookkeeping, neither faulted
//! nor metered. moto checks no signature; it picks the service by the credential scope.

use anyhow::{anyhow, Context};
use serde_json::Value;

/// One moto server's JSON API.
#[derive(Clone)]
pub struct MotoJson {
    pub url: String,
    pub http: reqwest::Client,
}

impl MotoJson {
    pub fn new(url: &str) -> Self {
        MotoJson {
            url: url.trim_end_matches('/').to_string() + "/",
            http: reqwest::Client::new(),
        }
    }

    /// `target` as `X-Amz-Target` (`DynamoDBStreams_20120810.GetRecords`), signed for `scope`.
    pub async fn call(&self, scope: &str, target: &str, body: &Value) -> anyhow::Result<Value> {
        let version = match scope {
            "events" => "1.1",
            _ => "1.0",
        };
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=local/20250101/{}/{scope}/aws4_request, SignedHeaders=host, Signature=0",
            crate::template::REGION
        );
        let response = self
            .http
            .post(&self.url)
            .header("x-amz-target", target)
            .header("content-type", format!("application/x-amz-json-{version}"))
            .header("authorization", auth)
            .body(body.to_string())
            .send()
            .await
            .with_context(|| format!("moto {target}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(anyhow!("moto {target}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
