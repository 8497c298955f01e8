//! The catalog agrees with the template and the workspace: a function added in one place and
//! not the others fails here, naming what is missing.
//!
//! - every `AWS::Serverless::Function` of `template.yaml` has an entry, and every entry a
//!   function, with the same binary (`Metadata.BuildProperties.Binary`) and trigger (its
//!   `Events`);
//! - each function's log group is a `AWS::Logs::LogGroup` of the template (`LoggingConfig`);
//! - the secrets its environment names (`*_SECRET_ID`) are its catalog `secrets`;
//! - every entry's package is a workspace member at `functions/<package>` whose `Cargo.toml`
//!   builds `[[bin]] name = <binary>`, and every folder under `functions/` is an entry.
//!
//! `HITL_TEMPLATE` names another template to check (a changed copy, to see this test fail).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use function_catalog::{Trigger, FUNCTIONS};
use sam_template::yaml::Value as Yaml;
use sam_template::Template;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn template() -> Template {
    let path = std::env::var_os("HITL_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("template.yaml"));
    Template::read(&path).unwrap()
}

/// The logical id a `!Ref` names.
fn referenced(value: Option<&Yaml>) -> Option<String> {
    match value? {
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_string),
        _ => None,
    }
}

#[test]
fn every_function_of_the_template_is_an_entry_with_its_binary_and_trigger() {
    let template = template();
    let functions = template.functions().unwrap();
    for f in &functions {
        let Some(entry) = function_catalog::by_logical_id(&f.logical_id) else {
            panic!(
                "{} is in template.yaml but not in function_catalog::FUNCTIONS",
                f.logical_id
            );
        };
        assert_eq!(
            entry.binary, f.binary,
            "{}: Metadata.BuildProperties.Binary",
            f.logical_id
        );
        let kinds: BTreeSet<&str> = f.events().iter().map(|(_, kind, _)| *kind).collect();
        let trigger = match kinds.iter().copied().collect::<Vec<_>>()[..] {
            [] => Trigger::Task,
            ["HttpApi"] => Trigger::Http,
            ["ScheduleV2"] => Trigger::Schedule,
            ["DynamoDB"] => Trigger::Stream,
            _ => panic!("{}: events of kinds {kinds:?}", f.logical_id),
        };
        assert_eq!(entry.trigger, trigger, "{}: its Events", f.logical_id);
    }
    for entry in FUNCTIONS {
        assert!(
            functions.iter().any(|f| f.logical_id == entry.logical_id),
            "the catalog's {} is no AWS::Serverless::Function of template.yaml",
            entry.logical_id
        );
    }
}

#[test]
fn every_function_logs_to_a_log_group_of_its_own() {
    let template = template();
    let mut groups = BTreeSet::new();
    for entry in FUNCTIONS {
        let Some(f) = template.resource(entry.logical_id) else {
            continue; // the test above names it
        };
        let config = f.property("LoggingConfig");
        let group = referenced(config.and_then(|c| c.get("LogGroup")))
            .unwrap_or_else(|| panic!("{}: no LoggingConfig.LogGroup: !Ref", entry.logical_id));
        let kind = template.resource(&group).map(|r| r.kind);
        assert_eq!(
            kind,
            Some("AWS::Logs::LogGroup"),
            "{}: its log group {group}",
            entry.logical_id
        );
        assert!(groups.insert(group.clone()), "{group} serves two functions");
    }
}

#[test]
fn the_secrets_its_environment_names_are_its_catalog_secrets() {
    let template = template();
    for f in template.functions().unwrap() {
        let Some(entry) = function_catalog::by_logical_id(&f.logical_id) else {
            continue;
        };
        let variables = f.property("Environment").and_then(|e| e.get("Variables"));
        let named: BTreeSet<&str> = variables
            .and_then(Yaml::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(key, _)| key.as_str())
            .filter(|key| key.ends_with("_SECRET_ID"))
            .collect();
        let catalog: BTreeSet<&str> = entry.secrets.iter().copied().collect();
        assert_eq!(
            catalog, named,
            "{}: the catalog's secrets (left) and the template's *_SECRET_ID variables (right)",
            f.logical_id
        );
    }
}

/// The workspace's packages as cargo sees them: (name, folder, binaries).
fn workspace_packages() -> Vec<(String, PathBuf, Vec<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(root().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    packages
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            let bins = p["targets"].as_array().unwrap().iter();
            let bins = bins.filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bin"));
            let bins = bins
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect();
            let name = p["name"].as_str().unwrap().to_string();
            (name, manifest.parent().unwrap().to_path_buf(), bins)
        })
        .collect()
}

#[test]
fn every_entry_is_a_workspace_member_that_builds_its_binary() {
    let packages = workspace_packages();
    let functions = root().join("functions").canonicalize().unwrap();
    for entry in FUNCTIONS {
        let Some((_, folder, bins)) = packages.iter().find(|(name, ..)| name == entry.package)
        else {
            panic!(
                "{} is no package of the workspace (members in Cargo.toml)",
                entry.package
            );
        };
        assert_eq!(
            folder,
            &functions.join(entry.package),
            "{}: its folder",
            entry.package
        );
        assert_eq!(
            bins,
            &[entry.binary],
            "{}: its [[bin]] names",
            entry.package
        );
    }
    for dir in std::fs::read_dir(&functions).unwrap() {
        let name = dir.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            function_catalog::by_package(&name).is_some(),
            "functions/{name} has no entry in function_catalog::FUNCTIONS"
        );
    }
}
