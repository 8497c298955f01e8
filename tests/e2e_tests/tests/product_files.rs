//! What a team depending on the product reads must hold: the template keeps the audit trail
//! and the secrets, exports every Output under a predictable name and describes the product for
//! the Serverless Application Repository; the version is one (Cargo, template, CHANGELOG, each
//! function's first log line); the README's table of contents and its links to other files are
//! true. No stack is started.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sam_template::yaml::Value;
use sam_template::Template;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn template() -> Template {
    Template::read(&root().join("template.yaml")).expect("template.yaml")
}

fn resources_of_type(template: &Template, kind: &str) -> Vec<(String, Value)> {
    let resources = template.resources_of_type(kind);
    resources
        .map(|r| (r.logical_id.to_string(), r.value.clone()))
        .collect()
}

#[test]
fn the_table_and_every_secret_outlive_the_stack() {
    let template = template();
    let mut kept = resources_of_type(&template, "AWS::DynamoDB::Table");
    assert_eq!(kept.len(), 1, "one table");
    assert!(
        kept[0].1["Properties"].get("TableName").is_none(),
        "a named table would block a redeploy while the retained one exists"
    );
    let secrets = resources_of_type(&template, "AWS::SecretsManager::Secret");
    assert!(secrets.len() >= 8, "{} secrets", secrets.len());
    kept.extend(secrets);
    for (id, resource) in kept {
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert_eq!(
                resource[policy].as_str(),
                Some("Retain"),
                "{id} has no {policy}: Retain"
            );
        }
    }
}

#[test]
fn every_output_is_exported_as_stack_dash_output() {
    let template = template();
    let outputs = template.outputs();
    assert!(outputs.len() >= 20, "{} outputs", outputs.len());
    for (name, output) in outputs {
        let export = sam_template::yaml::to_string(&output["Export"]["Name"]).unwrap();
        assert_eq!(
            export.trim(),
            format!("!Sub ${{AWS::StackName}}-{name}"),
            "Output {name}'s export"
        );
    }
}

/// The newest `## [x.y.z]` heading of the CHANGELOG.
fn changelog_version() -> String {
    let changelog = read("CHANGELOG.md");
    let line = changelog
        .lines()
        .find(|l| l.starts_with("## ["))
        .expect("a release heading");
    line["## [".len()..line.find(']').unwrap()].to_string()
}

#[test]
fn one_version_and_license_everywhere() {
    let version = env!("CARGO_PKG_VERSION");
    let template = template();
    let app = &template.document()["Metadata"]["AWS::ServerlessRepo::Application"];
    assert_eq!(app["SemanticVersion"].as_str(), Some(version), "template");
    assert_eq!(changelog_version(), version, "CHANGELOG.md");
    assert_eq!(
        app["SpdxLicenseId"].as_str(),
        Some(env!("CARGO_PKG_LICENSE"))
    );
    assert!(read("LICENSE").starts_with("MIT License"));
    for file in ["LicenseUrl", "ReadmeUrl"] {
        let path = app[file].as_str().expect(file);
        assert!(root().join(path).is_file(), "{file} {path}");
    }
    assert!(read("CHANGELOG.md").contains("### Upgrade notes (from "));
}

/// The first line a function prints, started without a Runtime API (it stops there).
fn first_line_of(binary: &str) -> String {
    let path = root().join("target/debug").join(binary);
    let mut child = Command::new(&path)
        .env_clear()
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (make build first)", path.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    line
}

#[test]
fn every_function_says_its_version_first() {
    // The functions as the build and the local stack read them from the template.
    let binaries = template().binaries().unwrap();
    assert!(binaries.len() >= 15, "{binaries:?}");
    for binary in &binaries {
        let line = first_line_of(binary);
        let json: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{binary}: {e}: {line}"));
        assert_eq!(
            json["fields"]["message"], "hitl starting",
            "{binary}: {line}"
        );
        assert_eq!(
            json["fields"]["version"],
            env!("CARGO_PKG_VERSION"),
            "{binary}"
        );
    }
}

/// `## ` headings of the README, in order, as GitHub makes their anchors.
fn readme_sections(readme: &str) -> Vec<(String, String)> {
    let mut in_code = false;
    let mut sections = vec![];
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if let Some(title) = line.strip_prefix("## ").filter(|_| !in_code) {
            sections.push((title.to_string(), anchor(title)));
        }
    }
    sections
}

fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn the_readme_table_of_contents_lists_every_section_in_order() {
    let readme = read("README.md");
    let toc: Vec<String> = readme
        .split("\n## Contents\n")
        .nth(1)
        .expect("a ## Contents section")
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("- ["))
        .map(|l| l[l.find("](#").unwrap() + 3..l.len() - 1].to_string())
        .collect();
    let sections: Vec<String> = readme_sections(&readme)
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| a != "contents")
        .collect();
    assert_eq!(toc, sections);
}

#[test]
fn every_file_the_documents_link_to_exists() {
    let mut documents = vec![PathBuf::from("README.md"), PathBuf::from("CHANGELOG.md")];
    for dir in ["docs", "examples/nested-stack"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                documents.push(path.strip_prefix(root()).unwrap_or(&path).to_path_buf());
            }
        }
    }
    for document in documents {
        let text = std::fs::read_to_string(root().join(&document)).unwrap();
        let dir = document.parent().unwrap_or(Path::new(""));
        for target in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap();
            assert!(
                root().join(dir).join(file).exists(),
                "{} links to {target}, which does not exist",
                document.display()
            );
        }
    }
}

/// Execution data (each state's input and output) holds task tokens and the signed approve and
/// reject links, bearer credentials, and personal data: no state machine logs it, whatever
/// the parameters, and no parameter can turn it on.
#[test]
fn no_state_machine_logs_its_execution_data() {
    let template = template();
    let mut machines = 0;
    for machine in template.resources_of_type("AWS::Serverless::StateMachine") {
        let (id, resource) = (machine.logical_id, machine.value);
        machines += 1;
        let logging = &resource["Properties"]["Logging"];
        assert_eq!(
            logging["IncludeExecutionData"],
            Value::Bool(false),
            "{id:?}: IncludeExecutionData must be the literal false"
        );
    }
    assert_eq!(machines, 3);
    assert!(!read("template.yaml").contains("LogExecutionData"));
}
