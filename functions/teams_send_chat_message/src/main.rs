//! Teams Send Chat Message: posts a text or an Adaptive Card to a chat and waits for
//! nothing. Through the Workflows webhook without a `target` (or without Graph credentials),
//! else through Microsoft Graph.

use hitl_aws::lambda_support::{init_tracing, parse_input, run_task};
use hitl_domain::teams::{send_message, Conversation, TeamsSendMessageOutput};
use hitl_domain::HitlError;
use hitl_services::teams::TeamsClient;
use serde_json::Value;

async fn handle(teams: &TeamsClient, payload: Value) -> Result<TeamsSendMessageOutput, HitlError> {
    let output = send_message(parse_input(payload)?, Conversation::Chat, teams).await?;
    tracing::info!(via = ?output.via, message_id = output.message_id.as_deref().unwrap_or(""), "Teams chat message sent");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    // Built once per cold start; a configuration error fails every Task with Hitl.Config.
    let teams = TeamsClient::from_env();
    run_task(teams, handle).await
}
