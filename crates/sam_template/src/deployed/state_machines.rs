//! `AWS::Serverless::StateMachine`s: the definition (a file or inline) with its
//! `DefinitionSubstitutions` applied, and its schedules.

use std::path::Path;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::schedules::{schedules, ScheduleDef, ScheduleTarget};
use crate::error::At;
use crate::resolver::Resolver;
use crate::{key_text, Error, Result};

#[derive(Debug, Clone)]
pub struct StateMachineDef {
    pub logical_id: String,
    /// `Name`, else the logical id.
    pub name: String,
    pub definition: Json,
    pub schedules: Vec<ScheduleDef>,
}

/// The state machine `id`; a `DefinitionUri` is read relative to `base_dir`.
pub(super) fn state_machine(
    resolver: &Resolver,
    base_dir: &Path,
    id: &str,
    props: Option<&Yaml>,
) -> Result<StateMachineDef> {
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let name = resolver.resource_name(id).unwrap_or(id.to_string());
    let mut text = match (prop("DefinitionUri"), prop("Definition")) {
        (Some(uri), _) => {
            let uri = uri.as_str();
            let problem = "not a local file path";
            let uri = uri.ok_or_else(|| Error::field(id, "DefinitionUri", problem))?;
            let file = base_dir.join(uri);
            std::fs::read_to_string(&file).map_err(|e| {
                Error::field(
                    id,
                    "DefinitionUri",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?
        }
        (None, Some(inline)) => resolver.resolve(inline).at(id, "Definition")?.to_string(),
        (None, None) => {
            return Err(Error::field(
                id,
                "Definition",
                "no Definition or DefinitionUri",
            ))
        }
    };
    let substitutions = prop("DefinitionSubstitutions").and_then(Yaml::as_mapping);
    for (k, v) in substitutions.into_iter().flatten() {
        let k = key_text(k);
        let value = resolver
            .resolve_str(v)
            .at(id, &format!("DefinitionSubstitutions.{k}"))?;
        text = text.replace(&format!("${{{k}}}"), &value);
    }
    let definition: Json = serde_json::from_str(&text).map_err(|e| {
        Error::field(
            id,
            "DefinitionUri",
            format!("not JSON after substitutions: {e}"),
        )
    })?;
    let target = ScheduleTarget::StateMachine(name.clone());
    let schedules = schedules(resolver, id, prop("Events"), &target)?;
    Ok(StateMachineDef {
        logical_id: id.to_string(),
        name,
        definition,
        schedules,
    })
}
