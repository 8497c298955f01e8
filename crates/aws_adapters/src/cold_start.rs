//! What every function starts from: its settings, the SDK configuration, and the reads of its
//! secrets, started at once. Cheap to clone, so a [`lambda_kit::ColdStart`] can build from it
//! again after a transient failure.

use std::future::Future;

use approvals::HitlError;
use aws_config::SdkConfig;
use lambda_kit::{ColdStart, Settings};

use crate::sdk_config::aws_config;
#[cfg(feature = "secrets")]
use crate::secrets::SecretReader;

#[derive(Clone, Debug)]
pub struct ColdContext {
    pub settings: Settings,
    pub config: SdkConfig,
    /// Only with the `secrets` feature: a function that reads no secret links no Secrets
    /// Manager client.
    #[cfg(feature = "secrets")]
    pub secrets: SecretReader,
}

impl ColdContext {
    /// The environment's settings and SDK configuration; the reads of the secrets it names start
    /// now, beside the connections the function opens next (`lambda_kit::http_client`).
    pub async fn load() -> Self {
        Self::from_parts(Settings::from_env(), aws_config().await)
    }

    /// A context from settings and a configuration already read (the reads of the secrets the
    /// settings name start now).
    pub fn from_parts(settings: Settings, config: SdkConfig) -> Self {
        ColdContext {
            #[cfg(feature = "secrets")]
            secrets: SecretReader::new(&config, &settings),
            settings,
            config,
        }
    }
}

impl ColdContext {
    /// The function's dependencies, built now with `build` (during init) and again by a later
    /// event if a transient failure stopped them ([`ColdStart`]). The service URLs the settings
    /// name are checked first: an `http://` endpoint is a permanent `Hitl.Config`.
    pub async fn build<D, F, Fut>(self, build: F) -> ColdStart<D>
    where
        D: Send + Sync + 'static,
        F: Fn(ColdContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D, HitlError>> + Send + 'static,
    {
        ColdStart::start(self, move |cold: ColdContext| {
            let checked = cold.settings.check_service_urls();
            let building = build(cold);
            async move {
                checked?;
                building.await
            }
        })
        .await
    }
}
