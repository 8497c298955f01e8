//! Jira Add Issue Comment: adds a comment (plain text or an ADF document) to a Jira Cloud issue.

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::JIRA_API_TOKEN;
use approvals::use_cases::jira::add_issue_comment;
use channels::jira::{AddIssueCommentInput, AddIssueCommentOutput};
use lambda_kit::http_client::open_connections;
use lambda_kit::{init_tracing, parse_input, run_task};
use saas_adapters::jira::JiraCloud;
use serde_json::Value;

async fn handle(jira: &JiraCloud, payload: Value) -> Result<AddIssueCommentOutput, HitlError> {
    let input: AddIssueCommentInput = parse_input(payload)?;
    let output = add_issue_comment(input.validate()?, jira).await?;
    tracing::info!(issue_key = %output.issue_key, comment_id = %output.comment_id, "comment added");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let cold = ColdContext::load().await;
    // Opened while init runs at full speed, not by the first event (lambda_kit::http_client).
    if let Ok((site, _)) = cold.settings.jira_site() {
        open_connections(&[JiraCloud::connection_url(site)]).await;
    }
    // Built at cold start; a transient failure is built again by the next event (ColdStart).
    let jira = cold
        .build(|cold| async move {
            let token = cold.secrets.required_text(JIRA_API_TOKEN).await?;
            JiraCloud::from_token(cold.settings.jira_site()?, &token)
        })
        .await;
    run_task(&jira, handle).await
}
