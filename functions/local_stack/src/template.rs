//! Reads `template.yaml` the way CloudFormation would for what the local stack needs:
//! parameters, functions (binary, environment, HttpApi routes), tables (with their global
//! secondary indexes), state machines (with `DefinitionSubstitutions`) and the schedules of
//! both functions and state machines. Intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!Join`,
//! `!If`/`!Equals`) are resolved to local values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

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
    /// (METHOD or ANY, path with `{params}`)
    pub http_routes: Vec<(String, String)>,
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

/// Resolves intrinsics against the template's resources and parameter values.
struct Resolver<'a> {
    resources: &'a serde_yaml::Mapping,
    parameters: &'a BTreeMap<String, String>,
    conditions: BTreeMap<String, bool>,
    api_base: &'a str,
}

fn s(y: &Yaml) -> Option<&str> {
    y.as_str()
}

impl Resolver<'_> {
    fn resource_type(&self, id: &str) -> Option<&str> {
        self.resources.get(id)?.get("Type")?.as_str()
    }

    fn resource_name(&self, id: &str) -> Option<String> {
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

    fn resolve_str(&self, value: &Yaml) -> Result<String, String> {
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

    /// YAML (with intrinsics) to JSON with everything resolved.
    fn resolve(&self, value: &Yaml) -> Result<Json, String> {
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
                    _ => Json::Object([(yaml_key(k), self.resolve(v)?)].into_iter().collect()),
                }
            }
            Yaml::Mapping(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(yaml_key(k), self.resolve(v)?);
                }
                Json::Object(out)
            }
            Yaml::Sequence(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i))
                    .collect::<Result<_, _>>()?,
            ),
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Number(n) => serde_json::to_value(n).map_err(|e| e.to_string())?,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Null => Json::Null,
        })
    }

    fn intrinsic(&self, name: &str, arg: &Yaml) -> Result<Json, String> {
        Ok(Json::String(match name {
            "Ref" => self.reference(s(arg).ok_or("!Ref takes a name")?)?,
            "GetAtt" => {
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
                self.get_att(&id, &att)?
            }
            "Sub" => match arg {
                Yaml::String(text) => self.sub(text, &BTreeMap::new())?,
                Yaml::Sequence(v) if v.len() == 2 => {
                    let mut vars = BTreeMap::new();
                    if let Some(map) = v[1].as_mapping() {
                        for (k, val) in map {
                            vars.insert(yaml_key(k), self.resolve_str(val)?);
                        }
                    }
                    self.sub(s(&v[0]).ok_or("!Sub takes a string")?, &vars)?
                }
                _ => return Err("!Sub takes a string or [string, map]".into()),
            },
            "Join" => {
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
                parts.join(s(&v[0]).unwrap_or(""))
            }
            "If" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| v.len() == 3)
                    .ok_or("!If takes [cond, a, b]")?;
                let cond = self
                    .conditions
                    .get(s(&v[0]).unwrap_or_default())
                    .copied()
                    .unwrap_or(false);
                return self.resolve(if cond { &v[1] } else { &v[2] });
            }
            "Equals" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| v.len() == 2)
                    .ok_or("!Equals takes two values")?;
                return Ok(Json::Bool(self.resolve(&v[0])? == self.resolve(&v[1])?));
            }
            "Not" => {
                let v = arg
                    .as_sequence()
                    .filter(|v| v.len() == 1)
                    .ok_or("!Not takes [cond]")?;
                return Ok(Json::Bool(!self.resolve(&v[0])?.as_bool().unwrap_or(false)));
            }
            "Condition" => {
                return Ok(Json::Bool(
                    self.conditions
                        .get(s(arg).unwrap_or_default())
                        .copied()
                        .unwrap_or(false),
                ))
            }
            other => {
                return Err(format!(
                    "intrinsic {other} is not supported by the local stack"
                ))
            }
        }))
    }
}

fn yaml_key(k: &Yaml) -> String {
    match k {
        Yaml::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// The `ScheduleV2`/`Schedule` events of the resource `id`, all firing `target`.
fn schedules(
    resolver: &Resolver,
    id: &str,
    events: Option<&Yaml>,
    target: &ScheduleTarget,
) -> Result<Vec<ScheduleDef>, String> {
    let mut schedules = Vec::new();
    for (event_name, event) in events.and_then(Yaml::as_mapping).into_iter().flatten() {
        let kind = event.get("Type").and_then(Yaml::as_str).unwrap_or_default();
        if kind != "ScheduleV2" && kind != "Schedule" {
            continue;
        }
        let name = format!("{id}.{}", yaml_key(event_name));
        let p = event.get("Properties");
        let get = |k: &str| {
            p.and_then(|p| p.get(k))
                .map(|v| resolver.resolve_str(v))
                .transpose()
        };
        let expression = get("ScheduleExpression")?
            .or(get("Schedule")?)
            .unwrap_or_default();
        let enabled = match (get("State")?, get("Enabled")?) {
            (Some(state), _) => state.eq_ignore_ascii_case("ENABLED"),
            (None, Some(enabled)) => enabled == "true",
            (None, None) => true,
        };
        let input = get("Input")?.unwrap_or_else(|| "{}".into());
        // Lambda takes only JSON payloads: say so now rather than at every tick.
        if let ScheduleTarget::Function(_) = target {
            serde_json::from_str::<Json>(&input)
                .map_err(|e| format!("{name}: Input is not JSON: {e}"))?;
        }
        schedules.push(ScheduleDef {
            name,
            target: target.clone(),
            expression,
            enabled,
            input,
        });
    }
    Ok(schedules)
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

/// Reads and resolves the template. `overrides` win over parameter defaults; parameters with
/// neither get `generated(name)` (e.g. a random signing key).
pub fn load(
    path: &Path,
    api_base: &str,
    overrides: &BTreeMap<String, String>,
    generated: impl Fn(&str) -> String,
) -> Result<Stack, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: Yaml = serde_yaml::from_str(&text)
        .map_err(|e| format!("{} is not valid YAML: {e}", path.display()))?;
    let base_dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let empty = serde_yaml::Mapping::new();
    let resources = doc
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .unwrap_or(&empty);

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
    let mut resolver = Resolver {
        resources,
        parameters: &parameters,
        conditions: BTreeMap::new(),
        api_base,
    };
    if let Some(conditions) = doc.get("Conditions").and_then(Yaml::as_mapping) {
        let mut values = BTreeMap::new();
        for (name, expr) in conditions {
            values.insert(
                yaml_key(name),
                resolver.resolve(expr)?.as_bool().unwrap_or(false),
            );
        }
        resolver.conditions = values;
    }

    let globals_env = doc
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"));
    let global = |key: &str| {
        doc.get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get(key))
            .and_then(Yaml::as_u64)
    };

    let mut stack = Stack {
        functions: vec![],
        tables: vec![],
        state_machines: vec![],
        secrets: vec![],
        function_policies: BTreeMap::new(),
    };
    for (id, resource) in resources {
        let id = yaml_key(id);
        let props = resource.get("Properties");
        let prop = |k: &str| props.and_then(|p| p.get(k));
        match resource
            .get("Type")
            .and_then(Yaml::as_str)
            .unwrap_or_default()
        {
            "AWS::SecretsManager::Secret" => {
                let wanted = resource
                    .get("Condition")
                    .and_then(Yaml::as_str)
                    .map(|c| resolver.conditions.get(c).copied().unwrap_or(false))
                    .unwrap_or(true);
                if wanted {
                    let name = resolver.resource_name(&id).unwrap_or(id.clone());
                    let value = secret_value(&resolver, &id, props, &generated)?;
                    stack.secrets.push(SecretDef { name, value });
                }
            }
            "AWS::Serverless::Function" => {
                let mut env = BTreeMap::new();
                for vars in [
                    globals_env,
                    prop("Environment").and_then(|e| e.get("Variables")),
                ]
                .into_iter()
                .flatten()
                {
                    if let Some(map) = vars.as_mapping() {
                        for (k, v) in map {
                            env.insert(yaml_key(k), resolver.resolve_str(v)?);
                        }
                    }
                }
                let binary = resource
                    .get("Metadata")
                    .and_then(|m| m.get("BuildProperties"))
                    .and_then(|b| b.get("Binary"))
                    .and_then(Yaml::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| id.trim_end_matches("Function").to_string());
                let mut http_routes = Vec::new();
                if let Some(events) = prop("Events").and_then(Yaml::as_mapping) {
                    for (_, event) in events {
                        if event.get("Type").and_then(Yaml::as_str) == Some("HttpApi") {
                            let p = event.get("Properties");
                            let method = p
                                .and_then(|p| p.get("Method"))
                                .and_then(Yaml::as_str)
                                .unwrap_or("ANY")
                                .to_uppercase();
                            let route = p
                                .and_then(|p| p.get("Path"))
                                .and_then(Yaml::as_str)
                                .unwrap_or("/{proxy+}")
                                .to_string();
                            http_routes.push((method, route));
                        }
                    }
                }
                let name = resolver.resource_name(&id).unwrap_or(id.clone());
                let target = ScheduleTarget::Function(name.clone());
                let policies = match prop("Policies").map(|p| resolver.resolve(p)).transpose()? {
                    Some(Json::Array(policies)) => policies,
                    Some(one) => vec![one],
                    None => vec![],
                };
                stack.function_policies.insert(name.clone(), policies);
                stack.functions.push(FunctionDef {
                    schedules: schedules(&resolver, &id, prop("Events"), &target)?,
                    logical_id: name,
                    binary,
                    env,
                    timeout_secs: prop("Timeout")
                        .and_then(Yaml::as_u64)
                        .or(global("Timeout"))
                        .unwrap_or(3),
                    memory_mb: prop("MemorySize")
                        .and_then(Yaml::as_u64)
                        .or(global("MemorySize"))
                        .unwrap_or(128),
                    http_routes,
                });
            }
            "AWS::DynamoDB::Table" => {
                let pairs = |list: Option<&Yaml>, a: &str, b: &str| -> Vec<(String, String)> {
                    list.and_then(Yaml::as_sequence)
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|i| {
                                    Some((
                                        i.get(a)?.as_str()?.to_string(),
                                        i.get(b)?.as_str()?.to_string(),
                                    ))
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let ttl = prop("TimeToLiveSpecification")
                    .filter(|t| t.get("Enabled").and_then(Yaml::as_bool).unwrap_or(false))
                    .and_then(|t| t.get("AttributeName"))
                    .and_then(Yaml::as_str)
                    .map(str::to_string);
                let mut global_secondary_indexes = Vec::new();
                for index in prop("GlobalSecondaryIndexes")
                    .and_then(Yaml::as_sequence)
                    .into_iter()
                    .flatten()
                {
                    let name = index
                        .get("IndexName")
                        .map(|n| resolver.resolve_str(n))
                        .transpose()?
                        .ok_or_else(|| {
                            format!("{id}: a global secondary index has no IndexName")
                        })?;
                    let projection = index.get("Projection");
                    global_secondary_indexes.push(IndexDef {
                        key_schema: pairs(index.get("KeySchema"), "AttributeName", "KeyType"),
                        projection_type: projection
                            .and_then(|p| p.get("ProjectionType"))
                            .and_then(Yaml::as_str)
                            .map(str::to_string),
                        non_key_attributes: projection
                            .and_then(|p| p.get("NonKeyAttributes"))
                            .and_then(Yaml::as_sequence)
                            .into_iter()
                            .flatten()
                            .filter_map(|a| Some(a.as_str()?.to_string()))
                            .collect(),
                        name,
                    });
                }
                stack.tables.push(TableDef {
                    name: resolver.resource_name(&id).unwrap_or(id.clone()),
                    key_schema: pairs(prop("KeySchema"), "AttributeName", "KeyType"),
                    attributes: pairs(
                        prop("AttributeDefinitions"),
                        "AttributeName",
                        "AttributeType",
                    ),
                    ttl_attribute: ttl,
                    global_secondary_indexes,
                });
            }
            "AWS::Serverless::SimpleTable" => stack.tables.push(TableDef {
                name: resolver.resource_name(&id).unwrap_or(id.clone()),
                key_schema: vec![("id".into(), "HASH".into())],
                attributes: vec![("id".into(), "S".into())],
                ttl_attribute: None,
                global_secondary_indexes: vec![],
            }),
            "AWS::Serverless::StateMachine" => {
                let name = resolver.resource_name(&id).unwrap_or(id.clone());
                let mut text = match (prop("DefinitionUri"), prop("Definition")) {
                    (Some(uri), _) => {
                        let file = base_dir.join(
                            uri.as_str()
                                .ok_or("DefinitionUri must be a local file path")?,
                        );
                        std::fs::read_to_string(&file)
                            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
                    }
                    (None, Some(inline)) => resolver.resolve(inline)?.to_string(),
                    (None, None) => return Err(format!("{id} has no Definition or DefinitionUri")),
                };
                if let Some(subs) = prop("DefinitionSubstitutions").and_then(Yaml::as_mapping) {
                    for (k, v) in subs {
                        text = text
                            .replace(&format!("${{{}}}", yaml_key(k)), &resolver.resolve_str(v)?);
                    }
                }
                let definition: Json = serde_json::from_str(&text).map_err(|e| {
                    format!("{id}: the definition is not JSON after substitutions: {e}")
                })?;
                let target = ScheduleTarget::StateMachine(name.clone());
                let schedules = schedules(&resolver, &id, prop("Events"), &target)?;
                stack.state_machines.push(StateMachineDef {
                    logical_id: id.clone(),
                    name,
                    definition,
                    schedules,
                });
            }
            // What only AWS runs: log groups (their retention), alarms, X-Ray, throttling and
            // reserved concurrency live in properties and resources the local stack does not
            // need; functions log to the console and run without those limits.
            _ => {}
        }
    }
    Ok(stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `template` from a fresh directory that also holds the state machine `sm/flow.asl.json`.
    fn load_template(template: &str) -> Result<Stack, String> {
        let dir = std::env::temp_dir().join(format!("hitl-template-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("sm")).unwrap();
        std::fs::write(dir.join("sm/flow.asl.json"), r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${FnArn}","TimeoutSeconds":${Timeout},"End":true}}}"#).unwrap();
        std::fs::write(dir.join("template.yaml"), template).unwrap();
        load(
            &dir.join("template.yaml"),
            "http://127.0.0.1:3000",
            &BTreeMap::new(),
            |_| "generated-secret".into(),
        )
    }

    fn fixture() -> Stack {
        load_template(
            r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Secret: {Type: String, NoEcho: true}
  KeyId: {Type: String, Default: k1}
  Timeout: {Type: Number, Default: 30}
  ScheduleState: {Type: String, Default: DISABLED}
  SweepState: {Type: String, Default: ENABLED}
Globals:
  Function:
    Timeout: 7
    Environment:
      Variables:
        GLOBAL: yes
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  Approvals:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: approvalId, KeyType: HASH}]
      AttributeDefinitions:
        - {AttributeName: approvalId, AttributeType: S}
        - {AttributeName: openMessage, AttributeType: S}
        - {AttributeName: expiresAt, AttributeType: N}
      GlobalSecondaryIndexes:
        - IndexName: OpenMessages
          KeySchema:
            - {AttributeName: openMessage, KeyType: HASH}
            - {AttributeName: expiresAt, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
        - IndexName: !Sub "${KeyId}-ByExpiry"
          KeySchema: [{AttributeName: expiresAt, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [status, channel]}
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: my-fn}}
    Properties:
      Environment:
        Variables:
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
          KEYS: !Sub "${KeyId}:${Secret}"
          URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
          JOINED: !Join [",", [a, !Ref KeyId]]
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/things/{id}", Method: get}}
  SweeperFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: sweeper}}
    Properties:
      CodeUri: .
      Handler: bootstrap
      Events:
        Sweep:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            State: !Ref SweepState
        Nightly:
          Type: Schedule
          Properties: {Schedule: "cron(0 2 * * ? *)", Enabled: false, Input: '{"dryRun":true}'}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: sm/flow.asl.json
      DefinitionSubstitutions:
        FnArn: !GetAtt Fn.Arn
        Timeout: !Ref Timeout
      Events:
        Weekly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: "rate(1 day)", State: !Ref ScheduleState, Input: '{"a":1}'}
"#,
        )
        .unwrap()
    }

    #[test]
    fn functions_get_resolved_environment_and_routes() {
        let stack = fixture();
        let f = &stack.functions[0];
        assert_eq!(f.binary, "my-fn");
        assert_eq!(f.timeout_secs, 7);
        assert_eq!(f.env["GLOBAL"], "yes");
        assert_eq!(f.env["TABLE"], "Table");
        assert_eq!(
            f.env["TABLE_ARN"],
            "arn:aws:dynamodb:us-east-1:123456789012:table/Table"
        );
        assert_eq!(f.env["KEYS"], "k1:generated-secret");
        assert_eq!(f.env["URL"], "http://127.0.0.1:3000");
        assert_eq!(f.env["JOINED"], "a,k1");
        assert_eq!(
            f.http_routes,
            vec![("GET".to_string(), "/things/{id}".to_string())]
        );
    }

    #[test]
    fn state_machines_get_substitutions_and_schedules() {
        let stack = fixture();
        let sm = &stack.state_machines[0];
        assert_eq!(
            sm.definition["States"]["A"]["Resource"],
            "arn:aws:lambda:us-east-1:123456789012:function:Fn"
        );
        assert_eq!(sm.definition["States"]["A"]["TimeoutSeconds"], 30);
        assert_eq!(sm.schedules[0].name, "Flow.Weekly");
        assert_eq!(
            sm.schedules[0].target,
            ScheduleTarget::StateMachine("Flow".into())
        );
        assert!(!sm.schedules[0].enabled);
        assert_eq!(sm.schedules[0].input, r#"{"a":1}"#);
        assert_eq!(stack.tables[0].ttl_attribute.as_deref(), Some("ttl"));
    }

    #[test]
    fn tables_get_global_secondary_indexes() {
        let stack = fixture();
        let approvals = stack.tables.iter().find(|t| t.name == "Approvals").unwrap();
        assert_eq!(
            approvals.attributes[2],
            ("expiresAt".to_string(), "N".to_string())
        );
        assert_eq!(
            approvals.global_secondary_indexes,
            vec![
                IndexDef {
                    name: "OpenMessages".into(),
                    key_schema: vec![
                        ("openMessage".into(), "HASH".into()),
                        ("expiresAt".into(), "RANGE".into()),
                    ],
                    projection_type: Some("KEYS_ONLY".into()),
                    non_key_attributes: vec![],
                },
                IndexDef {
                    name: "k1-ByExpiry".into(),
                    key_schema: vec![("expiresAt".into(), "HASH".into())],
                    projection_type: Some("INCLUDE".into()),
                    non_key_attributes: vec!["status".into(), "channel".into()],
                },
            ]
        );
        assert!(stack.tables[0].global_secondary_indexes.is_empty());
    }

    #[test]
    fn functions_get_schedules() {
        let stack = fixture();
        let sweeper = stack
            .functions
            .iter()
            .find(|f| f.logical_id == "SweeperFunction")
            .unwrap();
        assert_eq!(sweeper.binary, "sweeper");
        let (sweep, nightly) = (&sweeper.schedules[0], &sweeper.schedules[1]);
        assert_eq!(sweep.name, "SweeperFunction.Sweep");
        assert_eq!(
            sweep.target,
            ScheduleTarget::Function("SweeperFunction".into())
        );
        assert_eq!(sweep.expression, "rate(5 minutes)");
        assert!(sweep.enabled);
        assert_eq!(sweep.input, "{}");
        assert_eq!(nightly.name, "SweeperFunction.Nightly");
        assert_eq!(nightly.expression, "cron(0 2 * * ? *)");
        assert!(!nightly.enabled);
        assert_eq!(nightly.input, r#"{"dryRun":true}"#);
        // Every schedule of the stack, state machines' included.
        let names: Vec<String> = stack.schedules().into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "SweeperFunction.Sweep",
                "SweeperFunction.Nightly",
                "Flow.Weekly"
            ]
        );
    }

    #[test]
    fn function_schedules_need_json_input() {
        let error = load_template(
            r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Tick: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 hour), Input: not json}}
"#,
        )
        .unwrap_err();
        assert!(error.starts_with("Fn.Tick: Input is not JSON"), "{error}");
    }

    /// What cfn-lint's WS1004 cannot see (the template suppresses it on each function): every
    /// function logs to a group of its own that has a retention, and has reserved concurrency.
    #[test]
    fn every_function_of_the_real_template_logs_to_a_group_with_retention() {
        // HITL_TEMPLATE: another template to check (e.g. a changed copy, to see this test fail).
        let root = std::env::var_os("HITL_TEMPLATE").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml"),
            PathBuf::from,
        );
        let doc: Yaml = serde_yaml::from_str(&std::fs::read_to_string(root).unwrap()).unwrap();
        let resources = doc["Resources"].as_mapping().unwrap();
        let reference = |v: &Yaml| match v {
            Yaml::Tagged(t) if t.tag == "!Ref" => t.value.as_str().map(str::to_string),
            _ => None,
        };
        let mut groups = std::collections::BTreeSet::new();
        for (id, resource) in resources {
            if resource["Type"] != "AWS::Serverless::Function" {
                continue;
            }
            let props = &resource["Properties"];
            let group = reference(&props["LoggingConfig"]["LogGroup"])
                .unwrap_or_else(|| panic!("{id:?} has no LoggingConfig.LogGroup: !Ref <group>"));
            let group_resource = &doc["Resources"][group.as_str()];
            assert_eq!(group_resource["Type"], "AWS::Logs::LogGroup", "{group}");
            assert!(
                reference(&group_resource["Properties"]["RetentionInDays"]).as_deref()
                    == Some("LogRetentionDays"),
                "{group} keeps logs for LogRetentionDays"
            );
            assert!(groups.insert(group.clone()), "{group} is shared");
            assert!(
                !props["ReservedConcurrentExecutions"].is_null(),
                "{id:?} has no ReservedConcurrentExecutions"
            );
        }
        assert_eq!(groups.len(), 15);
    }

    #[test]
    fn the_real_template_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let stack = load(&root, "http://127.0.0.1:3000", &BTreeMap::new(), |_| {
            "x".repeat(40)
        })
        .unwrap();
        let create = stack
            .functions
            .iter()
            .find(|f| f.logical_id == "CreateApprovalLinksFunction")
            .unwrap();
        assert_eq!(create.env["DECISION_BASE_URL"], "http://127.0.0.1:3000");
        // Functions hold the ids of their secrets, never the values.
        assert_eq!(
            create.env["LINK_SIGNING_KEYS_SECRET_ID"],
            "hitl-local/link-signing-keys"
        );
        let ring = stack
            .secrets
            .iter()
            .find(|s| s.name == "hitl-local/link-signing-keys")
            .unwrap();
        let ring: serde_json::Value = serde_json::from_str(&ring.value).unwrap();
        assert_eq!(ring["currentKeyId"], "k1");
        assert_eq!(ring["currentKey"], "x".repeat(40));
        for f in &stack.functions {
            for (name, value) in &f.env {
                assert!(!value.contains(&"x".repeat(40)), "{}: {name}", f.logical_id);
            }
        }
        assert_eq!(stack.state_machines.len(), 3);
        // Every function the template declares is a binary of this workspace.
        assert_eq!(stack.functions.len(), 15);
        let api = stack
            .functions
            .iter()
            .find(|f| f.logical_id == "DecisionApiFunction")
            .unwrap();
        assert!(api
            .http_routes
            .contains(&("POST".to_string(), "/slack/interactions".to_string())));
    }
}
