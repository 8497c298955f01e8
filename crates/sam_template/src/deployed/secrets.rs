//! `AWS::SecretsManager::Secret`s with their values.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::error::At;
use crate::resolver::Resolver;
use crate::{Error, Result};

/// A secret: its name and its value (`SecretString`, or what `GenerateSecretString` would
/// make: the template JSON with the generated key added).
#[derive(Clone)]
pub struct SecretDef {
    pub logical_id: String,
    /// `Name`, else the logical id.
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for SecretDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretDef")
            .field("logical_id", &self.logical_id)
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

pub(super) fn secret(resolver: &Resolver, id: &str, props: Option<&Yaml>) -> Result<SecretDef> {
    let name = resolver.resource_name(id).unwrap_or(id.to_string());
    let value = secret_value(resolver, id, props)?;
    Ok(SecretDef {
        logical_id: id.to_string(),
        name,
        value,
    })
}

/// A secret's value: its `SecretString`, or `GenerateSecretString`'s template with the
/// generated key set to `Deployment::generated(<logical id>)`.
fn secret_value(resolver: &Resolver, id: &str, props: Option<&Yaml>) -> Result<String> {
    let prop = |k: &str| props.and_then(|p| p.get(k));
    if let Some(value) = prop("SecretString") {
        return resolver.resolve_str(value).at(id, "SecretString");
    }
    let problem = "missing, and no SecretString either";
    let spec = prop("GenerateSecretString");
    let spec = spec.ok_or_else(|| Error::field(id, "GenerateSecretString", problem))?;
    let field = "GenerateSecretString.SecretStringTemplate";
    let template = spec
        .get("SecretStringTemplate")
        .map(|t| resolver.resolve_str(t));
    let template = template
        .transpose()
        .at(id, field)?
        .unwrap_or_else(|| "{}".into());
    let mut doc: serde_json::Map<String, Json> = serde_json::from_str(&template)
        .map_err(|e| Error::field(id, field, format!("not a JSON object: {e}")))?;
    let key = spec.get("GenerateStringKey").and_then(Yaml::as_str);
    let key =
        key.ok_or_else(|| Error::field(id, "GenerateSecretString.GenerateStringKey", "missing"))?;
    doc.insert(
        key.to_string(),
        Json::String((resolver.deployment.generated)(id)),
    );
    Ok(Json::Object(doc).to_string())
}
