//! The template as a deployment creates it: what each resource whose condition holds
//! becomes, with every intrinsic resolved.

mod functions;
mod http_routes;
mod schedules;
mod secrets;
mod state_machines;
mod tables;

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

pub use functions::DeployedFunction;
pub use http_routes::{HttpRoute, Throttle};
pub use schedules::{ScheduleDef, ScheduleTarget};
pub use secrets::SecretDef;
pub use state_machines::StateMachineDef;
pub use tables::{IndexDef, TableDef};

use crate::error::At;
use crate::resolver::{Deployment, Resolver};
use crate::{Error, Result, Template};

/// What a deployment of the template creates, in the template's order.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// Every parameter's value: given, else its `Default`, else generated.
    pub parameters: BTreeMap<String, String>,
    pub conditions: BTreeMap<String, bool>,
    pub functions: Vec<DeployedFunction>,
    pub tables: Vec<TableDef>,
    pub state_machines: Vec<StateMachineDef>,
    pub secrets: Vec<SecretDef>,
    pub alarms: Vec<Alarm>,
    pub outputs: Vec<OutputDef>,
}

impl Deployed {
    /// The schedules of every function and state machine.
    pub fn schedules(&self) -> Vec<ScheduleDef> {
        let functions = self.functions.iter().flat_map(|f| &f.schedules);
        let state_machines = self.state_machines.iter().flat_map(|s| &s.schedules);
        functions.chain(state_machines).cloned().collect()
    }
}

/// An `AWS::CloudWatch::Alarm`, its `Properties` resolved.
#[derive(Debug, Clone)]
pub struct Alarm {
    pub logical_id: String,
    pub properties: Json,
}

/// One of the `Outputs` whose condition holds, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDef {
    pub name: String,
    pub value: String,
    /// `Export.Name`.
    pub export_name: Option<String>,
}

impl Template {
    /// The template deployed as `deployment` says.
    pub fn deploy(&self, deployment: &Deployment) -> Result<Deployed> {
        let resolver = Resolver::new(self, deployment)?;
        let mut deployed = Deployed {
            parameters: resolver.parameters.clone(),
            conditions: resolver.conditions.clone(),
            functions: vec![],
            tables: vec![],
            state_machines: vec![],
            secrets: vec![],
            alarms: vec![],
            outputs: outputs(self, &resolver)?,
        };
        for function in self.functions()? {
            if resolver.creates(function.resource.value) {
                deployed
                    .functions
                    .push(functions::function(&resolver, &function)?);
            }
        }
        for resource in self.resources().filter(|r| resolver.creates(r.value)) {
            let id = resource.logical_id;
            let props = resource.value.get("Properties");
            match resource.kind {
                "AWS::SecretsManager::Secret" => deployed
                    .secrets
                    .push(secrets::secret(&resolver, id, props)?),
                "AWS::DynamoDB::Table" => {
                    deployed.tables.push(tables::table(&resolver, id, props)?)
                }
                "AWS::Serverless::SimpleTable" => {
                    deployed.tables.push(tables::simple_table(&resolver, id))
                }
                "AWS::Serverless::StateMachine" => deployed.state_machines.push(
                    state_machines::state_machine(&resolver, self.base_dir(), id, props)?,
                ),
                "AWS::CloudWatch::Alarm" => {
                    let props = props.ok_or_else(|| Error::field(id, "Properties", "missing"))?;
                    let properties = resolver.resolve(props).at(id, "Properties")?;
                    let logical_id = id.to_string();
                    deployed.alarms.push(Alarm {
                        logical_id,
                        properties,
                    });
                }
                _ => {}
            }
        }
        Ok(deployed)
    }
}

fn outputs(template: &Template, resolver: &Resolver) -> Result<Vec<OutputDef>> {
    let mut outputs = Vec::new();
    for (name, output) in template.outputs() {
        if !resolver.creates(output) {
            continue;
        }
        let field = |key: &str| -> Result<Option<String>> {
            let value = path(output, key);
            let value = value.map(|v| resolver.resolve_str(v)).transpose();
            value.at("Outputs", &format!("{name}.{key}"))
        };
        let value = field("Value")?
            .ok_or_else(|| Error::field("Outputs", &format!("{name}.Value"), "missing"))?;
        let export_name = field("Export.Name")?;
        outputs.push(OutputDef {
            name,
            value,
            export_name,
        });
    }
    Ok(outputs)
}

/// The value at a dotted path (`Export.Name`).
fn path<'y>(value: &'y Yaml, dotted: &str) -> Option<&'y Yaml> {
    dotted.split('.').try_fold(value, |v, key| v.get(key))
}
