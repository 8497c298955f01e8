//! The secret reader against moto's Secrets Manager: every secret a function's environment
//! names is read at cold start, beside the connections init opens, so the first event finds
//! the values in hand; a later ask (a key ring refresh) reads again.

mod moto;

use approvals::HitlError;
use aws_adapters::secrets::SecretReader;
use lambda_kit::Settings;
use moto::{sdk_config_when_ready, spawn_moto};
use secrecy::ExposeSecret;

fn settings(vars: &[(&str, &str)]) -> Settings {
    Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

async fn text(reader: &SecretReader, var: &str) -> Result<String, HitlError> {
    let value = reader.required_text(var).await?;
    Ok(value.expose_secret().to_string())
}

#[tokio::test]
async fn secrets_are_read_at_cold_start_and_a_later_ask_reads_again() {
    let (moto, port) = spawn_moto();
    let config = sdk_config_when_ready(port).await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    for (name, value) in [
        ("stack/slack-bot-token", "xoxb-1"),
        ("stack/jira", "jira-1"),
    ] {
        let created = client.create_secret().name(name).secret_string(value);
        created.send().await.unwrap();
    }
    let reader = SecretReader::new(
        &config,
        &settings(&[
            ("SLACK_BOT_TOKEN_SECRET_ID", "stack/slack-bot-token"),
            ("JIRA_API_TOKEN_SECRET_ID", "stack/jira"),
        ]),
    );
    // Both reads were started by `new`: once they are done, Secrets Manager going away does
    // not matter to the first asks.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    drop(moto);
    assert_eq!(
        text(&reader, "SLACK_BOT_TOKEN_SECRET_ID").await.unwrap(),
        "xoxb-1"
    );
    assert_eq!(
        text(&reader, "JIRA_API_TOKEN_SECRET_ID").await.unwrap(),
        "jira-1"
    );
    // A second ask is a new read, which now fails, naming the variable and not the value.
    // Secrets Manager out of reach is transient, not a misconfiguration: the next event reads
    // again (lambda_kit::ColdStart), so the process is not poisoned.
    let again = text(&reader, "SLACK_BOT_TOKEN_SECRET_ID")
        .await
        .unwrap_err();
    assert_eq!(again.name(), "Hitl.Transient");
    assert!(
        again.to_string().contains("SLACK_BOT_TOKEN_SECRET_ID"),
        "{again}"
    );
    assert!(!again.to_string().contains("xoxb-1"), "{again}");
}

#[tokio::test]
async fn a_secret_that_cannot_be_read_at_cold_start_is_a_config_error_naming_it() {
    let (_moto, port) = spawn_moto();
    let config = sdk_config_when_ready(port).await;
    let reader = SecretReader::new(
        &config,
        &settings(&[("JIRA_API_TOKEN_SECRET_ID", "stack/missing")]),
    );
    let err = text(&reader, "JIRA_API_TOKEN_SECRET_ID").await.unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(err.to_string().contains("stack/missing"), "{err}");
    // Unset: that part of the product is not configured.
    assert!(reader
        .optional("SLACK_BOT_TOKEN_SECRET_ID")
        .await
        .unwrap()
        .is_none());
}
