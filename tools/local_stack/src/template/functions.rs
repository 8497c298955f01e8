//! `AWS::Serverless::Function`s: binary, environment (with `Globals`), limits, HttpApi routes,
//! schedules and policies.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::http_routes::http_routes;
use super::resolver::{yaml_key, Resolver};
use super::schedules::schedules;
use super::{FunctionDef, ScheduleTarget};

/// A function as the local stack runs it, and its `Policies`, resolved.
pub(super) struct Function {
    pub(super) def: FunctionDef,
    pub(super) policies: Vec<Json>,
}

/// The function `id`; `globals` is the template's `Globals.Function`.
pub(super) fn function(
    resolver: &Resolver,
    globals: Option<&Yaml>,
    id: &str,
    resource: &Yaml,
) -> Result<Function, String> {
    let props = resource.get("Properties");
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let limit = |key: &str, default: u64| {
        prop(key)
            .and_then(Yaml::as_u64)
            .or(globals.and_then(|g| g.get(key)).and_then(Yaml::as_u64))
            .unwrap_or(default)
    };
    // Environment, policies, events: the order errors have always been reported in.
    let env = environment(resolver, globals, prop("Environment"))?;
    let name = resolver.resource_name(id).unwrap_or(id.to_string());
    let target = ScheduleTarget::Function(name.clone());
    let policies = match prop("Policies").map(|p| resolver.resolve(p)).transpose()? {
        Some(Json::Array(policies)) => policies,
        Some(one) => vec![one],
        None => vec![],
    };
    let def = FunctionDef {
        schedules: schedules(resolver, id, prop("Events"), &target)?,
        logical_id: name,
        binary: binary(id, resource),
        env,
        timeout_secs: limit("Timeout", 3),
        memory_mb: limit("MemorySize", 128),
        http_routes: http_routes(resolver, prop("Events"))?,
    };
    Ok(Function { def, policies })
}

/// The global variables, then the function's own (which win), resolved.
fn environment(
    resolver: &Resolver,
    globals: Option<&Yaml>,
    own: Option<&Yaml>,
) -> Result<BTreeMap<String, String>, String> {
    let globals_env = globals
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"));
    let mut env = BTreeMap::new();
    for vars in [globals_env, own.and_then(|e| e.get("Variables"))]
        .into_iter()
        .flatten()
    {
        if let Some(map) = vars.as_mapping() {
            for (k, v) in map {
                env.insert(yaml_key(k), resolver.resolve_str(v)?);
            }
        }
    }
    Ok(env)
}

/// The binary `cargo lambda` builds: `Metadata.BuildProperties.Binary`, else the logical id
/// without its `Function` suffix.
fn binary(id: &str, resource: &Yaml) -> String {
    resource
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(Yaml::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| id.trim_end_matches("Function").to_string())
}
