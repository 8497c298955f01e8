//! Jira Change Issue Status: moves a Jira Cloud issue to a status (or through a named
//! transition), optionally with a comment.

use hitl_aws::lambda_support::{aws_config, init_tracing, parse_input, run_task};
use hitl_aws::secrets::{SecretReader, JIRA_API_TOKEN};
use hitl_domain::jira::{change_issue_status, ChangeIssueStatusOutput};
use hitl_domain::HitlError;
use hitl_services::jira::JiraCloud;
use serde_json::Value;

async fn handle(jira: &JiraCloud, payload: Value) -> Result<ChangeIssueStatusOutput, HitlError> {
    let output = change_issue_status(parse_input(payload)?, jira).await?;
    tracing::info!(
        issue_key = %output.issue_key,
        status = ?output.status,
        changed = output.changed,
        transition_id = output.transition_id.as_deref().unwrap_or(""),
        "issue status set"
    );
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let secrets = SecretReader::new(&aws_config().await);
    let jira = match secrets.required_text(JIRA_API_TOKEN).await {
        Ok(token) => JiraCloud::from_token(&token),
        Err(e) => Err(e),
    };
    run_task(&jira, handle).await
}
