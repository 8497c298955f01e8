//! Jira Add Issue Comment: adds a comment (plain text or an ADF document) to a Jira Cloud issue.

use approvals::use_cases::jira::add_issue_comment;
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::JIRA_API_TOKEN;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use channels::jira::{AddIssueCommentInput, AddIssueCommentOutput};
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
    type Input = AddIssueCommentInput;
    type Output = AddIssueCommentOutput;

    async fn handle(
        &self,
        input: AddIssueCommentInput,
    ) -> Result<AddIssueCommentOutput, HitlError> {
        let output = add_issue_comment(input.validate()?, &self.0).await?;
        tracing::info!(issue_key = %output.issue_key, comment_id = %output.comment_id, "comment added");
        Ok(output)
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}
