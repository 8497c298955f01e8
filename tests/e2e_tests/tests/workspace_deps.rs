//! No crate declares a dependency it does not use: each name under `[dependencies]` or
//! `[dev-dependencies]` of every workspace member appears as a path in that crate's Rust code
//! (`name::…`, `use name`, a derive). An unused one only costs build time and hides what a
//! crate really depends on. No stack is started.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The dependency names declared in the `[dependencies]` and `[dev-dependencies]` tables.
fn declared(manifest: &str) -> Vec<String> {
    let mut table = "";
    let mut names = vec![];
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            table = line;
            continue;
        }
        if table != "[dependencies]" && table != "[dev-dependencies]" {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            let name = name.trim().trim_end_matches(".workspace");
            if !name.is_empty() && !name.starts_with('#') {
                names.push(name.to_string());
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `ident` appears in `code` as a whole word.
fn mentions(code: &str, ident: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(ident).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + ident.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[test]
fn every_declared_dependency_is_used() {
    let mut unused = vec![];
    for member in e2e_tests::workspace::members() {
        let dir = root().join(&member);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let mut files = vec![];
        rust_files(&dir, &mut files);
        let code: String = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        for name in declared(&manifest) {
            if !mentions(&code, &name.replace('-', "_")) {
                unused.push(format!("{member}: {name}"));
            }
        }
    }
    assert!(unused.is_empty(), "declared but never used: {unused:#?}");
}
