//! Jira Change Issue Status: moves a Jira Cloud issue to a status (or through a named
//! transition), optionally with a comment.

use approvals::use_cases::jira::change_issue_status;
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::JIRA_API_TOKEN;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use channels::jira::{ChangeIssueStatusInput, ChangeIssueStatusOutput};
use saas_adapters::jira::JiraCloud;

struct Deps(JiraCloud);

impl Dependencies for Deps {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        let site = cold.settings.jira_site().ok();
        site.map(|(site, _)| JiraCloud::connection_url(site))
            .into_iter()
            .collect()
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let token = cold.secrets.required_text(JIRA_API_TOKEN).await?;
        JiraCloud::from_token(cold.settings.jira_site()?, &token).map(Deps)
    }
}

impl Task for Deps {
    type Input = ChangeIssueStatusInput;
    type Output = ChangeIssueStatusOutput;

    async fn handle(
        &self,
        input: ChangeIssueStatusInput,
    ) -> Result<ChangeIssueStatusOutput, HitlError> {
        let output = change_issue_status(input.validate()?, &self.0).await?;
        tracing::info!(
            issue_key = %output.issue_key,
            status = ?output.status,
            changed = output.changed,
            transition_id = output.transition_id.as_deref().unwrap_or(""),
            "issue status set"
        );
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
