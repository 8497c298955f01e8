//! The bot's messaging endpoint's gate: a request from the Bot Connector is accepted only once
//! its `Authorization: Bearer <JWT>` verifies against the Bot Framework's published keys and
//! its activity names our tenant ([`super::bot_auth`] does the checks; this fetches and caches
//! the keys).
//!
//! Keys: the OpenID metadata (`TEAMS_BOT_OPENID_URL`) names the JWKS (`jwks_uri`); both are
//! fetched when no keys are held, when a token names a key id we lack (at most once per
//! [`bot_auth::MIN_REFRESH_INTERVAL_SECS`]) and once a day. One request fetches while the
//! others wait for its result (a cold instance hit by several clicks fetches once). A failed
//! fetch keeps the keys held, if any, and is not tried again for
//! [`RETRY_AFTER_FAILURE_SECS`]; with no keys at all the request is refused as
//! [`VerifyRefusal::KeysUnavailable`] (a 503: nothing says the caller is not who it claims).
//!
//! The JWT covers neither the body nor its action data: the token binds the activity's
//! `serviceUrl` (claim) and channel (key endorsements), and the tenant is checked against
//! ours. What the activity asks for is input to check like any other.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use approvals::HitlError;
use lambda_kit::Settings;
use reqwest::Url;
use serde_json::Value;
use tokio::sync::Mutex;

use super::bot::BotSettings;
use super::bot_auth::{self, ActivityIdentity, BotAuthError, KeySet, OpenIdMetadata};
use crate::service_calls::{Repeat, ServiceHttp};

/// Where the Bot Framework publishes its OpenID metadata (Microsoft's public cloud).
pub const DEFAULT_OPENID_URL: &str =
    "https://login.botframework.com/v1/.well-known/openidconfiguration";
/// The variable that overrides [`DEFAULT_OPENID_URL`] (the local stack's stand-in).
pub const OPENID_URL_VARIABLE: &str = "TEAMS_BOT_OPENID_URL";
/// What fetching the metadata and the keys may take together, retries included: the click
/// waiting on it must still be answered within Teams' time limit for an invoke.
pub const KEYS_BUDGET: Duration = Duration::from_millis(2500);
/// After a failed fetch, the next one waits this long (requests meanwhile use the keys held,
/// or are refused as [`VerifyRefusal::KeysUnavailable`]).
pub const RETRY_AFTER_FAILURE_SECS: u64 = 10;

/// Why a request to the messaging endpoint was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyRefusal {
    /// Not a verified Bot Framework request for this bot and tenant: HTTP 401 with an empty
    /// body, nothing read.
    #[error("unauthorized: {0}")]
    Unauthorized(#[from] BotAuthError),
    /// The published keys could not be fetched and none are held: HTTP 503 (try again).
    #[error("the Bot Framework's signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

impl VerifyRefusal {
    /// The HTTP status the endpoint answers with.
    pub fn status(&self) -> u16 {
        match self {
            VerifyRefusal::Unauthorized(_) => 401,
            VerifyRefusal::KeysUnavailable(_) => 503,
        }
    }
}

/// The last failed fetch: when (Unix seconds) and why.
type Failure = Option<(u64, String)>;

pub struct BotRequestVerifier {
    app_id: String,
    tenant_id: String,
    openid_url: Url,
    /// The metadata is on loopback (the local stack): its `jwks_uri` may be too.
    loopback: bool,
    http: ServiceHttp,
    keys: RwLock<Option<Arc<KeySet>>>,
    /// Held by the one request that fetches; the others wait on it, then use what it got.
    fetching: Mutex<Failure>,
}

impl std::fmt::Debug for BotRequestVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotRequestVerifier")
            .field("app_id", &self.app_id)
            .field("tenant_id", &self.tenant_id)
            .field("openid_url", &self.openid_url.as_str())
            .finish()
    }
}

impl BotRequestVerifier {
    /// For the bot `app_id` of the tenant `tenant_id`, with the metadata at `openid_url`
    /// (https, or http on 127.0.0.1 / localhost only).
    pub fn new(app_id: &str, tenant_id: &str, openid_url: &str) -> Result<Self, HitlError> {
        // The same rule as every other service URL, and the same error naming the variable.
        Settings::from_vars([(OPENID_URL_VARIABLE.to_string(), openid_url.to_string())])
            .check_service_urls()?;
        let url = Url::parse(openid_url.trim()).map_err(|_| {
            HitlError::Config(format!("{OPENID_URL_VARIABLE} must be an https:// URL"))
        })?;
        Ok(BotRequestVerifier {
            app_id: app_id.to_string(),
            tenant_id: tenant_id.to_string(),
            loopback: url.scheme() == "http",
            openid_url: url,
            http: ServiceHttp::new::<super::TeamsError>().with_budget(KEYS_BUDGET),
            keys: RwLock::new(None),
            fetching: Mutex::new(None),
        })
    }

    /// From `TEAMS_BOT_APP_ID`, `TEAMS_BOT_TENANT_ID` and `TEAMS_BOT_OPENID_URL`; none when
    /// `TEAMS_BOT_APP_ID` is unset (no bot).
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, HitlError> {
        let Some(bot) = BotSettings::from_settings(settings)? else {
            return Ok(None);
        };
        let url = settings
            .optional(OPENID_URL_VARIABLE)
            .unwrap_or(DEFAULT_OPENID_URL);
        Self::new(&bot.app_id, &bot.tenant_id, url).map(Some)
    }

    /// Another HTTP client (shorter retry waits, for tests); the budget stays [`KEYS_BUDGET`].
    pub fn with_http(mut self, http: ServiceHttp) -> Self {
        self.http = http.with_budget(KEYS_BUDGET);
        self
    }

    /// What init opens a connection with: the metadata's origin.
    /// The tenant every verified activity belongs to (`verify` refuses any other).
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn connection_url(&self) -> String {
        self.openid_url.origin().ascii_serialization() + "/"
    }

    /// The activity (the request's `body`) of a request whose `authorization` header verifies,
    /// at `now` (Unix seconds); or why it is refused. Reads nothing but the published keys.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        body: &[u8],
        now: u64,
    ) -> Result<Value, VerifyRefusal> {
        let token = bearer(authorization)?;
        let activity = ActivityIdentity::from_json(body)?;
        let keys = self
            .keys_for(bot_auth::token_kid(token).as_deref(), now)
            .await?;
        bot_auth::verify_token(token, &keys, &self.app_id, &activity, now)?;
        activity.check_tenant(&self.tenant_id)?;
        serde_json::from_slice(body).map_err(|_| BotAuthError::MalformedActivity.into())
    }

    /// Fetches the keys now unless they are fresh (init can call it so the first click does
    /// not wait on the fetch); the same rules as a request's fetch.
    pub async fn prefetch_keys(&self, now: u64) -> Result<(), VerifyRefusal> {
        self.keys_for(None, now).await.map(|_| ())
    }

    fn held(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The keys to verify a token naming `kid` with: those held, or fetched again when
    /// [`KeySet::needs_refresh`] says so (by one request at a time).
    async fn keys_for(&self, kid: Option<&str>, now: u64) -> Result<Arc<KeySet>, VerifyRefusal> {
        let fresh = |keys: &Arc<KeySet>| !keys.needs_refresh(kid, now);
        if let Some(keys) = self.held().filter(fresh) {
            return Ok(keys);
        }
        let mut failure = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        let held = self.held();
        if let Some(keys) = held.clone().filter(fresh) {
            return Ok(keys);
        }
        let failed_lately = failure
            .as_ref()
            .filter(|(at, _)| now.saturating_sub(*at) < RETRY_AFTER_FAILURE_SECS)
            .map(|(_, why)| why.clone());
        let why = match failed_lately {
            Some(why) => why,
            None => match self.fetch(now).await {
                Ok(keys) => {
                    let keys = Arc::new(keys);
                    *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(keys.clone());
                    *failure = None;
                    return Ok(keys);
                }
                Err(why) => {
                    tracing::warn!(%why, keys_held = held.is_some(), "could not fetch the Bot Framework's signing keys");
                    *failure = Some((now, why.clone()));
                    why
                }
            },
        };
        // Keys held are still the published ones as far as anyone knows: keep using them.
        held.ok_or(VerifyRefusal::KeysUnavailable(why))
    }

    /// The metadata, then the key set it names, on one deadline.
    async fn fetch(&self, now: u64) -> Result<KeySet, String> {
        let deadline = self.http.deadline();
        let what = "fetch the Bot Framework's OpenID metadata";
        let document = self.get(&self.openid_url, deadline, what).await?;
        let metadata = match self.loopback {
            true => OpenIdMetadata::from_loopback_json(document.as_bytes()),
            false => OpenIdMetadata::from_json(document.as_bytes()),
        }
        .map_err(|e| format!("{what} ({}): {e}", self.openid_url))?;
        let what = "fetch the Bot Framework's signing keys";
        let jwks_url = Url::parse(&metadata.jwks_uri)
            .map_err(|_| format!("{what}: the metadata's jwks_uri is not a URL"))?;
        let jwks = self.get(&jwks_url, deadline, what).await?;
        KeySet::from_jwks_json(jwks.as_bytes(), now)
            .map_err(|e| format!("{what} ({jwks_url}): {e}"))
    }

    async fn get(
        &self,
        url: &Url,
        deadline: std::time::Instant,
        what: &str,
    ) -> Result<String, String> {
        let reply = self
            .http
            .send_until(deadline, Repeat::Idempotent, what, |c| c.get(url.clone()))
            .await
            .map_err(|e| e.to_string())?;
        match reply.status {
            200 => Ok(reply.body),
            status => Err(format!("{what} ({url}): HTTP {status}")),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
fn bearer(authorization: Option<&str>) -> Result<&str, BotAuthError> {
    let (scheme, token) = authorization
        .and_then(|h| h.trim().split_once(' '))
        .ok_or(BotAuthError::Malformed)?;
    let token = token.trim();
    match scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
        true => Ok(token),
        false => Err(BotAuthError::Malformed),
    }
}

#[cfg(test)]
mod tests;
