//! Secrets from AWS Secrets Manager, read once at cold start. A function's environment holds
//! only the secret's id (`*_SECRET_ID`), never its value; IAM lets each function read only the
//! secrets it names. Values are `SecretString`s: they cannot be printed or logged by accident,
//! and no error here repeats them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use approvals::{HitlError, LinkSigner};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::Client;
use lambda_kit::Settings;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use tokio::sync::oneshot;
use tokio::sync::RwLock;

use crate::sdk_config::with_sdk_limits;
use crate::timeouts::INIT_SDK;

type SecretRead = Result<Option<SecretBox<[u8]>>, HitlError>;

/// Reads the secrets a function's environment names.
#[derive(Clone, Debug)]
pub struct SecretReader {
    client: Client,
    settings: Settings,
    /// Reads started by [`SecretReader::new`], each taken by the first ask for its secret.
    prefetched: Arc<Mutex<HashMap<String, oneshot::Receiver<SecretRead>>>>,
}

/// The variables that name each secret (the template sets them to the secrets' ids).
pub const LINK_SIGNING_KEYS: &str = "LINK_SIGNING_KEYS_SECRET_ID";
pub const SLACK_BOT_TOKEN: &str = "SLACK_BOT_TOKEN_SECRET_ID";
pub const SLACK_SIGNING_SECRET: &str = "SLACK_SIGNING_SECRET_SECRET_ID";
pub const JIRA_API_TOKEN: &str = "JIRA_API_TOKEN_SECRET_ID";
pub const TEAMS_WEBHOOK_URL: &str = "TEAMS_WEBHOOK_URL_SECRET_ID";
/// The Teams bot's client secret (its Entra app registration's), for 1:1 messages to a `user`.
pub const TEAMS_BOT_APP_SECRET: &str = "TEAMS_BOT_APP_SECRET_SECRET_ID";

impl SecretReader {
    /// Starts reading every secret the environment names (`*_SECRET_ID`), one after the
    /// other on one connection, while the function opens its other connections
    /// ([`lambda_kit::http_client::open_connections`]): a function reads them all during init, and
    /// read concurrently each would pay a TLS handshake of its own. Outside a Tokio runtime
    /// nothing is started and each secret is read when asked for.
    pub fn new(config: &aws_config::SdkConfig, settings: &Settings) -> Self {
        let reader = SecretReader {
            client: Client::new(&with_sdk_limits(config, INIT_SDK)),
            settings: settings.clone(),
            prefetched: Arc::default(),
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return reader;
        };
        let mut reads = Vec::new();
        let mut prefetched = reader.prefetched.lock().expect("not poisoned");
        for var in settings.secret_variables() {
            let (sender, receiver) = oneshot::channel();
            prefetched.insert(var.to_string(), receiver);
            reads.push((var.to_string(), sender));
        }
        drop(prefetched);
        let background = reader.clone();
        runtime.spawn(async move {
            for (var, sender) in reads {
                // A dropped receiver (nobody asked) is fine.
                let _ = sender.send(background.read(&var).await);
            }
        });
        reader
    }

    /// The secret named by the environment variable `var`, or `None` when the variable is
    /// unset or empty (that part of the product is not configured). The first ask takes the
    /// read started at cold start, unless it failed transiently; later asks (a key ring
    /// refresh) read again.
    pub async fn optional(&self, var: &str) -> SecretRead {
        let started = self.prefetched.lock().expect("not poisoned").remove(var);
        match started {
            Some(read) => match read.await {
                // A transient failure is not handed out later: a build that asks after it
                // (the next event's, lambda_kit::ColdStart) must read afresh, not get the
                // failure of a read made while Secrets Manager was failing.
                Ok(Err(err)) if err.is_transient() => self.read(var).await,
                Ok(result) => result,
                // The reading task ended without an answer (never expected): read again.
                Err(_) => self.read(var).await,
            },
            None => self.read(var).await,
        }
    }

    async fn read(&self, var: &str) -> SecretRead {
        let Some(id) = self.settings.secret_id(var) else {
            return Ok(None);
        };
        let out = self
            .client
            .get_secret_value()
            .secret_id(id.trim())
            .send()
            .await
            .map_err(|e| read_error(var, id, e))?;
        let bytes = match (out.secret_string, out.secret_binary) {
            (Some(text), _) => text.into_bytes(),
            (None, Some(blob)) => blob.into_inner(),
            (None, None) => {
                return Err(HitlError::Config(format!(
                    "the secret named by {var} has no value"
                )))
            }
        };
        Ok(Some(SecretBox::new(bytes.into_boxed_slice())))
    }

    /// The secret named by `var`, which must be set.
    pub async fn required(&self, var: &str) -> Result<SecretBox<[u8]>, HitlError> {
        self.optional(var).await?.ok_or_else(|| {
            HitlError::Config(format!(
                "environment variable {var} (the id of a Secrets Manager secret) is not set"
            ))
        })
    }

    /// A text secret (a token, a URL), trimmed.
    pub async fn optional_text(&self, var: &str) -> Result<Option<SecretString>, HitlError> {
        let Some(bytes) = self.optional(var).await? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(bytes.expose_secret()).map_err(|_| {
            HitlError::Config(format!("the secret named by {var} is not UTF-8 text"))
        })?;
        Ok(Some(SecretString::from(text.trim())).filter(|t| !t.expose_secret().is_empty()))
    }

    pub async fn required_text(&self, var: &str) -> Result<SecretString, HitlError> {
        self.optional_text(var).await?.ok_or_else(|| {
            HitlError::Config(format!("the secret named by {var} is not set or empty"))
        })
    }

    /// The link signing key ring (`LINK_SIGNING_KEYS_SECRET_ID`).
    pub async fn link_signer(&self) -> Result<LinkSigner, HitlError> {
        let ring = self.required(LINK_SIGNING_KEYS).await?;
        approvals::key_ring::parse_key_ring(ring.expose_secret())
    }
}

/// `reader`'s text secrets as the SaaS adapters ask for them (an async function of the
/// variable's name). Each read owns its reader, so the future is `Send` for any caller.
pub fn secret_text(reader: &SecretReader) -> impl Fn(&'static str) -> SecretTextRead + Send + Sync {
    let reader = reader.clone();
    move |var| {
        let reader = reader.clone();
        Box::pin(async move { reader.optional_text(var).await })
    }
}

/// One read of [`secret_text`].
pub type SecretTextRead = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<SecretString>, HitlError>> + Send>,
>;

/// Why a secret could not be read. A throttle, a 5xx or a timeout is `Hitl.Transient`: the
/// next event reads again (`lambda_kit::ColdStart`). Anything else (no such secret, access
/// denied, a key the function may not decrypt with) is a misconfiguration: `Hitl.Config`, naming
/// the variable and the secret, never its value.
fn read_error(
    var: &str,
    id: &str,
    err: aws_sdk_secretsmanager::error::SdkError<
        GetSecretValueError,
        crate::sdk_errors::HttpResponse,
    >,
) -> HitlError {
    match crate::sdk_errors::classify("Secrets Manager", err) {
        HitlError::Transient { message, .. } => HitlError::transient(
            "Secrets Manager",
            format!("the secret named by {var} ({id}) could not be read now: {message}"),
        ),
        other => {
            let reason = match other {
                HitlError::DependencyFailed { message, .. } => message,
                other => other.to_string(),
            };
            HitlError::Config(format!(
                "the secret named by {var} ({id}) could not be read: {reason}"
            ))
        }
    }
}

/// The key ring as a long-lived verifier sees it: read at cold start, read again once it is
/// older than `max_age`, so a rotation (a new current key, a removed previous one) reaches
/// warm instances within that time. A failed re-read keeps the keys in hand.
pub struct RefreshingSigner {
    reader: SecretReader,
    max_age: Duration,
    held: RwLock<(LinkSigner, Instant)>,
}

/// How long a warm instance trusts the key ring it read.
pub const KEY_RING_MAX_AGE: Duration = Duration::from_secs(300);

impl RefreshingSigner {
    pub async fn load(reader: SecretReader, max_age: Duration) -> Result<Self, HitlError> {
        let signer = reader.link_signer().await?;
        Ok(RefreshingSigner {
            reader,
            max_age,
            held: RwLock::new((signer, Instant::now())),
        })
    }

    /// The keys to use now.
    pub async fn current(&self) -> LinkSigner {
        {
            let held = self.held.read().await;
            if held.1.elapsed() < self.max_age {
                return held.0.clone();
            }
        }
        let mut held = self.held.write().await;
        if held.1.elapsed() >= self.max_age {
            match self.reader.link_signer().await {
                Ok(signer) => *held = (signer, Instant::now()),
                Err(e) => {
                    tracing::warn!(error = %e, "key ring re-read failed; keeping the keys in hand");
                    held.1 = Instant::now();
                }
            }
        }
        held.0.clone()
    }
}
