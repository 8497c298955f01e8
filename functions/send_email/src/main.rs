//! Send Email (SESv2): approval emails with the links as buttons, or plain notifications.

use hitl_aws::lambda_support::{aws_config, init_tracing, parse_input, required_env, run_task};
use hitl_aws::SesEmailSender;
use hitl_domain::approval::normalize_email;
use hitl_domain::email::{send_email, SendEmailOutput};
use hitl_domain::HitlError;
use serde_json::Value;

struct Deps {
    sender_email: String,
    sender: SesEmailSender,
}

async fn handle(deps: &Deps, payload: Value) -> Result<SendEmailOutput, HitlError> {
    let output = send_email(parse_input(payload)?, &deps.sender_email, &deps.sender).await?;
    tracing::info!(sent = output.sent, "email sent");
    Ok(output)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = aws_config().await;
    let deps = required_env("SENDER_EMAIL")
        .and_then(|s| {
            normalize_email(&s).map_err(|_| {
                HitlError::Config(format!("SENDER_EMAIL {s:?} is not an email address"))
            })
        })
        .map(|sender_email| Deps {
            sender_email,
            sender: SesEmailSender::new(aws_sdk_sesv2::Client::new(&config)),
        });
    run_task(deps, handle).await
}
