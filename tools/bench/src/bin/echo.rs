//! The limit: a `lambda_runtime` function that answers its event as it came, nothing else.
//! `hitl-bench` runs it beside our functions, built with the same release profile.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
