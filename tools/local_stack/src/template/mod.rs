//! `template.yaml` as the local stack deploys it. The reading (YAML, tags, `Globals`,
//! intrinsics) is `sam_template`'s; what is local is here: the account and region, the stack's
//! name, the HttpApi answering on 127.0.0.1, the functions' pools named by their physical
//! names, the alarms read by [`crate::alarms`], and the check that the template declares
//! exactly the functions of `function_catalog` (the binaries the stack runs).

mod alarms;
mod catalog;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use sam_template::{Deployed, DeployedFunction, Deployment, Template};
use serde_json::Value as Json;

pub use catalog::check_catalog;
pub use sam_template::{
    HttpRoute, IndexDef, ScheduleDef, ScheduleTarget, SecretDef, StateMachineDef, TableDef,
    Throttle,
};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
/// `AWS::StackName`: the stack's names (metric namespace, alarm names) say it runs locally.
const STACK_NAME: &str = "hitl-local";

/// A function as the local stack runs it: a pool of its binary's processes.
#[derive(Debug, Clone)]
pub struct FunctionDef {
    /// Its physical name (`FunctionName`, else the logical id): the name its pool answers to.
    pub logical_id: String,
    pub binary: String,
    pub env: BTreeMap<String, String>,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    pub http_routes: Vec<HttpRoute>,
    pub schedules: Vec<ScheduleDef>,
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

/// Reads and resolves the template, and refuses one whose functions are not those of
/// `function_catalog` (the binaries this workspace builds). `overrides` win over parameter
/// defaults; parameters with neither, and generated secrets, get `generated(name)` (e.g. a
/// random signing key).
pub fn load(
    path: &Path,
    api_base: &str,
    overrides: &BTreeMap<String, String>,
    generated: impl Fn(&str) -> String,
) -> anyhow::Result<Stack> {
    let template = Template::read(path)?;
    check_catalog(&template)?;
    deploy(&template, api_base, overrides, &generated)
}

/// The template deployed locally, its API at `api_base`.
fn deploy(
    template: &Template,
    api_base: &str,
    overrides: &BTreeMap<String, String>,
    generated: &dyn Fn(&str) -> String,
) -> anyhow::Result<Stack> {
    let deployed = template.deploy(&Deployment {
        region: REGION,
        account: ACCOUNT,
        stack_name: STACK_NAME,
        parameters: overrides,
        api_endpoint: Some(api_base),
        generated,
    })?;
    let Deployed {
        functions,
        tables,
        state_machines,
        secrets,
        alarms,
        ..
    } = deployed;
    let function_policies = functions
        .iter()
        .map(|f| (f.name.clone(), f.policies.clone()))
        .collect();
    Ok(Stack {
        functions: functions.into_iter().map(function_def).collect(),
        function_policies,
        tables,
        state_machines,
        secrets,
        alarms: alarms.iter().map(alarms::alarm).collect(),
    })
}

fn function_def(f: DeployedFunction) -> FunctionDef {
    FunctionDef {
        logical_id: f.name,
        binary: f.binary,
        env: f.env,
        timeout_secs: f.timeout_secs,
        memory_mb: f.memory_mb,
        http_routes: f.http_routes,
        schedules: f.schedules,
    }
}
