//! The start-up without AWS: a context whose endpoints refuse connections at once, and
//! dependencies whose build is scripted.

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::SdkConfig;
use lambda_kit::{correlation, handle_event};
use serde_json::json;

use super::*;

fn settings(vars: &[(&str, &str)]) -> Settings {
    Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

/// Settings and an SDK configuration pointing at a closed local port: opening a connection
/// fails at once (and is only logged), and no AWS is reached.
fn context(vars: &[(&str, &str)]) -> ColdContext {
    let config = SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    ColdContext::from_parts(settings(vars), config)
}

/// A strict input, as every Task's is.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Input {
    approval_id: String,
    title: Option<String>,
}

/// Dependencies whose first build fails as a throttled Secrets Manager does.
struct Flaky {
    build: usize,
}

static FLAKY_BUILDS: AtomicUsize = AtomicUsize::new(0);

impl Dependencies for Flaky {
    fn saas_urls(cold: &ColdContext) -> Vec<String> {
        cold.settings
            .optional("SLACK_API_URL")
            .map(str::to_string)
            .into_iter()
            .collect()
    }

    async fn build(_cold: ColdContext) -> Result<Self, HitlError> {
        match FLAKY_BUILDS.fetch_add(1, Ordering::SeqCst) {
            0 => Err(HitlError::transient(
                "Secrets Manager",
                "ThrottlingException: Rate exceeded",
            )),
            n => Ok(Flaky { build: n + 1 }),
        }
    }
}

impl Task for Flaky {
    type Input = Input;
    type Output = String;

    async fn handle(&self, input: Input) -> Result<String, HitlError> {
        let title = input.title.unwrap_or_default();
        Ok(format!(
            "build {}: {} {title}",
            self.build, input.approval_id
        ))
    }
}

#[tokio::test]
async fn a_transient_build_failure_at_init_is_built_again_by_the_next_event() {
    let deps: ColdStart<Flaky> =
        cold_start(&function_catalog::WAIT_FOR_APPROVAL, context(&[])).await;
    assert_eq!(FLAKY_BUILDS.load(Ordering::SeqCst), 1, "built during init");
    let event = || json!({"approvalId": "a-1", "title": "Stop db-1?"});
    let answer = handle_event(&deps, &Flaky::handle, event()).await;
    assert_eq!(answer.unwrap(), "build 2: a-1 Stop db-1?");
    let answer = handle_event(&deps, &Flaky::handle, event()).await;
    assert_eq!(
        answer.unwrap(),
        "build 2: a-1 Stop db-1?",
        "kept once built"
    );
    assert_eq!(FLAKY_BUILDS.load(Ordering::SeqCst), 2);
}

/// Dependencies that always build.
struct Built;

impl Dependencies for Built {
    async fn build(_cold: ColdContext) -> Result<Self, HitlError> {
        Ok(Built)
    }
}

impl Task for Built {
    type Input = Input;
    type Output = String;

    async fn handle(&self, input: Input) -> Result<String, HitlError> {
        Ok(input.approval_id)
    }
}

#[tokio::test]
async fn an_unknown_field_is_refused_by_name_after_its_approval_is_recorded() {
    let deps: ColdStart<Built> =
        cold_start(&function_catalog::WAIT_FOR_APPROVAL, context(&[])).await;
    let event = json!({"approvalId": "a-7", "titel": "Stop db-1?"});
    let (answer, ids) = correlation::scope(async {
        let answer = handle_event(&deps, &Built::handle, event).await;
        (answer, correlation::current())
    })
    .await;
    let err = answer.unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string()
            .starts_with("unknown field `titel`; did you mean `title`?"),
        "{err}"
    );
    assert_eq!(
        ids.approval_id.as_deref(),
        Some("a-7"),
        "read before parsing"
    );
}

#[tokio::test]
async fn a_plain_http_service_url_is_a_configuration_error_for_every_event() {
    let cold = context(&[("SLACK_API_URL", "http://slack.example.com/api/")]);
    let deps: ColdStart<Built> = cold_start(&function_catalog::WAIT_FOR_APPROVAL, cold).await;
    let err = handle_event(&deps, &Built::handle, json!({"approvalId": "a-1"}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.Config");
    assert!(err.to_string().contains("SLACK_API_URL"), "{err}");
}

#[test]
fn init_opens_the_catalogs_aws_services_then_the_functions_own_hosts() {
    let cold = context(&[
        ("AWS_ENDPOINT_URL_SFN", "https://127.0.0.2:4000"),
        ("SLACK_API_URL", "https://slack.example.com/api/"),
    ]);
    assert_eq!(
        init_urls::<Flaky>(&function_catalog::DECISION_RELAY, &cold),
        [
            "http://127.0.0.1:9/",
            "https://127.0.0.2:4000/",
            "https://slack.example.com/api/"
        ],
        "DynamoDB, Step Functions, Slack; Secrets Manager is being read already"
    );
    assert_eq!(
        init_urls::<Built>(&function_catalog::JIRA_ADD_ISSUE_COMMENT, &cold),
        Vec::<String>::new()
    );
}

#[test]
fn ses_is_opened_only_when_mail_goes_through_it() {
    let send_email = &function_catalog::SEND_EMAIL;
    assert_eq!(
        opened_at_init(send_email, &settings(&[])),
        [AwsService::Ses],
        "SES is the default transport"
    );
    let smtp = settings(&[
        ("EMAIL_TRANSPORT", "smtp"),
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_USERNAME", "approvals"),
    ]);
    assert_eq!(opened_at_init(send_email, &smtp), []);
    assert_eq!(
        opened_at_init(&function_catalog::DECISION_API, &smtp),
        [AwsService::DynamoDb, AwsService::StepFunctions]
    );
}
