//! The README's "Layout of the code" section is the tree: every folder it names exists and is
//! the package it says, and every workspace member is named there (a function by the
//! `functions/<package>/` row, whose packages are the function catalog's). No stack is started.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The section's text, up to the next `## ` heading.
fn layout_section() -> String {
    let readme = read("README.md");
    let start = readme
        .find("\n## Layout of the code\n")
        .expect("README.md has a `## Layout of the code` section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |at| at + 3);
    rest[..end].to_string()
}

/// The folders the section's table names in its first column (`` `crates/approvals/` ``).
fn named_folders(section: &str) -> Vec<String> {
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| line[3..].split('`').next().map(str::to_string))
        .collect()
}

fn package_name(folder: &str) -> String {
    let manifest: toml::Table = toml::from_str(&read(&format!("{folder}/Cargo.toml"))).unwrap();
    manifest["package"]["name"].as_str().unwrap().to_string()
}

#[test]
fn every_folder_the_layout_names_exists_and_carries_its_package_name() {
    let section = layout_section();
    let folders = named_folders(&section);
    assert!(folders.len() >= 10, "the layout table names {folders:?}");
    for folder in &folders {
        if folder.contains('<') {
            continue;
        }
        let folder = folder.trim_end_matches('/');
        assert!(
            root().join(folder).is_dir(),
            "README layout names {folder}, which is not in the tree"
        );
        if root().join(folder).join("Cargo.toml").is_file() {
            let name = folder.rsplit('/').next().unwrap();
            assert_eq!(
                package_name(folder),
                name,
                "{folder}: folder and package differ"
            );
        }
    }
}

#[test]
fn every_workspace_member_is_in_the_layout() {
    let section = layout_section();
    let named: BTreeSet<String> = named_folders(&section)
        .iter()
        .map(|f| f.trim_end_matches('/').to_string())
        .collect();
    assert!(
        named.contains("functions/<package>"),
        "the layout has a `functions/<package>/` row"
    );
    let catalog: BTreeSet<String> = function_catalog::FUNCTIONS
        .iter()
        .map(|f| format!("functions/{}", f.package))
        .collect();
    for member in e2e_tests::workspace::members() {
        let listed = named.contains(&member) || catalog.contains(&member);
        assert!(
            listed,
            "{member} is a workspace member the README layout does not name"
        );
    }
}

#[test]
fn the_layout_says_how_to_add_a_function() {
    let section = layout_section();
    let steps = section.find("### Add a function").map(|at| &section[at..]);
    let steps = steps.expect("the layout section has `### Add a function ...`");
    for step in ["1. ", "2. ", "3. "] {
        assert!(steps.contains(step), "step {step} is missing");
    }
    assert!(!steps.contains("\n4. "), "three steps, not more");
    for place in ["functions/", "crates/function_catalog", "template.yaml"] {
        assert!(steps.contains(place), "the steps name {place}");
    }
}
