//! Jira Change Issue Status: moves a Jira Cloud issue to a status (or through a named
//! transition), optionally with a comment.

use approvals::HitlError;
use aws_adapters::sdk_config::aws_config;
use aws_adapters::secrets::{SecretReader, JIRA_API_TOKEN};
use channels::jira::{change_issue_status, ChangeIssueStatusOutput};
use lambda_kit::http::open_connections;
use lambda_kit::{init_tracing, parse_input, run_task, Settings};
use saas_adapters::jira::JiraCloud;
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
    let settings = Settings::from_env();
    let config = aws_config().await;
    // Starts reading this function's secrets now, beside the connections opened below.
    let secrets = SecretReader::new(&config, &settings);
    // Opened while init runs at full speed, not by the first event (lambda_kit::http).
    if let Ok((site, _)) = settings.jira_site() {
        open_connections(&[JiraCloud::connection_url(site)]).await;
    }
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let jira = match secrets.required_text(JIRA_API_TOKEN).await {
        Ok(token) => settings
            .jira_site()
            .and_then(|site| JiraCloud::from_token(site, &token)),
        Err(e) => Err(e),
    };
    run_task(&jira, handle).await
}
