//! App-only tokens of the Microsoft identity platform (the client-credentials flow at
//! `{login}/{tenant}/oauth2/v2.0/token`), as Outlook's `sendMail` and the Teams bot use them:
//! one per scope, kept until shortly before it expires.

use std::time::{Duration, Instant};

use approvals::HitlError;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::service_calls::{CallFailure, Repeat, Reply, ServiceHttp};

/// A token is renewed this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);

/// One app's token for one scope.
pub struct AppToken {
    url: Url,
    client_id: String,
    secret: SecretString,
    scope: String,
    /// What the request is called in errors (`request an Outlook (Graph) token`).
    name: String,
    /// What to check when the identity platform refuses (the settings that name the app).
    check: &'static str,
    held: Mutex<Option<(SecretString, Instant)>>,
}

/// What identifies the app to the token endpoint.
pub struct AppCredentials<'a> {
    pub token_url: &'a Url,
    pub client_id: &'a str,
    pub secret: &'a SecretString,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: u64,
}

impl AppToken {
    pub fn new(app: &AppCredentials, scope: &str, name: String, check: &'static str) -> Self {
        AppToken {
            url: app.token_url.clone(),
            client_id: app.client_id.to_string(),
            secret: app.secret.clone(),
            scope: scope.to_string(),
            name,
            check,
            held: Mutex::new(None),
        }
    }

    /// A token that is good for a while, from the cache or the token endpoint. A refusal is
    /// the service's `Unauthorized` with what the identity platform said (which never repeats
    /// the secret).
    pub async fn get(
        &self,
        http: &ServiceHttp,
        deadline: Instant,
    ) -> Result<SecretString, HitlError> {
        let mut held = self.held.lock().await;
        if let Some((token, until)) = held.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.expose_secret()),
            ("scope", self.scope.as_str()),
        ];
        let reply = http
            .send_until(deadline, Repeat::Idempotent, &self.name, |client| {
                client.post(self.url.clone()).form(&form)
            })
            .await?;
        if !reply.is_success() {
            return Err(self.refused(http, &reply));
        }
        let answer: TokenReply = serde_json::from_str(&reply.body).map_err(|_| {
            http.error(
                CallFailure::ApiError,
                format!("{}: an answer without a token", self.name),
            )
        })?;
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(TOKEN_MARGIN);
        let token = SecretString::from(answer.access_token);
        *held = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    /// The token endpoint (init opens a connection to its origin).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Drops the cached token (the service refused it: expired or revoked).
    pub async fn forget(&self) {
        *self.held.lock().await = None;
    }

    /// The identity platform's `{"error", "error_description"}`.
    fn refused(&self, http: &ServiceHttp, reply: &Reply) -> HitlError {
        let value: Value = serde_json::from_str(&reply.body).unwrap_or_default();
        let code = value["error"].as_str().unwrap_or("error");
        let description: String = value["error_description"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        http.error(
            CallFailure::Unauthorized,
            format!(
                "{}: HTTP {} {code}: {description} (check {})",
                self.name, reply.status, self.check
            ),
        )
    }
}
