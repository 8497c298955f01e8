//! Reads `template.yaml` the way CloudFormation would for what the local stack needs:
//! parameters, functions (binary, environment, HttpApi routes), tables (with their global
//! secondary indexes), state machines (with `DefinitionSubstitutions`) and the schedules of
//! both functions and state machines. Intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!Join`,
//! `!If`/`!Equals`) are resolved to local values.

mod alarms;
mod functions;
mod http_routes;
mod resolver;
mod schedules;
mod secrets;
mod state_machines;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

pub use http_routes::{HttpRoute, Throttle};
use resolver::{yaml_key, Resolver};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
/// The physical id the local stack gives every `AWS::Serverless::HttpApi`; URLs built from it
/// (`https://<id>.execute-api.<region>.<suffix>`) are rewritten to the local API address.
const HTTP_API_ID: &str = "local-http-api";

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub logical_id: String,
    pub binary: String,
    pub env: BTreeMap<String, String>,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    pub http_routes: Vec<HttpRoute>,
    pub schedules: Vec<ScheduleDef>,
}

#[derive(Debug, Clone)]
pub struct TableDef {
    pub name: String,
    /// (attribute, HASH|RANGE)
    pub key_schema: Vec<(String, String)>,
    /// (attribute, S|N|B)
    pub attributes: Vec<(String, String)>,
    pub ttl_attribute: Option<String>,
    pub global_secondary_indexes: Vec<IndexDef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    /// (attribute, HASH|RANGE)
    pub key_schema: Vec<(String, String)>,
    /// ALL | KEYS_ONLY | INCLUDE; left to DynamoDB when the template leaves it out.
    pub projection_type: Option<String>,
    /// The attributes an `INCLUDE` projection adds to the keys.
    pub non_key_attributes: Vec<String>,
}

/// What a schedule starts when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleTarget {
    /// An execution of the state machine with this name.
    StateMachine(String),
    /// An invocation of the function with this name (`FunctionDef::logical_id`, the key of its
    /// pool).
    Function(String),
}

impl std::fmt::Display for ScheduleTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScheduleTarget::StateMachine(name) => write!(f, "state machine {name}"),
            ScheduleTarget::Function(name) => write!(f, "function {name}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScheduleDef {
    /// `<LogicalId>.<EventName>` of the state machine or function declaring it.
    pub name: String,
    pub target: ScheduleTarget,
    pub expression: String,
    pub enabled: bool,
    /// The execution input or the function's event, as EventBridge Scheduler passes it: the
    /// event's `Input`, `{}` without one.
    pub input: String,
}

#[derive(Debug, Clone)]
pub struct StateMachineDef {
    pub logical_id: String,
    pub name: String,
    pub definition: Json,
    pub schedules: Vec<ScheduleDef>,
}

/// An `AWS::SecretsManager::Secret`: its name and its value (`SecretString`, or what
/// `GenerateSecretString` would make: the template JSON with a random key added).
#[derive(Clone)]
pub struct SecretDef {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for SecretDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretDef")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Stack {
    /// The secrets the template creates (their conditions hold), provisioned into moto.
    pub secrets: Vec<SecretDef>,
    pub functions: Vec<FunctionDef>,
    pub tables: Vec<TableDef>,
    pub state_machines: Vec<StateMachineDef>,
    /// Each function's `Policies` (by `FunctionDef::logical_id`), resolved. The local stack does
    /// not enforce IAM (moto does not); the IAM test checks them against the code.
    pub function_policies: BTreeMap<String, Vec<Json>>,
    /// The `AWS::CloudWatch::Alarm`s, evaluated against the local metrics.
    pub alarms: Vec<crate::alarms::AlarmDef>,
}

impl Stack {
    /// The schedules of every function and state machine.
    pub fn schedules(&self) -> Vec<ScheduleDef> {
        let functions = self.functions.iter().flat_map(|f| &f.schedules);
        let state_machines = self.state_machines.iter().flat_map(|s| &s.schedules);
        functions.chain(state_machines).cloned().collect()
    }
}

pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

pub fn state_machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

/// Reads and resolves the template. `overrides` win over parameter defaults; parameters with
/// neither get `generated(name)` (e.g. a random signing key).
pub fn load(
    path: &Path,
    api_base: &str,
    overrides: &BTreeMap<String, String>,
    generated: impl Fn(&str) -> String,
) -> Result<Stack, String> {
    let doc = read_yaml(path)?;
    let base_dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let empty = serde_yaml::Mapping::new();
    let resources = doc
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .unwrap_or(&empty);
    let parameters = parameter_values(&doc, overrides, &generated);
    let mut resolver = Resolver {
        resources,
        parameters: &parameters,
        conditions: BTreeMap::new(),
        api_base,
    };
    // Each condition is resolved with none known yet: the template's conditions do not name
    // one another.
    resolver.conditions = condition_values(&doc, &resolver)?;
    resources_of(&doc, resources, &resolver, &base_dir, &generated)
}

/// The secrets, functions, tables and state machines among the template's resources.
fn resources_of(
    doc: &Yaml,
    resources: &serde_yaml::Mapping,
    resolver: &Resolver,
    base_dir: &Path,
    generated: &impl Fn(&str) -> String,
) -> Result<Stack, String> {
    let function_globals = doc.get("Globals").and_then(|g| g.get("Function"));
    let mut stack = Stack {
        functions: vec![],
        tables: vec![],
        state_machines: vec![],
        secrets: vec![],
        function_policies: BTreeMap::new(),
        alarms: vec![],
    };
    for (id, resource) in resources {
        let id = yaml_key(id);
        let props = resource.get("Properties");
        match resource
            .get("Type")
            .and_then(Yaml::as_str)
            .unwrap_or_default()
        {
            "AWS::SecretsManager::Secret" => {
                let secret = secrets::secret(resolver, &id, resource, generated)?;
                stack.secrets.extend(secret);
            }
            "AWS::Serverless::Function" => {
                let function = functions::function(resolver, function_globals, &id, resource)?;
                let name = function.def.logical_id.clone();
                stack.function_policies.insert(name, function.policies);
                stack.functions.push(function.def);
            }
            "AWS::DynamoDB::Table" => stack.tables.push(tables::table(resolver, &id, props)?),
            "AWS::Serverless::SimpleTable" => {
                stack.tables.push(tables::simple_table(resolver, &id))
            }
            // A conditional state machine (the examples, `DeployExamples`) only when it holds.
            "AWS::Serverless::StateMachine" if resolver.creates(resource) => {
                stack.state_machines.push(state_machines::state_machine(
                    resolver, base_dir, &id, props,
                )?)
            }
            "AWS::CloudWatch::Alarm" => {
                stack.alarms.extend(alarms::alarm(resolver, &id, resource)?)
            }
            // What only AWS runs: log groups (their retention), X-Ray, CloudFront and
            // WAF; functions log to the console. HttpApi throttling is read with the routes
            // (http_routes), reserved concurrency by runtime_api::limits.
            _ => {}
        }
    }
    Ok(stack)
}

fn read_yaml(path: &Path) -> Result<Yaml, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{} is not valid YAML: {e}", path.display()))
}

/// Each parameter's value: its override, else its `Default`, else `generated(name)`.
fn parameter_values(
    doc: &Yaml,
    overrides: &BTreeMap<String, String>,
    generated: &impl Fn(&str) -> String,
) -> BTreeMap<String, String> {
    let mut parameters = BTreeMap::new();
    if let Some(params) = doc.get("Parameters").and_then(Yaml::as_mapping) {
        for (name, spec) in params {
            let name = yaml_key(name);
            let value = overrides.get(&name).cloned().or_else(|| {
                spec.get("Default").map(|d| match d {
                    Yaml::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                })
            });
            parameters.insert(name.clone(), value.unwrap_or_else(|| generated(&name)));
        }
    }
    parameters
}

/// The value of each of the template's `Conditions`.
fn condition_values(doc: &Yaml, resolver: &Resolver) -> Result<BTreeMap<String, bool>, String> {
    let mut values = BTreeMap::new();
    if let Some(conditions) = doc.get("Conditions").and_then(Yaml::as_mapping) {
        for (name, expr) in conditions {
            values.insert(
                yaml_key(name),
                resolver.resolve(expr)?.as_bool().unwrap_or(false),
            );
        }
    }
    Ok(values)
}
