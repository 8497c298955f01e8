//! Decision API (HttpApi): GET on a link shows a confirmation page and never decides; the POST
//! from that page records the decision (first wins) and resumes the waiting execution; Slack's
//! interactivity requests (button clicks). Routes: [`routes`]; clients are built once here.

use std::sync::Arc;

use approvals::HitlError;
use aws_adapters::sdk_config::{approval_store, aws_config, endpoints, AwsService};
use aws_adapters::secrets::{
    RefreshingSigner, SecretReader, KEY_RING_MAX_AGE, SLACK_SIGNING_SECRET,
};
use aws_adapters::{DynamoApprovalStore, StepFunctionsResumer};
use lambda_http::Error;
use lambda_kit::http::open_connections;
use lambda_kit::{init_tracing, Settings};
use saas_adapters::slack::SlackWebApi;

mod links;
mod routes;
mod slack_interactions;

use slack_interactions::SlackInteractivity;

pub struct Deps {
    /// The key ring, re-read every few minutes so a rotation reaches warm instances.
    signer: RefreshingSigner,
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
    /// Set when the deployment has Slack (a signing secret).
    slack: Option<Result<SlackInteractivity, HitlError>>,
}

impl Deps {
    async fn load(
        config: &aws_config::SdkConfig,
        settings: &Settings,
        secrets: SecretReader,
    ) -> Result<Self, HitlError> {
        Ok(Deps {
            signer: RefreshingSigner::load(secrets.clone(), KEY_RING_MAX_AGE).await?,
            store: approval_store(config, settings)?,
            resumer: StepFunctionsResumer::from_config(config),
            slack: SlackInteractivity::load(config, settings, &secrets).await,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let settings = Settings::from_env();
    let config = aws_config().await;
    // Starts reading the key ring and Slack's secrets now, beside the connections below.
    let secrets = SecretReader::new(&config, &settings);
    // Opened while init runs at full speed, not by the first click (lambda_kit::http).
    let services = [AwsService::DynamoDb, AwsService::StepFunctions];
    let mut urls = endpoints(&config, &settings, &services);
    if settings.secret_id(SLACK_SIGNING_SECRET).is_some() {
        urls.push(SlackWebApi::connection_url(settings.slack_api_url()));
    }
    open_connections(&urls).await;
    let deps = Deps::load(&config, &settings, secrets).await;
    lambda_http::run(routes::router(Arc::new(deps))).await
}
