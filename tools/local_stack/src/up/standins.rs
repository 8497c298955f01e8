//! The stand-ins of a `hitl-local up` run and the template parameters that point the
//! functions at them.

use std::collections::BTreeMap;

use local_stack::standins::jira::JiraStandIn;
use local_stack::standins::slack::SlackStandIn;
use local_stack::standins::teams::TeamsStandIn;
use local_stack::standins::StandIns;

/// The Jira account the stand-in knows (its API token is made up per run).
const JIRA_EMAIL: &str = "automation@example.com";

/// Credentials of this run's stand-ins: random, so nothing real is ever needed or leaked.
pub struct StandInSecrets {
    slack_bot_token: String,
    slack_signing_secret: String,
    graph_client_id: String,
    graph_client_secret: String,
    jira_api_token: String,
}

impl StandInSecrets {
    pub fn generate() -> Self {
        StandInSecrets {
            slack_bot_token: format!("xoxb-local-{}", uuid::Uuid::new_v4().simple()),
            slack_signing_secret: random_secret(),
            graph_client_id: uuid::Uuid::new_v4().to_string(),
            graph_client_secret: random_secret(),
            jira_api_token: random_secret(),
        }
    }
}

pub fn random_secret() -> String {
    // Two v4 UUIDs: 244 random bits, plenty for a local signing key that lives one run.
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn standins(secrets: &StandInSecrets, api_url: &str) -> StandIns {
    StandIns {
        slack: SlackStandIn::new(
            &secrets.slack_bot_token,
            &secrets.slack_signing_secret,
            &format!("{api_url}/slack/interactions"),
        ),
        teams: TeamsStandIn::new(&secrets.graph_client_id, &secrets.graph_client_secret),
        jira: JiraStandIn::new(JIRA_EMAIL, &secrets.jira_api_token),
    }
}

/// The template parameters that point the functions at the stand-ins.
pub fn template_overrides(secrets: &StandInSecrets, api_url: &str) -> BTreeMap<String, String> {
    let standins_url = format!("{api_url}/_standins");
    [
        ("SlackBotToken", secrets.slack_bot_token.clone()),
        ("SlackSigningSecret", secrets.slack_signing_secret.clone()),
        ("SlackApiUrl", format!("{standins_url}/slack/api")),
        (
            "SlackTeamId",
            local_stack::standins::slack::TEAM_ID.to_string(),
        ),
        (
            "TeamsWebhookUrl",
            format!("{standins_url}/teams/webhook/local-approvals"),
        ),
        ("JiraBaseUrl", format!("{standins_url}/jira")),
        ("JiraEmail", JIRA_EMAIL.to_string()),
        ("JiraApiToken", secrets.jira_api_token.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
