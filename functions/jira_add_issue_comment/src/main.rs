//! Jira Add Issue Comment: adds a comment (plain text or an ADF document) to a Jira Cloud issue.

use hitl_aws::lambda_support::{aws_config, init_tracing, parse_input, run_task};
use hitl_aws::secrets::{SecretReader, JIRA_API_TOKEN};
use hitl_domain::jira::{add_issue_comment, AddIssueCommentOutput};
use hitl_domain::HitlError;
use hitl_services::jira::JiraCloud;
use serde_json::Value;

async fn handle(jira: &JiraCloud, payload: Value) -> Result<AddIssueCommentOutput, HitlError> {
    let output = add_issue_comment(parse_input(payload)?, jira).await?;
    tracing::info!(issue_key = %output.issue_key, comment_id = %output.comment_id, "comment added");
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
