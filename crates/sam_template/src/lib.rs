//! `template.yaml` read once, for everyone: the local stack, the tests and the build
//! (`hitl-template binaries`).
//!
//! Two layers:
//! - [`Template`]: the document as written (CloudFormation's short-form tags kept as
//!   [`yaml::Value::Tagged`]), its resources, parameters, outputs, and each
//!   `AWS::Serverless::Function` with SAM's `Globals` merged in ([`Template::functions`]).
//! - [`Template::deploy`]: the template as a deployment with given parameters creates it
//!   ([`Deployed`]): conditions evaluated, intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!Join`,
//!   `!If`, `!Equals`, `!Not`, `!And`, `!Or`, `!Condition`, `!Select`, `!Split`,
//!   `!FindInMap`, `!Base64`) resolved, and typed views of what our readers use.
//!
//! What a deployment is called (region, account, stack name, where its HttpApi answers) comes
//! from the caller ([`Deployment`]): the local stack passes its own.

mod deployed;
mod error;
mod function;
mod globals;
mod resolver;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

/// The YAML library, for readers that look at fields this crate has no view of.
pub use serde_norway as yaml;
use serde_norway::Value as Yaml;

pub use deployed::{
    Alarm, Deployed, DeployedFunction, HttpRoute, IndexDef, OutputDef, ScheduleDef, ScheduleTarget,
    SecretDef, StateMachineDef, TableDef, Throttle,
};
pub use error::{Error, Result};
pub use function::Function;
pub use resolver::Deployment;

/// The function resource type.
pub const FUNCTION: &str = "AWS::Serverless::Function";

/// A template, as written.
#[derive(Debug, Clone)]
pub struct Template {
    document: Yaml,
    /// Where relative paths (`DefinitionUri`) are read from: the template's folder.
    base_dir: PathBuf,
}

/// One resource of the template, as written.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    pub logical_id: &'a str,
    /// `Type` (`AWS::Serverless::Function`).
    pub kind: &'a str,
    /// The whole resource: `Type`, `Properties`, `Metadata`, `Condition`, `DeletionPolicy`...
    pub value: &'a Yaml,
}

impl<'a> Resource<'a> {
    /// A field of the resource's `Properties`.
    pub fn property(&self, key: &str) -> Option<&'a Yaml> {
        self.value.get("Properties")?.get(key)
    }

    /// The `Condition` the resource is created under.
    pub fn condition(&self) -> Option<&'a str> {
        self.value.get("Condition")?.as_str()
    }
}

/// One of the template's `Parameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// `Default`, as text (a number's digits).
    pub default: Option<String>,
}

impl Template {
    /// Reads the template at `path`.
    pub fn read(path: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(path).map_err(|error| Error::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Template::parse_at(&text, path, base_dir)
    }

    /// A template from its text; `DefinitionUri`s are read relative to `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Template> {
        Template::parse_at(text, &base_dir.join("<template>"), base_dir.to_path_buf())
    }

    fn parse_at(text: &str, path: &Path, base_dir: PathBuf) -> Result<Template> {
        let document: Yaml = serde_norway::from_str(text).map_err(|error| Error::Yaml {
            path: path.to_path_buf(),
            error,
        })?;
        if !document.get("Resources").is_some_and(Yaml::is_mapping) {
            return Err(Error::field(
                "template",
                "Resources",
                "missing or not a mapping",
            ));
        }
        Ok(Template { document, base_dir })
    }

    /// The whole document.
    pub fn document(&self) -> &Yaml {
        &self.document
    }

    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Every resource, in the template's order.
    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        let resources = self.document["Resources"].as_mapping().into_iter();
        resources.flatten().filter_map(|(id, value)| {
            Some(Resource {
                logical_id: id.as_str()?,
                kind: value.get("Type")?.as_str()?,
                value,
            })
        })
    }

    /// The resources of one `Type`, in the template's order.
    pub fn resources_of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = Resource<'a>> {
        self.resources().filter(move |r| r.kind == kind)
    }

    pub fn resource(&self, logical_id: &str) -> Option<Resource<'_>> {
        self.resources().find(|r| r.logical_id == logical_id)
    }

    /// The `Parameters`, in the template's order.
    pub fn parameters(&self) -> Vec<Parameter> {
        let parameters = self.document.get("Parameters").and_then(Yaml::as_mapping);
        let parameters = parameters.into_iter().flatten();
        parameters
            .map(|(name, spec)| Parameter {
                name: key_text(name),
                default: spec.get("Default").map(scalar_text),
            })
            .collect()
    }

    /// `Globals.Function`: what SAM merges into every function's `Properties`.
    pub fn function_globals(&self) -> Option<&Yaml> {
        self.document.get("Globals")?.get("Function")
    }

    /// Every `AWS::Serverless::Function`, with the `Globals` merged in.
    pub fn functions(&self) -> Result<Vec<Function<'_>>> {
        let globals = self.function_globals();
        let functions = self.resources_of_type(FUNCTION);
        functions.map(|r| Function::new(r, globals)).collect()
    }

    /// The binary of every function (`Metadata.BuildProperties.Binary`), in the template's
    /// order: what `sam build` makes and `cargo build` must have built.
    pub fn binaries(&self) -> Result<Vec<String>> {
        Ok(self.functions()?.into_iter().map(|f| f.binary).collect())
    }

    /// The `Outputs` as written: (name, output) in the template's order.
    pub fn outputs(&self) -> Vec<(String, &Yaml)> {
        let outputs = self.document.get("Outputs").and_then(Yaml::as_mapping);
        let outputs = outputs.into_iter().flatten();
        outputs.map(|(name, o)| (key_text(name), o)).collect()
    }
}

/// A mapping key as text.
pub(crate) fn key_text(key: &Yaml) -> String {
    scalar_text(key)
}

/// A scalar as its text: a string as is, a number or boolean as written.
pub(crate) fn scalar_text(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}
