//! Verifying a request the Bot Connector sends to the bot's messaging endpoint: the
//! `Authorization: Bearer <JWT>` and the activity it came with.
//!
//! Pure: the OpenID metadata and the JWKS are values here (fetching and caching them is the
//! endpoint's job, told by [`KeySet::needs_refresh`] when to fetch again), and the time is an
//! argument, so every refusal can be tested without a network or a clock. Every refusal is a
//! 401 for the caller; [`BotAuthError`] names why, for the log.
//!
//! The rules are the ones of Microsoft's Bot Framework SDKs: RS256 only, a key from the
//! published set found by `kid` (and endorsed for the
//! activity's channel), issuer `https://api.botframework.com`, audience our app id, `exp`/`nbf`
//! with 5 minutes of skew, and the `serviceurl` claim equal to the activity's `serviceUrl`.

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

#[cfg(test)]
mod tests;

/// The issuer of every token the Bot Connector sends to a bot.
pub const BOT_FRAMEWORK_ISSUER: &str = "https://api.botframework.com";
/// The Bot Framework's channel id of Microsoft Teams: the only channel whose activities count.
pub const TEAMS_CHANNEL: &str = "msteams";
/// Clock skew allowed on `exp` and `nbf`, as Microsoft's SDKs allow.
pub const CLOCK_SKEW_SECS: u64 = 5 * 60;
/// Keys older than this are fetched again even if every `kid` is known (Microsoft rotates them
/// and asks bots to refresh at least daily).
pub const MAX_KEY_AGE_SECS: u64 = 24 * 60 * 60;
/// An unknown `kid` triggers a fetch only if the last one is at least this old, so that tokens
/// with made-up key ids cannot make every request cost a fetch.
pub const MIN_REFRESH_INTERVAL_SECS: u64 = 5 * 60;

/// Why a Bot Framework request was refused. Each one is an HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotAuthError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is signed with {0}, not RS256")]
    WrongAlgorithm(String),
    #[error("the token names no key id")]
    MissingKeyId,
    #[error("no published key has the token's key id")]
    UnknownKey,
    #[error("the token's key is not endorsed for the activity's channel")]
    KeyNotEndorsed,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token's issuer is not the Bot Framework")]
    WrongIssuer,
    #[error("the token is not for this bot's app id")]
    WrongAudience,
    #[error("the token lacks the claim {0}")]
    MissingClaim(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's serviceurl is not the activity's serviceUrl")]
    ServiceUrlMismatch,
    #[error("the activity is not valid JSON or lacks serviceUrl or channelId")]
    MalformedActivity,
    #[error("the activity does not come from Microsoft Teams (channelId {0:?})")]
    NotTeams(String),
    #[error("the activity names no tenant")]
    NoTenant,
    #[error("the activity names two different tenants")]
    ConflictingTenants,
    #[error("the activity comes from another tenant")]
    OtherTenant,
    #[error("the OpenID metadata or the key set is not valid")]
    BadKeyDocument,
}

/// The parts of the published OpenID metadata this verifier relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIdMetadata {
    /// Where the key set is published.
    pub jwks_uri: String,
}

impl OpenIdMetadata {
    /// Reads the metadata document; refuses one whose issuer is not the Bot Framework or that
    /// does not offer RS256, since no token could then verify.
    pub fn from_json(json: &[u8]) -> Result<Self, BotAuthError> {
        Self::read(json, false)
    }

    /// As [`Self::from_json`], but a `jwks_uri` on plain http at 127.0.0.1 or localhost is
    /// accepted too: only for metadata that itself came from loopback (the local stack's
    /// stand-in), as the service URLs allow.
    pub fn from_loopback_json(json: &[u8]) -> Result<Self, BotAuthError> {
        Self::read(json, true)
    }

    fn read(json: &[u8], loopback: bool) -> Result<Self, BotAuthError> {
        #[derive(Deserialize)]
        struct Doc {
            issuer: String,
            jwks_uri: String,
            #[serde(default)]
            id_token_signing_alg_values_supported: Vec<String>,
        }
        let doc: Doc = serde_json::from_slice(json).map_err(|_| BotAuthError::BadKeyDocument)?;
        let rs256 = doc
            .id_token_signing_alg_values_supported
            .iter()
            .any(|a| a == "RS256");
        let secure =
            doc.jwks_uri.starts_with("https://") || (loopback && is_loopback_http(&doc.jwks_uri));
        if doc.issuer != BOT_FRAMEWORK_ISSUER || !rs256 || !secure {
            return Err(BotAuthError::BadKeyDocument);
        }
        Ok(Self {
            jwks_uri: doc.jwks_uri,
        })
    }
}

fn is_loopback_http(uri: &str) -> bool {
    reqwest::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost"))
    })
}

/// One usable signing key of the published set.
struct PublishedKey {
    key: DecodingKey,
    /// Channels the key is endorsed for; `None` when the JWKS entry lists none.
    endorsements: Option<Vec<String>>,
}

/// The published signing keys, by `kid`, and when they were fetched.
pub struct KeySet {
    keys: HashMap<String, PublishedKey>,
    fetched_at: u64,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kids: Vec<&String> = self.keys.keys().collect();
        kids.sort();
        f.debug_struct("KeySet")
            .field("kids", &kids)
            .field("fetched_at", &self.fetched_at)
            .finish()
    }
}

impl KeySet {
    /// Reads a JWKS document fetched at `fetched_at` (Unix seconds). Keeps the RSA signing keys
    /// that have a `kid`; other entries (other key types, encryption keys) are skipped, but a
    /// document with no usable key at all is refused.
    pub fn from_jwks_json(json: &[u8], fetched_at: u64) -> Result<Self, BotAuthError> {
        let set: JwkSet = serde_json::from_slice(json).map_err(|_| BotAuthError::BadKeyDocument)?;
        // jsonwebtoken's Jwk does not keep Microsoft's `endorsements`: read them beside it.
        #[derive(Deserialize)]
        struct Endorsed {
            kid: Option<String>,
            endorsements: Option<Vec<String>>,
        }
        #[derive(Deserialize)]
        struct EndorsedSet {
            keys: Vec<Endorsed>,
        }
        let endorsed: EndorsedSet =
            serde_json::from_slice(json).map_err(|_| BotAuthError::BadKeyDocument)?;
        let mut endorsements: HashMap<String, Vec<String>> = endorsed
            .keys
            .into_iter()
            .filter_map(|k| Some((k.kid?, k.endorsements?)))
            .collect();
        let keys: HashMap<String, PublishedKey> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = usable_kid(jwk)?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((
                    kid.clone(),
                    PublishedKey {
                        key,
                        endorsements: endorsements.remove(&kid),
                    },
                ))
            })
            .collect();
        if keys.is_empty() {
            return Err(BotAuthError::BadKeyDocument);
        }
        Ok(Self { keys, fetched_at })
    }

    /// Whether a key with this id is in the set.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    /// Whether the endpoint should fetch the keys again before verifying a token with this
    /// `kid` (None: the token could not be read, which no fetch will fix) at `now`.
    pub fn needs_refresh(&self, kid: Option<&str>, now: u64) -> bool {
        let age = now.saturating_sub(self.fetched_at);
        if age >= MAX_KEY_AGE_SECS {
            return true;
        }
        matches!(kid, Some(k) if !self.contains(k)) && age >= MIN_REFRESH_INTERVAL_SECS
    }
}

/// The `kid` of an RSA key meant for signatures, if the entry is one.
fn usable_kid(jwk: &Jwk) -> Option<String> {
    let is_rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
    let for_signing = match &jwk.common.public_key_use {
        None => true,
        Some(u) => *u == PublicKeyUse::Signature,
    };
    (is_rsa && for_signing)
        .then(|| jwk.common.key_id.clone())
        .flatten()
}

/// The `kid` of a token's header, for [`KeySet::needs_refresh`]; None if unreadable.
pub fn token_kid(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// What the verifier needs from the activity in the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityIdentity {
    pub service_url: String,
    pub channel_id: String,
    /// `conversation.tenantId`, else `channelData.tenant.id` (personal chats often carry only
    /// the latter); None when neither is present.
    pub tenant_id: Option<String>,
}

impl ActivityIdentity {
    /// Reads the activity JSON; refuses one that names two different tenants.
    pub fn from_json(json: &[u8]) -> Result<Self, BotAuthError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Activity {
            service_url: String,
            channel_id: String,
            conversation: Option<Conversation>,
            channel_data: Option<ChannelData>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Conversation {
            tenant_id: Option<String>,
        }
        #[derive(Deserialize)]
        struct ChannelData {
            tenant: Option<Tenant>,
        }
        #[derive(Deserialize)]
        struct Tenant {
            id: Option<String>,
        }
        let a: Activity =
            serde_json::from_slice(json).map_err(|_| BotAuthError::MalformedActivity)?;
        let from_conversation = a.conversation.and_then(|c| c.tenant_id);
        let from_channel = a.channel_data.and_then(|c| c.tenant).and_then(|t| t.id);
        let tenant_id = match (from_conversation, from_channel) {
            (Some(a), Some(b)) if a != b => return Err(BotAuthError::ConflictingTenants),
            (a, b) => a.or(b),
        };
        Ok(Self {
            service_url: a.service_url,
            channel_id: a.channel_id,
            tenant_id,
        })
    }

    /// Accepts the activity only if it names our tenant.
    pub fn check_tenant(&self, our_tenant: &str) -> Result<(), BotAuthError> {
        match self.tenant_id.as_deref() {
            None => Err(BotAuthError::NoTenant),
            Some(t) if t.eq_ignore_ascii_case(our_tenant) => Ok(()),
            Some(_) => Err(BotAuthError::OtherTenant),
        }
    }
}

/// The claims checked beyond what jsonwebtoken's validation does.
#[derive(Debug, Deserialize)]
struct Claims {
    exp: u64,
    nbf: Option<u64>,
    /// Microsoft's SDKs read the claim as `serviceurl`; its docs write `serviceUrl`.
    #[serde(alias = "serviceUrl")]
    serviceurl: Option<String>,
}

/// Verifies the bearer token (without the `Bearer ` prefix) of a request whose activity is
/// `activity`, for the bot `app_id`, at `now` (Unix seconds). Does not check the tenant: see
/// [`ActivityIdentity::check_tenant`].
pub fn verify_token(
    token: &str,
    keys: &KeySet,
    app_id: &str,
    activity: &ActivityIdentity,
    now: u64,
) -> Result<(), BotAuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| BotAuthError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(BotAuthError::WrongAlgorithm(format!("{:?}", header.alg)));
    }
    let kid = header.kid.ok_or(BotAuthError::MissingKeyId)?;
    let published = keys.keys.get(&kid).ok_or(BotAuthError::UnknownKey)?;
    // The same keys sign for every channel of the Azure Bot (Web Chat, Direct Line, where a
    // holder of the channel's secret writes the activity's `from` and tenant): only a key
    // endorsed for the activity's channel counts, and only Teams' activities do.
    let endorsed = published
        .endorsements
        .as_ref()
        .is_some_and(|channels| channels.contains(&activity.channel_id));
    if !endorsed {
        return Err(BotAuthError::KeyNotEndorsed);
    }
    if activity.channel_id != TEAMS_CHANNEL {
        return Err(BotAuthError::NotTeams(activity.channel_id.clone()));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[BOT_FRAMEWORK_ISSUER]);
    validation.set_audience(&[app_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    // Times are checked below against `now`, so that the check is pure.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = jsonwebtoken::decode::<Claims>(token, &published.key, &validation)
        .map_err(|e| refusal(e.kind()))?;
    check_times(&data.claims, now)?;
    match data.claims.serviceurl {
        Some(url) if url == activity.service_url => Ok(()),
        Some(_) => Err(BotAuthError::ServiceUrlMismatch),
        None => Err(BotAuthError::MissingClaim("serviceurl".into())),
    }
}

fn check_times(claims: &Claims, now: u64) -> Result<(), BotAuthError> {
    if claims.exp.saturating_add(CLOCK_SKEW_SECS) < now {
        return Err(BotAuthError::Expired);
    }
    match claims.nbf {
        Some(nbf) if nbf > now.saturating_add(CLOCK_SKEW_SECS) => Err(BotAuthError::NotYetValid),
        _ => Ok(()),
    }
}

fn refusal(kind: &jsonwebtoken::errors::ErrorKind) -> BotAuthError {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::InvalidSignature => BotAuthError::BadSignature,
        K::InvalidIssuer => BotAuthError::WrongIssuer,
        K::InvalidAudience => BotAuthError::WrongAudience,
        K::MissingRequiredClaim(c) => BotAuthError::MissingClaim(c.clone()),
        K::InvalidAlgorithm => BotAuthError::WrongAlgorithm("not RS256".into()),
        _ => BotAuthError::Malformed,
    }
}
