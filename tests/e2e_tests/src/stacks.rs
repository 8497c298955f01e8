//! Stacks deployed with other template parameters (`hitl-local up --parameter Name=Value`),
//! for tests of a configuration: one stack per set of parameters and test binary, started on
//! first use and stopped when the binary exits, beside (not instead of) the default stack of
//! [`crate::endpoints`].

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use local_stack::launch::{LaunchOptions, LocalStack};
use serde_json::Value;

use crate::{bin_dir, http, unique, workspace_root, Endpoints, Finished, SentEmail};

/// A running stack deployed with its own parameters.
#[derive(Debug, Clone)]
pub struct Configured {
    pub endpoints: Endpoints,
}

static STACKS: OnceLock<Mutex<BTreeMap<String, &'static LocalStack>>> = OnceLock::new();

/// The stack deployed with `parameters` (e.g. `[("EmailTransport", "smtp")]`).
pub fn stack_with(parameters: &[(&str, &str)]) -> Configured {
    let key = format!("{parameters:?}");
    let mut stacks = STACKS.get_or_init(Default::default).lock().unwrap();
    let stack = stacks.entry(key).or_insert_with(|| {
        let options = LaunchOptions {
            extra_args: parameters
                .iter()
                .flat_map(|(k, v)| ["--parameter".to_string(), format!("{k}={v}")])
                .collect(),
            ..LaunchOptions::default()
        };
        let stack = LocalStack::start_with(&bin_dir(), &workspace_root(), &options)
            .unwrap_or_else(|e| panic!("{e} (make test builds everything first)"));
        Box::leak(Box::new(stack))
    });
    Configured {
        endpoints: stack.endpoints.clone(),
    }
}

impl Configured {
    async fn sfn(&self) -> aws_sdk_sfn::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(crate::REGION))
            .endpoint_url(&self.endpoints.edge)
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                "test", "test", None, None, "e2e",
            ))
            .load()
            .await;
        aws_sdk_sfn::Client::new(&config)
    }

    /// Invokes a function as Step Functions does: its error type (if any) and its payload.
    pub async fn invoke(&self, function: &str, payload: &Value) -> (Option<String>, Value) {
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoints.edge
        );
        let r = http()
            .post(url)
            .body(payload.to_string())
            .send()
            .await
            .unwrap();
        let error = r
            .headers()
            .get("x-amz-function-error")
            .map(|v| v.to_str().unwrap().to_string());
        (error, r.json().await.unwrap())
    }

    /// What the local page lists, as JSON (every field of every email).
    pub async fn emails(&self) -> Vec<Value> {
        let url = format!("{}/_local/api/emails", self.endpoints.api);
        http().get(&url).send().await.unwrap().json().await.unwrap()
    }

    /// Waits for the emails whose subject contains `needle`.
    pub async fn emails_matching(&self, needle: &str, count: usize) -> Vec<SentEmail> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found: Vec<SentEmail> = self
                .emails()
                .await
                .into_iter()
                .filter(|e| e["subject"].as_str().unwrap_or_default().contains(needle))
                .map(|e| serde_json::from_value(e).unwrap())
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no {count} email(s) with {needle:?} after 30 s"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn start_execution(&self, state_machine: &str, input: Value) -> String {
        self.sfn()
            .await
            .start_execution()
            .state_machine_arn(crate::state_machine_arn(state_machine))
            .name(unique("e2e"))
            .input(input.to_string())
            .send()
            .await
            .expect("StartExecution")
            .execution_arn()
            .to_string()
    }

    /// Polls until the execution leaves RUNNING (or panics after `timeout`).
    pub async fn wait_for_end(&self, execution_arn: &str, timeout: Duration) -> Finished {
        crate::wait_for_end_on(&self.sfn().await, execution_arn, timeout).await
    }
}
