//! The workspace's minimum Rust version is one number, and it is true. Only one toolchain is
//! installed where the tests run, so the claim is checked from both ends instead of by building
//! with an older compiler:
//!
//! - every package takes `edition` and `rust-version` from `[workspace.package]`;
//! - the installed `rustc` is at least that version (the build that runs these tests is the
//!   proof that it builds);
//! - no locked dependency (`cargo metadata`, Cargo.lock's resolution) declares a newer
//!   `rust-version` than ours: if one did, an older toolchain than 1.95 could not build us.
//!
//! Clippy's `incompatible_msrv` lint (on by default, `make lint`) adds the third end: no std
//! API newer than `rust-version` in our own code. No stack is started.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `1.94.1` as `(1, 94, 1)`; a missing part is 0 (`1.94` is `1.94.0`, as Cargo reads it).
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.trim().split('.').map(|p| {
        p.parse::<u64>()
            .unwrap_or_else(|_| panic!("not a version: {text}"))
    });
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

/// The `rust-version` of `[workspace.package]` in the root manifest.
fn declared() -> String {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let table = text
        .split("[workspace.package]")
        .nth(1)
        .expect("the root Cargo.toml has no [workspace.package]");
    let table = table.split("\n[").next().unwrap();
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("rust-version"))
        .expect("[workspace.package] declares no rust-version");
    let value = line.split_once('=').unwrap().1.trim().trim_matches('"');
    value.to_string()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_package_takes_edition_and_rust_version_from_the_workspace() {
    let meta = metadata();
    let members = meta["workspace_members"].as_array().unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let ours: Vec<&Value> = packages
        .iter()
        .filter(|p| members.contains(&p["id"]))
        .collect();
    assert_eq!(ours.len(), members.len());
    for package in ours {
        let manifest = package["manifest_path"].as_str().unwrap();
        let text = std::fs::read_to_string(manifest).unwrap();
        for key in ["edition", "rust-version"] {
            assert!(
                text.lines()
                    .any(|l| l.trim() == format!("{key}.workspace = true")),
                "{manifest}: add `{key}.workspace = true` under [package]"
            );
        }
        assert_eq!(package["rust_version"], declared().as_str(), "{manifest}");
    }
}

#[test]
fn the_installed_rustc_is_at_least_the_declared_rust_version() {
    let output = Command::new("rustc").arg("--version").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    // `rustc 1.95.0 (59807616e 2026-04-14)`; a nightly's `1.96.0-nightly` counts as 1.96.0.
    let installed = text
        .split_whitespace()
        .nth(1)
        .unwrap()
        .split('-')
        .next()
        .unwrap();
    assert!(
        version(installed) >= version(&declared()),
        "{text}: older than the workspace's rust-version {}",
        declared()
    );
}

#[test]
fn no_locked_dependency_needs_a_newer_rust_than_ours() {
    let ours = version(&declared());
    let meta = metadata();
    let members = meta["workspace_members"].as_array().unwrap();
    let too_new: Vec<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !members.contains(&p["id"]))
        .filter_map(|p| {
            let needs = p["rust_version"].as_str()?;
            let (name, at) = (p["name"].as_str()?, p["version"].as_str()?);
            (version(needs) > ours).then(|| format!("{name} {at} needs {needs}"))
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "raise [workspace.package] rust-version ({}) or hold these back: {too_new:?}",
        declared()
    );
}

#[test]
fn versions_compare_by_number_not_by_text() {
    assert!(version("1.94.1") > version("1.94"));
    assert!(version("1.100") > version("1.95.0"));
    assert_eq!(version("1.94"), (1, 94, 0));
}
