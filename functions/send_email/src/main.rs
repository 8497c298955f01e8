//! Send Email: approval emails with the links as buttons, or plain notifications, through the
//! transport `EMAIL_TRANSPORT` names (SESv2, SMTP or Outlook).

use approvals::ports::EmailSender;
use approvals::use_cases::email::send_emails;
use approvals::HitlError;
use aws_adapters::cold_start::ColdContext;
use aws_adapters::secrets::{secret_text, SecretReader};
use aws_adapters::ses_sender::sender_address;
use aws_adapters::startup::{serve_task, Dependencies, Task};
use aws_adapters::SesEmailSender;
use channels::email::{build_emails, SendEmailInput, SendEmailOutput};
use lambda_kit::http_client::open_connections;
use lambda_kit::Settings;
use saas_adapters::mail::{configured_sender, ConfiguredSender};

/// Send Email: the messages rendered from the input, then sent.
async fn send_email(
    input: SendEmailInput,
    from: &str,
    sender: &dyn EmailSender,
) -> Result<SendEmailOutput, HitlError> {
    send_emails(&build_emails(input, from)?, sender).await
}

struct Deps {
    sender_email: String,
    sender: Box<dyn EmailSender>,
}

impl Dependencies for Deps {
    async fn build(cold: ColdContext) -> Result<Self, HitlError> {
        let sender_email = sender_address(cold.settings.sender_email()?)?;
        let sender = sender(&cold.settings, &cold.config, &cold.secrets, &sender_email).await?;
        // Outlook's hosts, once its secret is read (SES is opened with the catalog's services).
        open_connections(&sender.connection_urls).await;
        Ok(Deps {
            sender_email,
            sender: sender.sender,
        })
    }
}

impl Task for Deps {
    type Input = SendEmailInput;
    type Output = SendEmailOutput;

    async fn handle(&self, input: SendEmailInput) -> Result<SendEmailOutput, HitlError> {
        let output = send_email(input, &self.sender_email, &self.sender).await?;
        tracing::info!(sent = output.sent, "email sent");
        Ok(output)
    }
}

/// The configured transport's sender, with the secret it needs (read once, at cold start).
async fn sender(
    settings: &Settings,
    config: &aws_config::SdkConfig,
    secrets: &SecretReader,
    from: &str,
) -> Result<ConfiguredSender, HitlError> {
    configured_sender(
        &settings.email_transport()?,
        from,
        secret_text(secrets),
        || Box::new(SesEmailSender::new(aws_sdk_sesv2::Client::new(config))),
    )
    .await
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    serve_task::<Deps>(env!("CARGO_PKG_NAME")).await
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use approvals::testing::FakeEmailSender;
    use serde_json::{json, Value};

    use super::*;

    /// `template.yaml` deployed with `SenderEmail=sender`: the `SENDER_EMAIL` the function gets
    /// and the `ses:FromAddress` conditions of its `ses:SendEmail` permission, as
    /// (operator, value) pairs.
    fn deployed_with(sender: &str) -> (String, Vec<(String, String)>) {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let parameters = BTreeMap::from([("SenderEmail".to_string(), sender.to_string())]);
        let deployed = sam_template::Template::read(&template)
            .unwrap()
            .deploy(&sam_template::Deployment {
                region: "us-east-1",
                account: "123456789012",
                stack_name: "hitl",
                parameters: &parameters,
                api_endpoint: None,
                generated: &|_| "x".repeat(40),
            })
            .unwrap();
        let function = deployed
            .functions
            .iter()
            .find(|f| f.binary == "send-email")
            .unwrap();
        let mut conditions = Vec::new();
        for policy in &function.policies {
            for statement in policy["Statement"].as_array().into_iter().flatten() {
                let actions = match &statement["Action"] {
                    Value::String(one) => vec![one.clone()],
                    many => serde_json::from_value(many.clone()).unwrap(),
                };
                if !actions.iter().any(|a| a == "ses:SendEmail") {
                    continue;
                }
                let condition = statement["Condition"].as_object().unwrap();
                for (operator, keys) in condition {
                    conditions.push((
                        operator.clone(),
                        keys["ses:FromAddress"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
        (function.env["SENDER_EMAIL"].clone(), conditions)
    }

    fn allowed(from: &str, (operator, value): &(String, String)) -> bool {
        match operator.as_str() {
            "StringEquals" => from == value,
            "StringEqualsIgnoreCase" => from.eq_ignore_ascii_case(value),
            other => panic!("an ses:FromAddress condition this test does not know: {other}"),
        }
    }

    /// AWS compares `ses:FromAddress` case-sensitively (`StringEquals`): a mixed-case
    /// `SenderEmail` must reach SES as configured, or every send is AccessDenied.
    #[tokio::test]
    async fn the_from_address_sent_is_the_one_iam_allows_for_a_mixed_case_sender() {
        let (env, conditions) = deployed_with("Approvals@Corp.com");
        assert!(
            !conditions.is_empty(),
            "ses:SendEmail has no ses:FromAddress condition"
        );
        let sender = FakeEmailSender::default();
        let input = serde_json::from_value(json!({
            "to": "owner@example.com", "subject": "Hello", "text": "Hi"
        }))
        .unwrap();
        send_email(input, &sender_address(&env).unwrap(), &sender)
            .await
            .unwrap();
        let sent = sender.sent.lock().unwrap();
        assert_eq!(sent[0].from, "Approvals@Corp.com");
        for condition in &conditions {
            assert!(
                allowed(&sent[0].from, condition),
                "SES would refuse From {:?}: IAM allows {condition:?}",
                sent[0].from
            );
        }
    }

    /// Create Approval Links' output with approvers has no shared links: Send Email sends each
    /// approver their own pair, and an approval with neither is refused, not sent linkless.
    #[tokio::test]
    async fn approvals_are_sent_with_personal_links_or_refused_without_links() {
        let approval = json!({
            "approvalId": "a-1", "expiresAt": "2030-01-01T00:00:00Z", "title": "Stop db-1?",
            "links": [{"approver": "alice@example.com", "approveUrl": "https://x/a?d=approve",
                       "rejectUrl": "https://x/a?d=reject"}]
        });
        let sender = FakeEmailSender::default();
        let input = serde_json::from_value(json!({"approval": approval})).unwrap();
        send_email(input, "approvals@example.com", &sender)
            .await
            .unwrap();
        let sent = sender.sent.lock().unwrap().clone();
        assert_eq!(sent[0].to, ["alice@example.com"]);
        assert!(sent[0].text.contains("https://x/a?d=approve"));

        let mut linkless = approval.clone();
        linkless["links"] = json!([]);
        let input =
            serde_json::from_value(json!({"approval": linkless, "to": "bob@example.com"})).unwrap();
        let error = send_email(input, "approvals@example.com", &sender)
            .await
            .unwrap_err();
        assert!(matches!(error, HitlError::InvalidInput(_)), "{error:?}");
    }

    #[test]
    fn a_sender_that_is_not_an_address_is_a_configuration_error() {
        for bad in ["approvals", " Approvals@Corp.com", "Approvals@Corp.com\n"] {
            assert!(
                matches!(sender_address(bad), Err(HitlError::Config(_))),
                "{bad:?}"
            );
        }
    }
}
