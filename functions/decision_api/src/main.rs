//! Decision API (HttpApi): GET on a link shows a confirmation page and never decides; the POST
//! from that page records the decision (first wins) and resumes the waiting execution; Slack's
//! interactivity requests (button clicks); the Teams bot's card clicks. Routes: [`routes`];
//! clients are built once here.

use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::sdk_config::{approval_store, with_sdk_limits};
use aws_adapters::secrets::{RefreshingSigner, KEY_RING_MAX_AGE, SLACK_SIGNING_SECRET};
use aws_adapters::startup::{serve_http, Dependencies};
use aws_adapters::timeouts::LINK_SDK;
use aws_adapters::{DynamoApprovalStore, StepFunctionsResumer};
use saas_adapters::slack::SlackWebApi;

mod links;
mod routes;
mod slack_interactions;
mod teams_messages;

use slack_interactions::SlackInteractivity;
use teams_messages::TeamsInteractivity;

pub struct Deps {
    /// The key ring, re-read every few minutes so a rotation reaches warm instances.
    signer: RefreshingSigner,
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
    /// Set when the deployment has Slack (a signing secret).
    slack: Option<Result<SlackInteractivity, HitlError>>,
    /// Set when the deployment has the Teams bot (an app id).
    teams: Option<Result<TeamsInteractivity, HitlError>>,
}

impl Dependencies for Deps {
    /// Slack's Web API when the deployment has Slack (a click updates its message); the Bot
    /// Framework's keys when it has the Teams bot.
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        let slack = cold
            .settings
            .secret_id(SLACK_SIGNING_SECRET)
            .map(|_| SlackWebApi::connection_url(cold.settings.slack_api_url()));
        let teams = TeamsInteractivity::connection_url(&cold.settings);
        slack.into_iter().chain(teams).collect()
    }

    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let (config, settings) = (&cold.config, &cold.settings);
        // A person waits for the page: patient limits, never a needless "try again".
        let link_sdk = with_sdk_limits(config, LINK_SDK);
        let slack = SlackInteractivity::load(config, settings, &cold.secrets).await;
        // Slack's own misconfiguration is kept beside working link pages; a transient failure
        // reading its secrets is not kept: the whole build is tried again by the next request.
        if let Some(Err(err)) = &slack {
            if err.is_transient() {
                return Err(err.clone());
            }
        }
        // The bot's misconfiguration is kept the same way. Its keys are fetched by the first
        // click (within the click's budget), not here: building again while a Slack click
        // waits must stay short.
        let teams = TeamsInteractivity::load(config, settings);
        Ok(Deps {
            signer: RefreshingSigner::load(cold.secrets.clone(), KEY_RING_MAX_AGE).await?,
            store: approval_store(&link_sdk, settings)?,
            resumer: StepFunctionsResumer::from_config(&link_sdk),
            slack,
            teams,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_http(env!("CARGO_PKG_NAME"), |deps: routes::Shared| {
        lambda_http::run(routes::router(deps))
    })
    .await
}
