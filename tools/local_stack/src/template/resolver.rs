//! Intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!If`/`!Equals`/`!Not`/`!And`/`!Or`, `Condition`)
//! resolved against the template's resources and parameter values.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::{function_arn, state_machine_arn, ACCOUNT, HTTP_API_ID, REGION};

/// Resolves intrinsics against the template's resources and parameter values.
pub(super) struct Resolver<'a> {
    pub(super) resources: &'a serde_yaml::Mapping,
    pub(super) parameters: &'a BTreeMap<String, String>,
    pub(super) conditions: BTreeMap<String, bool>,
    pub(super) api_base: &'a str,
}

fn s(y: &Yaml) -> Option<&str> {
    y.as_str()
}

impl Resolver<'_> {
    fn resource_type(&self, id: &str) -> Option<&str> {
        self.resources.get(id)?.get("Type")?.as_str()
    }

    pub(super) fn resource_name(&self, id: &str) -> Option<String> {
        let props = self.resources.get(id)?.get("Properties");
        let named = |key: &str| {
            props
                .and_then(|p| p.get(key))
                .and_then(|v| self.resolve_str(v).ok())
        };
        Some(match self.resource_type(id)? {
            "AWS::DynamoDB::Table" => named("TableName").unwrap_or_else(|| id.to_string()),
            "AWS::Serverless::StateMachine" => named("Name").unwrap_or_else(|| id.to_string()),
            "AWS::Serverless::Function" => named("FunctionName").unwrap_or_else(|| id.to_string()),
            "AWS::Serverless::HttpApi" => HTTP_API_ID.to_string(),
            "AWS::SecretsManager::Secret" => named("Name").unwrap_or_else(|| id.to_string()),
            _ => id.to_string(),
        })
    }

    fn reference(&self, name: &str) -> Result<String, String> {
        match name {
            "AWS::Region" => return Ok(REGION.into()),
            "AWS::AccountId" => return Ok(ACCOUNT.into()),
            "AWS::Partition" => return Ok("aws".into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            "AWS::StackName" => return Ok("hitl-local".into()),
            "AWS::NoValue" => return Ok(String::new()),
            _ => {}
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(v.clone());
        }
        match self.resource_type(name) {
            Some("AWS::Serverless::StateMachine") => {
                Ok(state_machine_arn(&self.resource_name(name).unwrap()))
            }
            Some(_) => Ok(self.resource_name(name).unwrap()),
            None => Err(format!("!Ref {name}: no such parameter or resource")),
        }
    }

    fn get_att(&self, id: &str, attribute: &str) -> Result<String, String> {
        let name = self
            .resource_name(id)
            .ok_or_else(|| format!("!GetAtt {id}.{attribute}: no such resource"))?;
        Ok(
            match (self.resource_type(id).unwrap_or_default(), attribute) {
                ("AWS::Serverless::Function", "Arn") => function_arn(&name),
                ("AWS::DynamoDB::Table", "Arn") => {
                    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
                }
                ("AWS::Serverless::StateMachine", "Arn") => state_machine_arn(&name),
                ("AWS::Serverless::StateMachine", "Name") => name,
                _ => format!("arn:aws:local:{REGION}:{ACCOUNT}:{id}/{attribute}"),
            },
        )
    }

    fn sub(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("!Sub {text:?}: unclosed ${{"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(v);
            } else if let Some((id, att)) = name.split_once('.') {
                out.push_str(&self.get_att(id, att)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    pub(super) fn resolve_str(&self, value: &Yaml) -> Result<String, String> {
        let resolved = match self.resolve(value)? {
            Json::String(s) => s,
            Json::Null => String::new(),
            other => other.to_string(),
        };
        // API URLs point at the local HttpApi.
        let re = regex::Regex::new(&format!(
            r"https://{HTTP_API_ID}\.execute-api\.[A-Za-z0-9.-]+"
        ))
        .unwrap();
        Ok(re.replace_all(&resolved, self.api_base).into_owned())
    }

    /// YAML (with intrinsics) to JSON with everything resolved. `!Ref AWS::NoValue` (as
    /// `!If` picks it) removes the list item or the key it stands for, as CloudFormation does;
    /// alone, it is null.
    pub(super) fn resolve(&self, value: &Yaml) -> Result<Json, String> {
        Ok(match self.resolve_or_remove(value)? {
            Json::String(s) if s == NO_VALUE => Json::Null,
            other => other,
        })
    }

    fn resolve_or_remove(&self, value: &Yaml) -> Result<Json, String> {
        let removed = |v: &Json| v.as_str() == Some(NO_VALUE);
        Ok(match value {
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                self.intrinsic(tag.trim_start_matches('!'), &tagged.value)?
            }
            Yaml::Mapping(map) if map.len() == 1 => {
                let (k, v) = map.iter().next().unwrap();
                match k.as_str() {
                    Some("Ref") => self.intrinsic("Ref", v)?,
                    Some(f) if f.starts_with("Fn::") => self.intrinsic(&f[4..], v)?,
                    _ => {
                        let v = self.resolve_or_remove(v)?;
                        let entry = (!removed(&v)).then(|| (yaml_key(k), v));
                        Json::Object(entry.into_iter().collect())
                    }
                }
            }
            Yaml::Mapping(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let v = self.resolve_or_remove(v)?;
                    if !removed(&v) {
                        out.insert(yaml_key(k), v);
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
            Yaml::Number(n) => serde_json::to_value(n).map_err(|e| e.to_string())?,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Null => Json::Null,
        })
    }

    fn intrinsic(&self, name: &str, arg: &Yaml) -> Result<Json, String> {
        match name {
            "Ref" if s(arg) == Some("AWS::NoValue") => Ok(Json::String(NO_VALUE.into())),
            "Ref" => Ok(Json::String(
                self.reference(s(arg).ok_or("!Ref takes a name")?)?,
            )),
            "GetAtt" => Ok(Json::String(self.get_att_intrinsic(arg)?)),
            "Sub" => Ok(Json::String(self.sub_intrinsic(arg)?)),
            "Join" => Ok(Json::String(self.join(arg)?)),
            "If" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| v.len() == 3)
                    .ok_or("!If takes [cond, a, b]")?;
                let cond = self.condition(s(&v[0]).unwrap_or_default());
                self.resolve_or_remove(if cond { &v[1] } else { &v[2] })
            }
            "Equals" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| v.len() == 2)
                    .ok_or("!Equals takes two values")?;
                Ok(Json::Bool(self.resolve(&v[0])? == self.resolve(&v[1])?))
            }
            "Not" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| v.len() == 1)
                    .ok_or("!Not takes [cond]")?;
                Ok(Json::Bool(!self.resolve(&v[0])?.as_bool().unwrap_or(false)))
            }
            "And" | "Or" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| (2..=10).contains(&v.len()))
                    .ok_or("!And and !Or take 2 to 10 conditions")?;
                let values = v
                    .iter()
                    .map(|c| Ok(self.resolve(c)?.as_bool().unwrap_or(false)))
                    .collect::<Result<Vec<bool>, String>>()?;
                Ok(Json::Bool(match name {
                    "And" => values.iter().all(|b| *b),
                    _ => values.iter().any(|b| *b),
                }))
            }
            "Condition" => Ok(Json::Bool(self.condition(s(arg).unwrap_or_default()))),
            other => Err(format!(
                "intrinsic {other} is not supported by the local stack"
            )),
        }
    }

    /// A named condition's value; one the template does not declare is false.
    pub(super) fn condition(&self, name: &str) -> bool {
        self.conditions.get(name).copied().unwrap_or(false)
    }

    /// Whether the stack creates `resource`: its `Condition`, if it has one, holds.
    pub(super) fn creates(&self, resource: &Yaml) -> bool {
        resource
            .get("Condition")
            .and_then(Yaml::as_str)
            .is_none_or(|c| self.condition(c))
    }

    /// `!GetAtt Resource.Attribute` or `!GetAtt [Resource, Attribute]`.
    fn get_att_intrinsic(&self, arg: &Yaml) -> Result<String, String> {
        let (id, att) = match arg {
            Yaml::String(s) => s
                .split_once('.')
                .map(|(a, b)| (a.to_string(), b.to_string())),
            Yaml::Sequence(v) if v.len() == 2 => {
                Some((self.resolve_str(&v[0])?, self.resolve_str(&v[1])?))
            }
            _ => None,
        }
        .ok_or("!GetAtt takes Resource.Attribute")?;
        self.get_att(&id, &att)
    }

    /// `!Sub text` or `!Sub [text, {variables}]`.
    fn sub_intrinsic(&self, arg: &Yaml) -> Result<String, String> {
        match arg {
            Yaml::String(text) => self.sub(text, &BTreeMap::new()),
            Yaml::Sequence(v) if v.len() == 2 => {
                let mut vars = BTreeMap::new();
                if let Some(map) = v[1].as_mapping() {
                    for (k, val) in map {
                        vars.insert(yaml_key(k), self.resolve_str(val)?);
                    }
                }
                self.sub(s(&v[0]).ok_or("!Sub takes a string")?, &vars)
            }
            _ => Err("!Sub takes a string or [string, map]".into()),
        }
    }

    /// `!Join [separator, list]`.
    fn join(&self, arg: &Yaml) -> Result<String, String> {
        let v = arg
            .as_sequence()
            .filter(|v| v.len() == 2)
            .ok_or("!Join takes [sep, list]")?;
        let items = match self.resolve(&v[1])? {
            Json::Array(items) => items,
            _ => return Err("!Join takes a list".into()),
        };
        let parts: Vec<String> = items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect();
        Ok(parts.join(s(&v[0]).unwrap_or("")))
    }
}

/// What `!Ref AWS::NoValue` resolves to until the list or mapping holding it drops it.
const NO_VALUE: &str = "\u{0}AWS::NoValue";

pub(super) fn yaml_key(k: &Yaml) -> String {
    match k {
        Yaml::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `!If [cond, x, !Ref AWS::NoValue]` leaves a list item or a key out when `cond` is false,
    /// as CloudFormation does (SAM `Policies`, a policy's statements).
    #[test]
    fn no_value_removes_the_item_or_key_it_stands_for() {
        let resources = serde_yaml::Mapping::new();
        let parameters = BTreeMap::new();
        let resolver = Resolver {
            resources: &resources,
            parameters: &parameters,
            conditions: BTreeMap::from([("On".to_string(), true), ("Off".to_string(), false)]),
            api_base: "http://127.0.0.1:3000",
        };
        let yaml: Yaml = serde_yaml::from_str(
            "list: [a, !If [Off, b, !Ref AWS::NoValue], !If [On, c, !Ref AWS::NoValue]]\n\
             map: {kept: 1, gone: !If [Off, 2, !Ref AWS::NoValue]}\n\
             alone: !Ref AWS::NoValue\n\
             sub: !Sub 'x${AWS::NoValue}y'",
        )
        .unwrap();
        let json = resolver.resolve(&yaml).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"list": ["a", "c"], "map": {"kept": 1}, "sub": "xy"})
        );
    }
}
