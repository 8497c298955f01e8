//! The intrinsic functions, short form (`!Sub`) or long (`Fn::Sub`).

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::{intrinsic_error as error, text, Deployment, Resolver, NO_VALUE};
use crate::{key_text, Result};

/// The arguments of `name` as a list of `n` (or `range`) items.
fn args<'y>(
    name: &str,
    arg: &'y Yaml,
    range: std::ops::RangeInclusive<usize>,
) -> Result<&'y [Yaml]> {
    arg.as_sequence()
        .map(Vec::as_slice)
        .filter(|v| range.contains(&v.len()))
        .ok_or_else(|| error(format!("!{name} takes a list of {range:?} items")))
}

impl Resolver<'_> {
    pub(super) fn intrinsic(&self, name: &str, arg: &Yaml) -> Result<Json> {
        let string = |s: String| Ok(Json::String(s));
        match name {
            "Ref" => match arg.as_str() {
                Some("AWS::NoValue") => string(NO_VALUE.into()),
                Some(name) => string(self.reference(name)?),
                None => Err(error("!Ref takes a name")),
            },
            "GetAtt" => string(self.get_att_intrinsic(arg)?),
            "Sub" => string(self.sub_intrinsic(arg)?),
            "Join" => string(self.join(arg)?),
            "If" | "Equals" | "Not" | "And" | "Or" | "Condition" => {
                self.condition_function(name, arg)
            }
            "Select" => self.select(arg),
            "Split" => {
                let v = args("Split", arg, 2..=2)?;
                let separator = v[0]
                    .as_str()
                    .ok_or_else(|| error("!Split takes a separator"))?;
                let parts = self.resolve_str(&v[1])?;
                let parts = parts.split(separator).map(|s| Json::String(s.into()));
                Ok(Json::Array(parts.collect()))
            }
            "FindInMap" => {
                let v = args("FindInMap", arg, 3..=3)?;
                let keys = v.iter().map(|k| self.resolve_str(k));
                let keys = keys.collect::<Result<Vec<_>>>()?;
                let value = self.find_in_map(&keys[0], &keys[1], &keys[2]);
                self.resolve(
                    value.ok_or_else(|| error(format!("!FindInMap {keys:?}: no such entry")))?,
                )
            }
            "Base64" => {
                let plain = self.resolve_str(arg)?;
                string(base64::engine::general_purpose::STANDARD.encode(plain))
            }
            other => Err(error(format!("!{other} cannot be resolved outside AWS"))),
        }
    }

    /// `!If` (the branch its condition picks), and the condition functions.
    fn condition_function(&self, name: &str, arg: &Yaml) -> Result<Json> {
        let boolean = |b: bool| Ok(Json::Bool(b));
        match name {
            "If" => {
                let v = args("If", arg, 3..=3)?;
                let cond = self.condition(v[0].as_str().unwrap_or_default());
                self.resolve_or_remove(if cond { &v[1] } else { &v[2] })
            }
            "Equals" => {
                let v = args("Equals", arg, 2..=2)?;
                boolean(self.resolve(&v[0])? == self.resolve(&v[1])?)
            }
            "Not" => boolean(!self.boolean(&args("Not", arg, 1..=1)?[0])?),
            "And" | "Or" => {
                let values = args(name, arg, 2..=10)?.iter().map(|c| self.boolean(c));
                let values = values.collect::<Result<Vec<_>>>()?;
                let all = name == "And";
                boolean(if all {
                    values.iter().all(|b| *b)
                } else {
                    values.iter().any(|b| *b)
                })
            }
            _ => boolean(self.condition(arg.as_str().unwrap_or_default())),
        }
    }

    /// A condition's value: `true` or `false`, nothing else.
    fn boolean(&self, condition: &Yaml) -> Result<bool> {
        let value = self.resolve(condition)?;
        value
            .as_bool()
            .ok_or_else(|| error(format!("{value} is not a condition")))
    }

    /// `!Select [index, list]`.
    fn select(&self, arg: &Yaml) -> Result<Json> {
        let v = args("Select", arg, 2..=2)?;
        let index = self.resolve_str(&v[0])?;
        let index: usize = index
            .parse()
            .map_err(|_| error(format!("!Select index {index:?}")))?;
        match self.resolve(&v[1])? {
            Json::Array(mut items) if index < items.len() => Ok(items.swap_remove(index)),
            other => Err(error(format!("!Select {index} of {other}: no such item"))),
        }
    }

    fn reference(&self, name: &str) -> Result<String> {
        let Deployment {
            region,
            account,
            stack_name,
            ..
        } = self.deployment;
        match name {
            "AWS::Region" => return Ok(region.to_string()),
            "AWS::AccountId" => return Ok(account.to_string()),
            "AWS::Partition" => return Ok("aws".into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            "AWS::StackName" => return Ok(stack_name.to_string()),
            "AWS::StackId" => {
                return Ok(format!(
                    "arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/local"
                ))
            }
            "AWS::NoValue" => return Ok(String::new()),
            _ => {}
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(v.clone());
        }
        let resource_name = self.resource_name(name);
        match (self.resource_type(name), resource_name) {
            (Some("AWS::Serverless::StateMachine"), Some(n)) => Ok(self.state_machine_arn(&n)),
            // A secret's name, where CloudFormation gives its ARN: Secrets Manager takes either
            // as a SecretId, and only the name is known before the secret exists.
            (Some(_), Some(n)) => Ok(n),
            _ => Err(error(format!("!Ref {name}: no such parameter or resource"))),
        }
    }

    fn get_att(&self, id: &str, attribute: &str) -> Result<String> {
        let name = self
            .resource_name(id)
            .ok_or_else(|| error(format!("!GetAtt {id}.{attribute}: no such resource")))?;
        let Deployment {
            region, account, ..
        } = self.deployment;
        Ok(
            match (self.resource_type(id).unwrap_or_default(), attribute) {
                ("AWS::Serverless::Function", "Arn") => self.function_arn(&name),
                ("AWS::DynamoDB::Table", "Arn") => {
                    format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
                }
                ("AWS::Serverless::StateMachine", "Arn") => self.state_machine_arn(&name),
                ("AWS::Serverless::StateMachine", "Name") => name,
                // What only AWS knows (a distribution's domain, a role's id): a stand-in that names
                // what it stands for.
                _ => format!("arn:aws:local:{region}:{account}:{id}/{attribute}"),
            },
        )
    }

    fn sub(&self, template: &str, vars: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| error(format!("!Sub {template:?}: unclosed ${{")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
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

    /// `!GetAtt Resource.Attribute` or `!GetAtt [Resource, Attribute]`.
    fn get_att_intrinsic(&self, arg: &Yaml) -> Result<String> {
        let (id, att) = match arg {
            Yaml::String(s) => s
                .split_once('.')
                .map(|(a, b)| (a.to_string(), b.to_string())),
            Yaml::Sequence(v) if v.len() == 2 => {
                Some((self.resolve_str(&v[0])?, self.resolve_str(&v[1])?))
            }
            _ => None,
        }
        .ok_or_else(|| error("!GetAtt takes Resource.Attribute"))?;
        self.get_att(&id, &att)
    }

    /// `!Sub text` or `!Sub [text, {variables}]`.
    fn sub_intrinsic(&self, arg: &Yaml) -> Result<String> {
        match arg {
            Yaml::String(text) => self.sub(text, &BTreeMap::new()),
            Yaml::Sequence(v) if v.len() == 2 => {
                let mut vars = BTreeMap::new();
                for (k, val) in v[1].as_mapping().into_iter().flatten() {
                    vars.insert(key_text(k), self.resolve_str(val)?);
                }
                self.sub(
                    v[0].as_str().ok_or_else(|| error("!Sub takes a string"))?,
                    &vars,
                )
            }
            _ => Err(error("!Sub takes a string or [string, map]")),
        }
    }

    /// `!Join [separator, list]`.
    fn join(&self, arg: &Yaml) -> Result<String> {
        let v = args("Join", arg, 2..=2)?;
        let Json::Array(items) = self.resolve(&v[1])? else {
            return Err(error("!Join takes a list"));
        };
        let parts: Vec<String> = items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect();
        Ok(parts.join(&text(&v[0])))
    }
}
