//! Every function's configuration, read from its environment once at cold start, in one type.
//!
//! Nothing here is secret: secrets live in Secrets Manager, and the environment holds only
//! their ids (`*_SECRET_ID`), read with `aws_adapters::secrets` into types that cannot print.
//! A value a function needs but lacks is a `Hitl.Config` error naming the variable, raised
//! when the function asks for it (so each function requires only what it uses).

use std::collections::BTreeMap;

use approvals::HitlError;

/// Days an approval record is kept after it expires when `RECORD_RETENTION_DAYS` is unset.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

#[derive(Debug, Clone, Default)]
pub struct Settings {
    vars: BTreeMap<String, String>,
}

impl Settings {
    /// The process environment, as the template sets it.
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Any set of variables (tests, tools); blank values count as unset.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        Settings {
            vars: vars
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k, v.trim().to_string()))
                .collect(),
        }
    }

    /// The variable `name`, or `None` when it is unset or blank.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The variable `name`, or `Hitl.Config` naming it.
    pub fn required(&self, name: &str) -> Result<&str, HitlError> {
        self.optional(name)
            .ok_or_else(|| HitlError::Config(format!("environment variable {name} is not set")))
    }

    /// The approvals table (`TABLE_NAME`).
    pub fn table_name(&self) -> Result<&str, HitlError> {
        self.required("TABLE_NAME")
    }

    /// Where signed links point (`DECISION_BASE_URL`, the Decision API's URL).
    pub fn decision_base_url(&self) -> Result<&str, HitlError> {
        self.required("DECISION_BASE_URL")
    }

    /// The verified address approval email is sent from (`SENDER_EMAIL`).
    pub fn sender_email(&self) -> Result<&str, HitlError> {
        self.required("SENDER_EMAIL")
    }

    /// Days an approval record is kept after it expires (`RECORD_RETENTION_DAYS`, 30 by
    /// default).
    pub fn retention_days(&self) -> Result<i64, HitlError> {
        match self.optional("RECORD_RETENTION_DAYS") {
            None => Ok(DEFAULT_RETENTION_DAYS),
            Some(v) => v.parse().map_err(|_| {
                HitlError::Config("RECORD_RETENTION_DAYS must be a whole number".into())
            }),
        }
    }

    /// The Slack workspace whose clicks count (`SLACK_TEAM_ID`); `None`: any workspace the app
    /// is installed in.
    pub fn slack_team_id(&self) -> Option<&str> {
        self.optional("SLACK_TEAM_ID")
    }

    /// Slack's Web API base URL (`SLACK_API_URL`, for the local stack); `None`: Slack's own.
    pub fn slack_api_url(&self) -> Option<&str> {
        self.optional("SLACK_API_URL")
    }

    /// The Jira Cloud site and the account the API token belongs to (`JIRA_BASE_URL`,
    /// `JIRA_EMAIL`).
    pub fn jira_site(&self) -> Result<(&str, &str), HitlError> {
        Ok((
            self.required("JIRA_BASE_URL")?,
            self.required("JIRA_EMAIL")?,
        ))
    }

    /// The id of the secret that the variable `variable` names (`SLACK_BOT_TOKEN_SECRET_ID`
    /// ...), or `None` when that part of the product is not configured.
    pub fn secret_id(&self, variable: &str) -> Option<&str> {
        self.optional(variable)
    }

    /// Refuses a service URL (`SLACK_API_URL`, `JIRA_BASE_URL`, the Teams bot's and Outlook's
    /// endpoints: every `*_URL` but the AWS SDK's own) that is not `https://`, so no token or
    /// secret is ever sent in clear: `Hitl.Config` naming the variable. Plain `http://` is
    /// allowed on the loopback interface only (the local stack's stand-ins); `template.yaml`
    /// allows the same with [`SERVICE_URL_PATTERN`].
    pub fn check_service_urls(&self) -> Result<(), HitlError> {
        let service_urls = self
            .vars
            .iter()
            .filter(|(name, _)| name.ends_with("_URL") && !name.starts_with("AWS_"));
        for (name, value) in service_urls {
            if !is_safe_service_url(value) {
                return Err(HitlError::Config(format!(
                    "{name} must be an https:// URL (plain http only on 127.0.0.1 or localhost), \
                     got {value:?}"
                )));
            }
        }
        Ok(())
    }

    /// Every variable that names a secret (`*_SECRET_ID`) and is set: the template sets only
    /// those of the secrets a function uses, so these are the secrets it will read.
    pub fn secret_variables(&self) -> impl Iterator<Item = &str> {
        self.vars
            .keys()
            .map(String::as_str)
            .filter(|name| name.ends_with("_SECRET_ID"))
    }
}

/// The `AllowedPattern` of every service URL parameter in `template.yaml`: what
/// [`Settings::check_service_urls`] accepts.
pub const SERVICE_URL_PATTERN: &str =
    r"^(https://[^/?#@]+(/.*)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/.*)?)?$";

fn is_safe_service_url(value: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(value) else {
        return false;
    };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
    url.username().is_empty()
        && url.password().is_none()
        && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn the_secrets_a_function_reads_are_the_set_secret_id_variables() {
        let s = settings(&[
            ("SLACK_BOT_TOKEN_SECRET_ID", "stack/slack-bot-token"),
            ("JIRA_API_TOKEN_SECRET_ID", " "),
            ("TABLE_NAME", "approvals"),
            ("SECRET_ID_PREFIX", "x"),
        ]);
        assert_eq!(
            s.secret_variables().collect::<Vec<_>>(),
            ["SLACK_BOT_TOKEN_SECRET_ID"]
        );
    }

    #[test]
    fn a_missing_or_blank_variable_is_a_config_error_naming_it() {
        let s = settings(&[("TABLE_NAME", "  ")]);
        let err = s.table_name().unwrap_err();
        assert_eq!(err.name(), "Hitl.Config");
        assert!(err.to_string().contains("TABLE_NAME"), "{err}");
        let err = settings(&[("JIRA_BASE_URL", "https://x.atlassian.net")])
            .jira_site()
            .unwrap_err();
        assert!(err.to_string().contains("JIRA_EMAIL"), "{err}");
    }

    #[test]
    fn values_are_trimmed_and_retention_has_a_default() {
        let s = settings(&[("TABLE_NAME", " approvals \n"), ("SLACK_TEAM_ID", "")]);
        assert_eq!(s.table_name().unwrap(), "approvals");
        assert_eq!(s.slack_team_id(), None);
        assert_eq!(s.retention_days().unwrap(), DEFAULT_RETENTION_DAYS);
        let bad = settings(&[("RECORD_RETENTION_DAYS", "thirty")]);
        assert_eq!(bad.retention_days().unwrap_err().name(), "Hitl.Config");
        let set = settings(&[("RECORD_RETENTION_DAYS", "7")]);
        assert_eq!(set.retention_days().unwrap(), 7);
    }

    #[test]
    fn service_urls_must_be_https_except_on_loopback() {
        let ok = settings(&[
            ("SLACK_API_URL", "https://slack.com/api"),
            ("JIRA_BASE_URL", "https://team.atlassian.net"),
            ("TEAMS_BOT_SERVICE_URL", "http://127.0.0.1:4100/teams/"),
            (
                "TEAMS_BOT_OPENID_URL",
                "https://login.botframework.com/v1/.well-known/openidconfiguration",
            ),
            ("AWS_ENDPOINT_URL", "http://moto:5000"),
            (
                "DECISION_BASE_URL",
                "https://x.execute-api.eu-west-1.amazonaws.com",
            ),
        ]);
        assert_eq!(ok.check_service_urls(), Ok(()));
        for bad in [
            "http://slack.com/api",
            "http://127.0.0.1.evil.example/api",
            "https://user:pass@slack.com/api",
            "slack.com/api",
        ] {
            let err = settings(&[("SLACK_API_URL", bad)])
                .check_service_urls()
                .unwrap_err();
            assert_eq!(err.name(), "Hitl.Config");
            assert!(err.to_string().contains("SLACK_API_URL"), "{err}");
        }
        // The bot's keys: a key set fetched in clear could be swapped for an attacker's.
        let openid = settings(&[(
            "TEAMS_BOT_OPENID_URL",
            "http://login.botframework.com/v1/.well-known/openidconfiguration",
        )]);
        let err = openid.check_service_urls().unwrap_err();
        assert!(err.to_string().contains("TEAMS_BOT_OPENID_URL"), "{err}");
    }

    /// Every service URL parameter of `template.yaml` carries the pattern the functions check,
    /// so CloudFormation refuses an `http://` endpoint at deploy time, before any token is sent.
    #[test]
    fn the_templates_service_url_parameters_allow_only_what_the_functions_accept() {
        let template = include_str!("../../../template.yaml");
        let expected = format!("AllowedPattern: '{SERVICE_URL_PATTERN}'");
        for parameter in [
            "SlackApiUrl",
            "JiraBaseUrl",
            "TeamsBotServiceUrl",
            "TeamsBotLoginUrl",
            "TeamsBotGraphUrl",
            "TeamsBotOpenIdUrl",
            "OutlookLoginUrl",
            "OutlookGraphUrl",
        ] {
            let start = template
                .find(&format!("\n  {parameter}:\n"))
                .unwrap_or_else(|| panic!("{parameter} in template.yaml"));
            let block = &template[start + 1..];
            // The parameter's lines: up to the next line indented as a parameter name.
            let end = block
                .match_indices('\n')
                .map(|(i, _)| i)
                .find(|&i| {
                    let next = &block[i + 1..];
                    next.starts_with("  ") && !next.starts_with("   ")
                })
                .unwrap_or(block.len());
            assert!(
                block[..end].contains(&expected),
                "{parameter} lacks {expected}: {}",
                &block[..end]
            );
        }
    }
}
