//! `AWS::Serverless::StateMachine`s: the definition (a file or inline) with its
//! `DefinitionSubstitutions` applied, and its schedules.

use std::path::Path;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::resolver::{yaml_key, Resolver};
use super::schedules::schedules;
use super::{ScheduleTarget, StateMachineDef};

/// The state machine `id`; a `DefinitionUri` is read relative to `base_dir`.
pub(super) fn state_machine(
    resolver: &Resolver,
    base_dir: &Path,
    id: &str,
    props: Option<&Yaml>,
) -> Result<StateMachineDef, String> {
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let name = resolver.resource_name(id).unwrap_or(id.to_string());
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
            text = text.replace(&format!("${{{}}}", yaml_key(k)), &resolver.resolve_str(v)?);
        }
    }
    let definition: Json = serde_json::from_str(&text)
        .map_err(|e| format!("{id}: the definition is not JSON after substitutions: {e}"))?;
    let target = ScheduleTarget::StateMachine(name.clone());
    let schedules = schedules(resolver, id, prop("Events"), &target)?;
    Ok(StateMachineDef {
        logical_id: id.to_string(),
        name,
        definition,
        schedules,
    })
}
