//! Each function's concurrency limit: its `ReservedConcurrentExecutions` in `template.yaml`
//! (or the template's `Globals`), else the stack-wide default (`--concurrency`); and
//! `GET /_local/api/concurrency`, what each function's pool did.

use anyhow::Context;
use std::collections::BTreeMap;
use std::sync::Arc;

use sam_template::yaml::Value as Yaml;
use serde_json::{Map, Value};

use super::FunctionPool;

/// `GET /_local/api/concurrency`: per function its limit, processes by phase and counters.
pub fn api_router(pools: BTreeMap<String, Arc<FunctionPool>>) -> axum::Router {
    let pools = Arc::new(pools);
    axum::Router::new().route(
        "/_local/api/concurrency",
        axum::routing::get(move || {
            let pools = pools.clone();
            async move {
                let all: Map<String, Value> = pools
                    .iter()
                    .map(|(name, pool)| (name.clone(), pool.snapshot()))
                    .collect();
                axum::Json(Value::Object(all))
            }
        }),
    )
}

/// Functions of the template with `ReservedConcurrentExecutions`, and its value. A `!Ref` to a
/// parameter resolves to the parameter's `Default`.
pub fn reserved_concurrency(template: &str) -> anyhow::Result<BTreeMap<String, usize>> {
    let doc: Yaml = sam_template::yaml::from_str(template).context("template is not valid YAML")?;
    let parameter_default = |name: &str| {
        doc.get("Parameters")
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("Default"))
            .and_then(number)
    };
    let value = |v: &Yaml| -> Option<usize> {
        match v {
            Yaml::Tagged(tagged) if tagged.tag == "!Ref" => {
                tagged.value.as_str().and_then(parameter_default)
            }
            Yaml::Mapping(m) => m
                .get("Ref")
                .and_then(Yaml::as_str)
                .and_then(parameter_default),
            other => number(other),
        }
    };
    let global = doc
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("ReservedConcurrentExecutions"))
        .and_then(value);
    let mut limits = BTreeMap::new();
    for (id, resource) in doc
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
    {
        if resource.get("Type").and_then(Yaml::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let own = resource
            .get("Properties")
            .and_then(|p| p.get("ReservedConcurrentExecutions"))
            .and_then(value);
        if let (Some(limit), Some(id)) = (own.or(global), id.as_str()) {
            limits.insert(id.to_string(), limit);
        }
    }
    Ok(limits)
}

fn number(v: &Yaml) -> Option<usize> {
    match v {
        Yaml::Number(n) => n.as_u64().map(|n| n as usize),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_concurrency_comes_from_the_function_its_globals_or_a_parameter() {
        let limits = reserved_concurrency(
            r#"
Parameters:
  Limit: {Type: Number, Default: 7}
Globals:
  Function:
    Timeout: 10
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {ReservedConcurrentExecutions: 5}
  B:
    Type: AWS::Serverless::Function
    Properties: {ReservedConcurrentExecutions: !Ref Limit}
  C:
    Type: AWS::Serverless::Function
    Properties: {}
  T:
    Type: AWS::DynamoDB::Table
"#,
        )
        .unwrap();
        assert_eq!(limits.get("A"), Some(&5));
        assert_eq!(limits.get("B"), Some(&7));
        assert_eq!(limits.get("C"), None, "falls back to --concurrency");
        let with_global = reserved_concurrency(
            "Globals: {Function: {ReservedConcurrentExecutions: 3}}\nResources: {C: {Type: AWS::Serverless::Function, Properties: {}}}",
        )
        .unwrap();
        assert_eq!(with_global.get("C"), Some(&3));
    }
}
