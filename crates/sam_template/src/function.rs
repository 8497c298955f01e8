//! An `AWS::Serverless::Function` as written, with SAM's `Globals` merged into its
//! `Properties`.

use serde_norway::Value as Yaml;

use crate::{globals, key_text, Error, Resource, Result};

/// SAM's defaults when neither the function nor the `Globals` set them.
const DEFAULT_TIMEOUT_SECS: u64 = 3;
const DEFAULT_MEMORY_MB: u64 = 128;

#[derive(Debug, Clone)]
pub struct Function<'a> {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the binary `cargo lambda` builds (BuildMethod
    /// `rust-cargolambda`) and the local stack runs.
    pub binary: String,
    pub handler: Option<String>,
    /// `Timeout`, a literal number of seconds.
    pub timeout_secs: u64,
    /// `MemorySize`, a literal number of MB.
    pub memory_mb: u64,
    /// `Properties` with the `Globals.Function` merged in.
    pub properties: Yaml,
    /// The resource as written.
    pub resource: Resource<'a>,
}

impl<'a> Function<'a> {
    pub(crate) fn new(resource: Resource<'a>, globals: Option<&Yaml>) -> Result<Function<'a>> {
        let id = resource.logical_id;
        let own = resource.value.get("Properties").cloned();
        let own = own.unwrap_or(Yaml::Mapping(Default::default()));
        let properties = match globals {
            Some(globals) => globals::merge(globals, &own),
            None => own,
        };
        let binary = resource
            .value
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"));
        let binary = match binary {
            Some(Yaml::String(binary)) if !binary.is_empty() => binary.clone(),
            Some(_) => return Err(not_a(id, "Metadata.BuildProperties.Binary", "name")),
            None => {
                let problem = "missing: the binary cargo lambda builds for this function";
                return Err(Error::field(id, "Metadata.BuildProperties.Binary", problem));
            }
        };
        let handler = match properties.get("Handler") {
            Some(Yaml::String(handler)) => Some(handler.clone()),
            Some(_) => return Err(not_a(id, "Handler", "string")),
            None => None,
        };
        let number = |key: &str, default: u64| match properties.get(key) {
            None => Ok(default),
            Some(value) => value.as_u64().ok_or_else(|| not_a(id, key, "whole number")),
        };
        Ok(Function {
            logical_id: id.to_string(),
            binary,
            handler,
            timeout_secs: number("Timeout", DEFAULT_TIMEOUT_SECS)?,
            memory_mb: number("MemorySize", DEFAULT_MEMORY_MB)?,
            resource,
            properties,
        })
    }

    /// A field of the merged `Properties`.
    pub fn property(&self, key: &str) -> Option<&Yaml> {
        self.properties.get(key)
    }

    /// The `Events`: (name, `Type`, event) in the template's order.
    pub fn events(&self) -> Vec<(String, &str, &Yaml)> {
        events(self.property("Events"))
    }
}

/// The (name, `Type`, event) of a resource's `Events`.
pub(crate) fn events(events: Option<&Yaml>) -> Vec<(String, &str, &Yaml)> {
    let events = events.and_then(Yaml::as_mapping).into_iter().flatten();
    events
        .map(|(name, event)| {
            let kind = event.get("Type").and_then(Yaml::as_str).unwrap_or_default();
            (key_text(name), kind, event)
        })
        .collect()
}

fn not_a(id: &str, field: &str, what: &str) -> Error {
    Error::field(id, field, format!("not a literal {what}"))
}
