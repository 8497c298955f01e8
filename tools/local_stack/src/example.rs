//! The example workflow `make run` starts: two idle RDS instances (and a busy one) reviewed one
//! by one by the shipped `RdsIdleReviewStateMachine`.

use anyhow::anyhow;
use serde_json::json;

/// Who approves in the example (both owners must, as in the template's weekly review; whoever
/// has not answered is reminded daily, and after three reminders the lead may fill their
/// place); change the addresses here to see the emails addressed to you.
const EXAMPLE_INPUT: &str = r#"{"approvers": ["owner@example.com", "second-owner@example.com"], "quorum": {"approvals": "all"}, "reminders": {"everySeconds": 86400, "escalateAfter": 3, "escalateTo": ["dba-lead@example.com"]}}"#;
const INSTANCES: &[(&str, bool)] = &[("db-idle-1", true), ("db-idle-2", true), ("db-busy", false)];

pub async fn start(edge: &str, sfn: &aws_sdk_sfn::Client) -> anyhow::Result<()> {
    for (id, idle) in INSTANCES {
        crate::rds::create_instance(edge, id, *idle).await?;
    }
    let out = sfn
        .start_execution()
        .state_machine_arn(crate::template::state_machine_arn(
            "RdsIdleReviewStateMachine",
        ))
        .name(format!("example-{}", uuid::Uuid::new_v4().simple()))
        .input(EXAMPLE_INPUT)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "start the example: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
    eprintln!(
        "  Example: reviewing idle RDS instances {} (not db-busy): execution {}",
        json!(["db-idle-1", "db-idle-2"]),
        out.execution_arn()
    );
    Ok(())
}
