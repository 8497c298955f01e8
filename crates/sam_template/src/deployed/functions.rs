//! `AWS::Serverless::Function`s as deployed: environment, policies, HttpApi routes,
//! schedules and reserved concurrency resolved.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::http_routes::http_routes;
use super::schedules::{schedules, ScheduleTarget};
use super::{HttpRoute, ScheduleDef};
use crate::error::At;
use crate::resolver::Resolver;
use crate::{key_text, Error, Function, Result};

#[derive(Debug, Clone)]
pub struct DeployedFunction {
    pub logical_id: String,
    /// Its physical name: `FunctionName`, else the logical id.
    pub name: String,
    pub binary: String,
    pub handler: Option<String>,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    /// The `Globals`' variables, then the function's own (which win), resolved.
    pub env: BTreeMap<String, String>,
    /// `Policies`, resolved (SAM policy templates as written, e.g. `{"DynamoDBCrudPolicy":
    /// {...}}`).
    pub policies: Vec<Json>,
    pub http_routes: Vec<HttpRoute>,
    pub schedules: Vec<ScheduleDef>,
    /// `ReservedConcurrentExecutions`, when set (an `!If` may leave it out).
    pub reserved_concurrency: Option<u64>,
}

pub(super) fn function(resolver: &Resolver, function: &Function) -> Result<DeployedFunction> {
    let id = function.logical_id.as_str();
    let name = resolver.resource_name(id).unwrap_or(id.to_string());
    let events = function.property("Events");
    let target = ScheduleTarget::Function(name.clone());
    let policies = match function.property("Policies") {
        None => vec![],
        Some(policies) => match resolver.resolve(policies).at(id, "Policies")? {
            Json::Array(policies) => policies,
            one => vec![one],
        },
    };
    let reserved = match function.property("ReservedConcurrentExecutions") {
        None => None,
        Some(value) => match resolver
            .resolve(value)
            .at(id, "ReservedConcurrentExecutions")?
        {
            Json::Null => None,
            Json::Number(n) if n.as_u64().is_some() => n.as_u64(),
            other => {
                let problem = format!("{other} is not a whole number");
                return Err(Error::field(id, "ReservedConcurrentExecutions", problem));
            }
        },
    };
    Ok(DeployedFunction {
        logical_id: id.to_string(),
        env: environment(resolver, id, function.property("Environment"))?,
        schedules: schedules(resolver, id, events, &target)?,
        http_routes: http_routes(resolver, id, events)?,
        name,
        binary: function.binary.clone(),
        handler: function.handler.clone(),
        timeout_secs: function.timeout_secs,
        memory_mb: function.memory_mb,
        policies,
        reserved_concurrency: reserved,
    })
}

/// `Environment.Variables` (the `Globals`' already merged in), resolved.
fn environment(
    resolver: &Resolver,
    id: &str,
    environment: Option<&Yaml>,
) -> Result<BTreeMap<String, String>> {
    let variables = environment.and_then(|e| e.get("Variables"));
    let mut env = BTreeMap::new();
    for (k, v) in variables.and_then(Yaml::as_mapping).into_iter().flatten() {
        let k = key_text(k);
        let value = resolver
            .resolve_str(v)
            .at(id, &format!("Environment.Variables.{k}"))?;
        env.insert(k, value);
    }
    Ok(env)
}
