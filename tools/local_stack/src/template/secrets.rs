//! `AWS::SecretsManager::Secret`s: the ones whose condition holds, with their values.

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::resolver::Resolver;
use super::SecretDef;

/// The secret `id` declares, or none when its `Condition` does not hold.
pub(super) fn secret(
    resolver: &Resolver,
    id: &str,
    resource: &Yaml,
    generated: &impl Fn(&str) -> String,
) -> Result<Option<SecretDef>, String> {
    if !resolver.creates(resource) {
        return Ok(None);
    }
    let name = resolver.resource_name(id).unwrap_or(id.to_string());
    let value = secret_value(resolver, id, resource.get("Properties"), generated)?;
    Ok(Some(SecretDef { name, value }))
}

/// A secret's value: its `SecretString`, or `GenerateSecretString`'s template with the
/// generated key set to `generated(<logical id>)`.
fn secret_value(
    resolver: &Resolver,
    id: &str,
    props: Option<&Yaml>,
    generated: &impl Fn(&str) -> String,
) -> Result<String, String> {
    let prop = |k: &str| props.and_then(|p| p.get(k));
    if let Some(value) = prop("SecretString") {
        return resolver.resolve_str(value);
    }
    let spec = prop("GenerateSecretString")
        .ok_or_else(|| format!("{id}: a secret needs SecretString or GenerateSecretString"))?;
    let template = spec
        .get("SecretStringTemplate")
        .map(|t| resolver.resolve_str(t))
        .transpose()?
        .unwrap_or_else(|| "{}".into());
    let mut doc: serde_json::Map<String, Json> = serde_json::from_str(&template)
        .map_err(|e| format!("{id}: SecretStringTemplate is not a JSON object: {e}"))?;
    let key = spec
        .get("GenerateStringKey")
        .and_then(Yaml::as_str)
        .ok_or_else(|| format!("{id}: GenerateSecretString needs GenerateStringKey"))?;
    doc.insert(key.to_string(), Json::String(generated(id)));
    Ok(Json::Object(doc).to_string())
}
