//! The stand-ins of a `hitl-local up` run (and its SMTP server) and the template parameters
//! that point the functions at them.

use std::collections::BTreeMap;
use std::sync::Arc;

use local_stack::outbox::Outbox;
use local_stack::smtp::SmtpServer;
use local_stack::standins::jira::JiraStandIn;
use local_stack::standins::outlook::OutlookStandIn;
use local_stack::standins::slack::SlackStandIn;
use local_stack::standins::teams::bot::{BotConfig, LOCAL_TENANT_ID};
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
    pub smtp_password: String,
    outlook_client_id: String,
    outlook_client_secret: String,
    teams_bot_app_id: String,
    teams_bot_app_secret: String,
}

/// The tenant the Outlook stand-in's token endpoint serves.
const OUTLOOK_TENANT: &str = "hitl-local";

impl StandInSecrets {
    pub fn generate() -> Self {
        StandInSecrets {
            slack_bot_token: format!("xoxb-local-{}", uuid::Uuid::new_v4().simple()),
            slack_signing_secret: random_secret(),
            graph_client_id: uuid::Uuid::new_v4().to_string(),
            graph_client_secret: random_secret(),
            jira_api_token: random_secret(),
            smtp_password: random_secret(),
            outlook_client_id: uuid::Uuid::new_v4().to_string(),
            outlook_client_secret: random_secret(),
            teams_bot_app_id: uuid::Uuid::new_v4().to_string(),
            teams_bot_app_secret: random_secret(),
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

/// The stand-ins; Outlook knows the `mailboxes` (the template's `SenderEmail`) and puts what it
/// sends in `outbox`.
pub fn standins(
    secrets: &StandInSecrets,
    api_url: &str,
    mailboxes: &[&str],
    outbox: Arc<Outbox>,
) -> StandIns {
    StandIns {
        outlook: OutlookStandIn::new(
            &secrets.outlook_client_id,
            &secrets.outlook_client_secret,
            mailboxes,
            outbox,
        ),
        slack: SlackStandIn::new(
            &secrets.slack_bot_token,
            &secrets.slack_signing_secret,
            &format!("{api_url}/slack/interactions"),
        ),
        teams: TeamsStandIn::new(&secrets.graph_client_id, &secrets.graph_client_secret).with_bot(
            BotConfig::for_stack(
                &secrets.teams_bot_app_id,
                &secrets.teams_bot_app_secret,
                api_url,
            ),
        ),
        jira: JiraStandIn::new(JIRA_EMAIL, &secrets.jira_api_token),
    }
}

/// The template parameters that point the functions at the stand-ins and the SMTP server
/// (its TLS port when `parameters` choose `SmtpSecurity=tls`), then `parameters` themselves
/// (`hitl-local up --parameter`), which win.
pub fn template_overrides(
    secrets: &StandInSecrets,
    api_url: &str,
    smtp: &SmtpServer,
    parameters: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let standins_url = format!("{api_url}/_standins");
    let smtp_port = match parameters.get("SmtpSecurity").map(String::as_str) {
        Some("tls") => smtp.tls_port,
        _ => smtp.starttls_port,
    };
    let mut overrides: BTreeMap<String, String> = [
        // `make run` starts the example workflow, and the e2e tests drive it.
        ("DeployExamples", "true".to_string()),
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
        ("SmtpHost", "localhost".to_string()),
        ("SmtpPort", smtp_port.to_string()),
        ("SmtpUsername", local_stack::smtp::USERNAME.to_string()),
        ("SmtpPassword", secrets.smtp_password.clone()),
        ("OutlookTenantId", OUTLOOK_TENANT.to_string()),
        ("OutlookClientId", secrets.outlook_client_id.clone()),
        ("OutlookClientSecret", secrets.outlook_client_secret.clone()),
        ("OutlookLoginUrl", format!("{standins_url}/outlook/login")),
        ("OutlookGraphUrl", format!("{standins_url}/outlook/graph")),
        ("TeamsBotAppId", secrets.teams_bot_app_id.clone()),
        ("TeamsBotTenantId", LOCAL_TENANT_ID.to_string()),
        ("TeamsBotAppSecret", secrets.teams_bot_app_secret.clone()),
        (
            "TeamsBotServiceUrl",
            format!("{standins_url}/teams/bot/connector/"),
        ),
        (
            "TeamsBotLoginUrl",
            format!("{standins_url}/teams/bot/login"),
        ),
        (
            "TeamsBotGraphUrl",
            format!("{standins_url}/teams/bot/graph"),
        ),
        // TEAMS_BOT_OPENID_URL: the stand-in's Bot Framework OpenID metadata.
        (
            "TeamsBotOpenIdUrl",
            format!(
                "{standins_url}/teams{}",
                local_stack::standins::teams::bot::OPENID_PATH
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    overrides.extend(parameters.clone());
    overrides
}
