//! Building the SDK clients once per cold start: configuration from the environment with known
//! time limits, and the adapters every function family shares.

#[cfg(any(feature = "dynamodb", feature = "secrets"))]
use approvals::HitlError;
use aws_config::{BehaviorVersion, SdkConfig};
use lambda_kit::Settings;

/// SDK configuration from the environment; `AWS_ENDPOINT_URL` points it at the local stack.
/// Every call ends within the operation timeout of [`crate::timeouts::TASK_SDK`], retries
/// included, so each function's worst case is known (`function_catalog` budgets, checked by the `timeouts` tests). Calls go through
/// the process's one HTTP client ([`crate::sdk_http`]).
pub async fn aws_config() -> SdkConfig {
    let limits = crate::timeouts::TASK_SDK;
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::sdk_http::SharedReqwest)
        .timeout_config(limits.timeout_config())
        .retry_config(limits.retry_config())
        .load()
        .await
}

/// An AWS service a function calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsService {
    DynamoDb,
    StepFunctions,
    Ses,
    SecretsManager,
}

impl AwsService {
    /// The SDK's per-service endpoint override (`AWS_ENDPOINT_URL_<ID>`).
    fn endpoint_variable(self) -> &'static str {
        match self {
            AwsService::DynamoDb => "AWS_ENDPOINT_URL_DYNAMODB",
            AwsService::StepFunctions => "AWS_ENDPOINT_URL_SFN",
            AwsService::Ses => "AWS_ENDPOINT_URL_SESV2",
            AwsService::SecretsManager => "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        }
    }

    /// The endpoint's host prefix (`https://<prefix>.<region>.amazonaws.com`).
    fn prefix(self) -> &'static str {
        match self {
            AwsService::DynamoDb => "dynamodb",
            AwsService::StepFunctions => "states",
            AwsService::Ses => "email",
            AwsService::SecretsManager => "secretsmanager",
        }
    }
}

/// The endpoints of `services` as the SDK resolves them: a service's own
/// `AWS_ENDPOINT_URL_<ID>`, else `AWS_ENDPOINT_URL`, else the region's, for
/// `lambda_kit::http_client::open_connections` during init. A `GET /` is harmless on each (DynamoDB
/// answers "healthy", the others an error); only the connection matters.
pub fn endpoints(config: &SdkConfig, settings: &Settings, services: &[AwsService]) -> Vec<String> {
    let region = config.region().map(|r| r.as_ref()).unwrap_or("us-east-1");
    let suffix = match region.starts_with("cn-") {
        true => "amazonaws.com.cn",
        false => "amazonaws.com",
    };
    let mut urls: Vec<String> = services
        .iter()
        .map(|s| {
            match settings
                .optional(s.endpoint_variable())
                .or(config.endpoint_url())
            {
                Some(url) => url.trim_end_matches('/').to_string() + "/",
                None => format!("https://{}.{region}.{suffix}/", s.prefix()),
            }
        })
        .collect();
    urls.dedup();
    urls
}

/// The same configuration with the shorter limits of [`crate::timeouts::INTERACTIVE_SDK`], for
/// the calls a Slack click makes before it answers (its clients share the connections).
pub fn interactive_sdk_config(config: &SdkConfig) -> SdkConfig {
    with_sdk_limits(config, crate::timeouts::INTERACTIVE_SDK)
}

/// `config` with other timeouts and retries.
pub fn with_sdk_limits(config: &SdkConfig, limits: crate::timeouts::SdkTimeouts) -> SdkConfig {
    config
        .to_builder()
        .timeout_config(limits.timeout_config())
        .retry_config(limits.retry_config())
        .build()
}

/// The approvals table named by `TABLE_NAME`.
#[cfg(feature = "dynamodb")]
pub fn approval_store(
    config: &SdkConfig,
    settings: &Settings,
) -> Result<crate::DynamoApprovalStore, HitlError> {
    Ok(crate::DynamoApprovalStore::new(
        aws_sdk_dynamodb::Client::new(config),
        settings.table_name()?.to_string(),
    ))
}

/// What a waiting Task needs: the table that holds its token, and Step Functions to resume
/// the execution at once when the decision came first.
#[cfg(all(feature = "dynamodb", feature = "stepfunctions"))]
pub struct WaitDeps {
    pub store: crate::DynamoApprovalStore,
    pub resumer: crate::StepFunctionsResumer,
}

#[cfg(all(feature = "dynamodb", feature = "stepfunctions"))]
impl WaitDeps {
    pub fn new(config: &SdkConfig, settings: &Settings) -> Result<Self, HitlError> {
        Ok(WaitDeps {
            store: approval_store(config, settings)?,
            resumer: crate::StepFunctionsResumer::from_config(config),
        })
    }
}

/// How signed links are made: keys (the key ring secret named by
/// `LINK_SIGNING_KEYS_SECRET_ID`), where they point (`DECISION_BASE_URL`) and how long records
/// stay after expiry.
#[cfg(feature = "secrets")]
pub struct LinkConfig {
    pub signer: approvals::LinkSigner,
    pub base_url: String,
    pub retention_days: i64,
}

#[cfg(feature = "secrets")]
impl LinkConfig {
    pub async fn load(
        secrets: &crate::secrets::SecretReader,
        settings: &Settings,
    ) -> Result<Self, HitlError> {
        Ok(LinkConfig {
            signer: secrets.link_signer().await?,
            base_url: settings.decision_base_url()?.to_string(),
            retention_days: settings.retention_days()?,
        })
    }

    /// Settings for links handed out through `origin` (email, a Teams card).
    pub fn settings(&self, origin: approvals::Channel) -> approvals::use_cases::LinkSettings<'_> {
        approvals::use_cases::LinkSettings {
            signer: &self.signer,
            base_url: &self.base_url,
            retention_days: self.retention_days,
            origin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn endpoints_follow_the_sdk_overrides_then_the_region() {
        let services = [AwsService::DynamoDb, AwsService::StepFunctions];
        let regional = SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        assert_eq!(
            endpoints(&regional, &settings(&[]), &services),
            [
                "https://dynamodb.eu-west-1.amazonaws.com/",
                "https://states.eu-west-1.amazonaws.com/"
            ]
        );
        let local = SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        let own = settings(&[("AWS_ENDPOINT_URL_DYNAMODB", "https://127.0.0.12:9000")]);
        assert_eq!(
            endpoints(&local, &own, &services),
            ["https://127.0.0.12:9000/", "http://127.0.0.1:4566/"]
        );
        assert_eq!(
            endpoints(&local, &settings(&[]), &services),
            ["http://127.0.0.1:4566/"],
            "one connection when every service is behind one endpoint"
        );
    }
}
