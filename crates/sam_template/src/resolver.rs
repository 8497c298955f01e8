//! A template resolved for one deployment: parameter values, conditions, and the names and
//! ARNs `!Ref` and `!GetAtt` give, as CloudFormation would for a stack called
//! `Deployment::stack_name` in `Deployment::account`/`region`.

mod intrinsics;

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_norway::{Mapping, Value as Yaml};

use crate::{key_text, scalar_text, Error, Result, Template};

/// Where and how the template is deployed: what CloudFormation would know and the template
/// does not.
pub struct Deployment<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub stack_name: &'a str,
    /// Parameter values given at deploy time; they win over the `Default`s.
    pub parameters: &'a BTreeMap<String, String>,
    /// Where the HttpApis answer, in place of `https://<api id>.execute-api.<region>.<suffix>`
    /// in every resolved string (the local stack's `http://127.0.0.1:<port>`); `None` keeps
    /// AWS's URL.
    pub api_endpoint: Option<&'a str>,
    /// The value of a parameter with neither a given value nor a `Default`, and the key a
    /// `GenerateSecretString` generates (by the secret's logical id).
    pub generated: &'a dyn Fn(&str) -> String,
}

/// Resolves intrinsics against the template's resources, parameters and conditions.
pub(crate) struct Resolver<'a> {
    pub(crate) resources: &'a Mapping,
    mappings: Option<&'a Yaml>,
    pub(crate) parameters: BTreeMap<String, String>,
    pub(crate) conditions: BTreeMap<String, bool>,
    pub(crate) deployment: &'a Deployment<'a>,
}

/// What `!Ref AWS::NoValue` resolves to until the list or mapping holding it drops it.
pub(crate) const NO_VALUE: &str = "\u{0}AWS::NoValue";

impl<'a> Resolver<'a> {
    /// Parameter values (given, else `Default`, else generated), then each condition in the
    /// template's order (one may name an earlier one).
    pub(crate) fn new(template: &'a Template, deployment: &'a Deployment<'a>) -> Result<Self> {
        let document = template.document();
        let mut resolver = Resolver {
            resources: document["Resources"]
                .as_mapping()
                .expect("checked by parse"),
            mappings: document.get("Mappings"),
            parameters: BTreeMap::new(),
            conditions: BTreeMap::new(),
            deployment,
        };
        for parameter in template.parameters() {
            let given = deployment.parameters.get(&parameter.name).cloned();
            let value = given.or(parameter.default);
            let value = value.unwrap_or_else(|| (deployment.generated)(&parameter.name));
            resolver.parameters.insert(parameter.name, value);
        }
        let conditions = document.get("Conditions").and_then(Yaml::as_mapping);
        for (name, expr) in conditions.into_iter().flatten() {
            let name = key_text(name);
            let value = resolver
                .resolve(expr)
                .map_err(|e| e.at("Conditions", &name))?;
            let value = value.as_bool().ok_or_else(|| {
                Error::field("Conditions", &name, format!("{value} is not a condition"))
            })?;
            resolver.conditions.insert(name, value);
        }
        Ok(resolver)
    }

    fn resource_type(&self, id: &str) -> Option<&str> {
        self.resources.get(id)?.get("Type")?.as_str()
    }

    /// The physical name of a resource: its name property when the template sets one, else
    /// its logical id (CloudFormation would add the stack's name and a random suffix).
    pub(crate) fn resource_name(&self, id: &str) -> Option<String> {
        let props = self.resources.get(id)?.get("Properties");
        let named = |key: &str| {
            let name = props.and_then(|p| p.get(key))?;
            self.resolve_str(name).ok()
        };
        let name_property = match self.resource_type(id)? {
            "AWS::DynamoDB::Table" => named("TableName"),
            "AWS::Serverless::Function" => named("FunctionName"),
            "AWS::Serverless::StateMachine" | "AWS::SecretsManager::Secret" => named("Name"),
            "AWS::Logs::LogGroup" => named("LogGroupName"),
            _ => None,
        };
        Some(name_property.unwrap_or_else(|| id.to_string()))
    }

    pub(crate) fn function_arn(&self, name: &str) -> String {
        let Deployment {
            region, account, ..
        } = self.deployment;
        format!("arn:aws:lambda:{region}:{account}:function:{name}")
    }

    pub(crate) fn state_machine_arn(&self, name: &str) -> String {
        let Deployment {
            region, account, ..
        } = self.deployment;
        format!("arn:aws:states:{region}:{account}:stateMachine:{name}")
    }

    /// A resolved value as text; API URLs point at `Deployment::api_endpoint`.
    pub(crate) fn resolve_str(&self, value: &Yaml) -> Result<String> {
        let resolved = match self.resolve(value)? {
            Json::String(s) => s,
            Json::Null => String::new(),
            other => other.to_string(),
        };
        Ok(match self.deployment.api_endpoint {
            Some(endpoint) => self.rewrite_api_urls(&resolved, endpoint),
            None => resolved,
        })
    }

    /// `text` with each `https://<api id>.execute-api.<host>` of the template's HttpApis
    /// replaced by `endpoint`.
    fn rewrite_api_urls(&self, text: &str, endpoint: &str) -> String {
        let mut text = text.to_string();
        for (id, resource) in self.resources {
            if resource.get("Type").and_then(Yaml::as_str) != Some("AWS::Serverless::HttpApi") {
                continue;
            }
            let prefix = format!("https://{}.execute-api.", key_text(id));
            while let Some(start) = text.find(&prefix) {
                let host = &text[start + prefix.len()..];
                let host_len = host
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                    .unwrap_or(host.len());
                text.replace_range(start..start + prefix.len() + host_len, endpoint);
            }
        }
        text
    }

    /// YAML (with intrinsics) to JSON with everything resolved. `!Ref AWS::NoValue` (as
    /// `!If` picks it) removes the list item or the key it stands for, as CloudFormation does;
    /// alone, it is null.
    pub(crate) fn resolve(&self, value: &Yaml) -> Result<Json> {
        Ok(match self.resolve_or_remove(value)? {
            Json::String(s) if s == NO_VALUE => Json::Null,
            other => other,
        })
    }

    pub(crate) fn resolve_or_remove(&self, value: &Yaml) -> Result<Json> {
        let removed = |v: &Json| v.as_str() == Some(NO_VALUE);
        Ok(match value {
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                self.intrinsic(tag.trim_start_matches('!'), &tagged.value)?
            }
            Yaml::Mapping(map) if map.len() == 1 && is_long_form(map) => {
                let (k, v) = map.iter().next().unwrap();
                let name = k.as_str().unwrap_or_default();
                self.intrinsic(name.strip_prefix("Fn::").unwrap_or(name), v)?
            }
            Yaml::Mapping(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let v = self.resolve_or_remove(v)?;
                    if !removed(&v) {
                        out.insert(key_text(k), v);
                    }
                }
                Json::Object(out)
            }
            Yaml::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let v = self.resolve_or_remove(item)?;
                    if !removed(&v) {
                        out.push(v);
                    }
                }
                Json::Array(out)
            }
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Number(n) => {
                serde_json::to_value(n).map_err(|e| intrinsic_error(e.to_string()))?
            }
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Null => Json::Null,
        })
    }

    /// A named condition's value; one the template does not declare is false.
    pub(crate) fn condition(&self, name: &str) -> bool {
        self.conditions.get(name).copied().unwrap_or(false)
    }

    /// Whether the stack creates `resource`: its `Condition`, if it has one, holds.
    pub(crate) fn creates(&self, resource: &Yaml) -> bool {
        let condition = resource.get("Condition").and_then(Yaml::as_str);
        condition.is_none_or(|c| self.condition(c))
    }

    /// A mapping's value: `Mappings.<map>.<top>.<second>`.
    fn find_in_map(&self, map: &str, top: &str, second: &str) -> Option<&Yaml> {
        self.mappings?.get(map)?.get(top)?.get(second)
    }
}

/// `{Ref: x}`, `{Fn::Name: args}` or, in a condition, `{Condition: name}`: CloudFormation's
/// long form.
fn is_long_form(map: &Mapping) -> bool {
    let (key, value) = map.iter().next().expect("one entry");
    match key.as_str().unwrap_or_default() {
        "Ref" => true,
        "Condition" => value.is_string(),
        key => key.starts_with("Fn::"),
    }
}

pub(crate) fn intrinsic_error(problem: impl Into<String>) -> Error {
    Error::Intrinsic(problem.into())
}

/// A parameter value or mapping value as text.
pub(crate) fn text(value: &Yaml) -> String {
    scalar_text(value)
}
