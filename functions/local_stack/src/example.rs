//! The example workflow `make run` starts: two idle RDS instances (and a busy one) reviewed one
//! by one by the shipped `RdsIdleReviewStateMachine`.

use serde_json::json;

/// Who approves in the example; change it here to see the emails addressed to you.
const EXAMPLE_INPUT: &str = r#"{"approvers": ["owner@example.com"]}"#;
const INSTANCES: &[(&str, bool)] = &[("db-idle-1", true), ("db-idle-2", true), ("db-busy", false)];

async fn create_instance(edge: &str, id: &str, idle: bool) -> Result<(), String> {
    let mut form = vec![
        ("Action", "CreateDBInstance"),
        ("Version", "2014-10-31"),
        ("DBInstanceIdentifier", id),
        ("DBInstanceClass", "db.t3.micro"),
        ("Engine", "postgres"),
        ("AllocatedStorage", "20"),
        ("MasterUsername", "admin"),
        ("MasterUserPassword", "local-only-password"),
    ];
    if idle {
        form.extend([
            ("Tags.Tag.1.Key", "hitl:idle"),
            ("Tags.Tag.1.Value", "true"),
        ]);
    }
    let response = reqwest::Client::new()
        .post(format!("{edge}/"))
        // moto routes by the SigV4 credential scope; the signature itself is not checked.
        .header("authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!(
            "create RDS instance {id}: HTTP {}",
            response.status()
        ));
    }
    Ok(())
}

pub async fn start(edge: &str, sfn: &aws_sdk_sfn::Client) -> Result<(), String> {
    for (id, idle) in INSTANCES {
        create_instance(edge, id, *idle).await?;
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
            format!(
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
