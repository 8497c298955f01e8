//! What the cases need before they are measured, made through the local stack (plain HTTP,
//! unthrottled, never counted): the secrets, and real waiting task tokens.
//!
//! A decision resumes a real execution: each approval gets one, waiting in moto's Step
//! Functions on a `.waitForTaskToken` Task that calls the stack's own Wait For Approval
//! function (as the email workflow does), which stores the token on the approval's record.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use local_stack::launch::LocalStack;
use local_stack::provision;
use serde_json::json;

pub const TABLE: &str = "ApprovalsTable";
pub const KEY_RING_ID: &str = "bench/link-signing-keys";
pub const BOT_TOKEN_ID: &str = "bench/slack-bot-token";
pub const SIGNING_SECRET_ID: &str = "bench/slack-signing-secret";
pub const SLACK_BOT_TOKEN: &str = "xoxb-bench";
pub const SLACK_SIGNING_SECRET: &str = "bench-slack-signing-secret";
const KEY_RING: &str =
    r#"{"currentKeyId": "bench", "currentKey": "benchmark-signing-key-0123456789abcdef"}"#;
/// Executions started at once while parking tokens (each runs the stack's Wait For Approval).
const PARK_BATCH: usize = 10;
const PARK_LIMIT: Duration = Duration::from_secs(60);

pub struct Stack {
    /// Stops the stack when dropped.
    _local: LocalStack,
    pub edge: String,
    sfn: aws_sdk_sfn::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    park_machine: String,
}

impl Stack {
    /// Starts `hitl-local up` from `stack_bin_dir`, puts the bench's secrets and creates the
    /// state machine that parks tokens.
    pub async fn start(stack_bin_dir: &Path, workspace: &Path) -> anyhow::Result<Self> {
        let local = LocalStack::start(stack_bin_dir, workspace)?;
        let edge = local.endpoints.edge.clone();
        let sdk = provision::sdk_config(&edge).await;
        for (name, value) in [
            (KEY_RING_ID, KEY_RING),
            (BOT_TOKEN_ID, SLACK_BOT_TOKEN),
            (SIGNING_SECRET_ID, SLACK_SIGNING_SECRET),
        ] {
            provision::put_secret(&sdk, name, value).await?;
        }
        let sfn = aws_sdk_sfn::Client::new(&sdk);
        let park_machine = create_park_machine(&sfn).await?;
        Ok(Stack {
            _local: local,
            edge,
            sfn,
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            park_machine,
        })
    }

    /// Gives every approval a real waiting task token; returns the executions, in order.
    pub async fn park(&self, approval_ids: &[String]) -> anyhow::Result<Vec<String>> {
        let mut executions = Vec::with_capacity(approval_ids.len());
        for batch in approval_ids.chunks(PARK_BATCH) {
            let first = executions.len();
            for id in batch {
                let started = self
                    .sfn
                    .start_execution()
                    .state_machine_arn(&self.park_machine)
                    .input(json!({ "approvalId": id }).to_string())
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow!(
                            "StartExecution: {}",
                            aws_sdk_sfn::error::DisplayErrorContext(e)
                        )
                    })?;
                executions.push(started.execution_arn().to_string());
            }
            self.wait_for_tokens(batch, &executions[first..]).await?;
        }
        Ok(executions)
    }

    /// Until each record holds a token from Step Functions (not a bench placeholder); fails at
    /// once if an execution ends before its token is parked (the stack's Wait For Approval
    /// failed: its log is in `.local-stack/logs/`).
    async fn wait_for_tokens(&self, ids: &[String], executions: &[String]) -> anyhow::Result<()> {
        let deadline = Instant::now() + PARK_LIMIT;
        let mut pending: Vec<(&String, &String)> = ids.iter().zip(executions).collect();
        while !pending.is_empty() {
            if Instant::now() > deadline {
                return Err(anyhow!(
                    "{} tokens not parked within {PARK_LIMIT:?}",
                    pending.len()
                ));
            }
            let mut still = Vec::new();
            for (id, execution) in pending {
                if self.has_real_token(id).await? {
                    continue;
                }
                if let Some(status) = self.ended(execution).await {
                    return Err(anyhow!(
                        "a parking execution ended {status} before its token was stored (the stack's \
                         Wait For Approval failed? see .local-stack/logs/WaitForApprovalFunction.log)"
                    ));
                }
                still.push((id, execution));
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    async fn has_real_token(&self, id: &str) -> anyhow::Result<bool> {
        let item = self
            .dynamodb
            .get_item()
            .table_name(TABLE)
            .key(
                "approvalId",
                aws_sdk_dynamodb::types::AttributeValue::S(id.into()),
            )
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "GetItem: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
        let token = item.item().and_then(|i| i.get("taskToken"));
        Ok(
            matches!(token, Some(aws_sdk_dynamodb::types::AttributeValue::S(t)) if !t.starts_with("bench-")),
        )
    }

    /// The status of an execution that is no longer running.
    async fn ended(&self, execution: &str) -> Option<String> {
        let described = self
            .sfn
            .describe_execution()
            .execution_arn(execution)
            .send()
            .await;
        let status = described.ok()?.status().as_str().to_string();
        (status != "RUNNING").then_some(status)
    }

    /// How many of `executions` have ended successfully (resumed by a decision); waits a little
    /// for moto to finish those just resumed.
    pub async fn resumed(&self, executions: &[String]) -> usize {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut done = 0;
        let mut pending: Vec<&String> = executions.iter().collect();
        while !pending.is_empty() && Instant::now() < deadline {
            let mut still = Vec::new();
            for arn in pending {
                let described = self
                    .sfn
                    .describe_execution()
                    .execution_arn(arn)
                    .send()
                    .await;
                match described.map(|d| d.status().as_str().to_string()) {
                    Ok(status) if status == "SUCCEEDED" => done += 1,
                    Ok(status) if status == "RUNNING" => still.push(arn),
                    _ => {}
                }
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        done
    }
}

/// One Task that calls the stack's Wait For Approval with the approval id and its token.
async fn create_park_machine(sfn: &aws_sdk_sfn::Client) -> anyhow::Result<String> {
    let wait_for_approval = local_stack::template::function_arn("WaitForApprovalFunction");
    let definition = json!({
        "Comment": "hitl-bench: parks a real task token on an approval record",
        "StartAt": "Wait",
        "States": {"Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": wait_for_approval,
                "Payload": {"approvalId.$": "$.approvalId", "taskToken.$": "$$.Task.Token"}
            },
            "TimeoutSeconds": 3600,
            "End": true
        }}
    });
    let created = sfn
        .create_state_machine()
        .name("HitlBenchParkToken")
        .role_arn("arn:aws:iam::123456789012:role/hitl-bench")
        .definition(definition.to_string())
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "CreateStateMachine: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
    Ok(created.state_machine_arn().to_string())
}
