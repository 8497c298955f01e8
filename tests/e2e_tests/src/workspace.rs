//! The workspace as cargo reads it (`cargo metadata`): its members' folders, whatever globs the
//! root `Cargo.toml` lists them by. For the tests that read the repository's own files.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::workspace_root;

/// `cargo metadata --format-version 1 --no-deps` of the workspace.
pub fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON")
}

/// Every member's folder, relative to the workspace root (`crates/approvals`), sorted.
pub fn members() -> Vec<String> {
    let root = workspace_root().canonicalize().expect("the workspace root");
    let meta = metadata();
    let mut folders: Vec<String> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str().expect("manifest_path"));
            let folder = manifest.parent().expect("a manifest's folder");
            let relative = folder.strip_prefix(&root).expect("a member under the root");
            relative.to_string_lossy().into_owned()
        })
        .collect();
    folders.sort();
    folders
}
