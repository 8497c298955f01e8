//! Reading the workspace's source: its files, their functions, what a crate imports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The source files of the crate that builds `binary`.
pub fn crate_sources(binary: &str) -> Vec<PathBuf> {
    let functions = root().join("functions");
    for dir in std::fs::read_dir(&functions).unwrap() {
        let dir = dir.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        if manifest.contains(&format!("name = \"{binary}\"")) {
            // `src/tests/` holds the crate's #[cfg(test)] modules: test doubles, not its calls.
            let tests = dir.join("src/tests");
            return rust_files(&dir.join("src"))
                .into_iter()
                .filter(|path| !path.starts_with(&tests))
                .collect();
        }
    }
    panic!("no crate builds {binary}");
}

pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of `text` without `#[cfg(test)]` modules (tests call what they like).
pub fn without_tests(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap()
}

/// A function's name, as `fn name` starts it.
pub static FN_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bfn\s+([a-z_0-9]+)").unwrap());

/// Every function of `code`: (name, body), a body running to the next function.
pub fn functions_of(code: &str) -> Vec<(String, &str)> {
    let starts: Vec<(usize, String)> = FN_RE
        .captures_iter(code)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_string()))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, (start, name))| {
            let end = starts.get(i + 1).map_or(code.len(), |(s, _)| *s);
            (name.clone(), &code[*start..end])
        })
        .collect()
}

/// `(name, body)` of every function in `files`, tests left out.
pub fn function_bodies(files: &[PathBuf]) -> BTreeMap<String, String> {
    let mut bodies: BTreeMap<String, String> = BTreeMap::new();
    for (name, _, body) in functions_in(files) {
        bodies.entry(name).or_default().push_str(&body);
    }
    bodies
}

/// Every function of `files`: (name, file, body).
pub fn functions_in(files: &[PathBuf]) -> Vec<(String, PathBuf, String)> {
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        for (name, body) in functions_of(without_tests(&text)) {
            found.push((name, path.clone(), body.to_string()));
        }
    }
    found
}

/// The model or channel module each name a crate imports comes from, as `crate/module`
/// (`use channels::teams::{request_action, ..}` gives `channels/teams`,
/// `use approvals::use_cases::slack::request_action` gives `approvals/use_cases/slack`): two
/// modules may have use cases of the same name.
pub fn imported_modules(files: &[PathBuf]) -> BTreeMap<String, String> {
    let use_re =
        Regex::new(r"use (approvals|channels)::((?:[a-z_]+::)*[a-z_]+)::\{?([^;}]*)").unwrap();
    let mut modules = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        for c in use_re.captures_iter(&text) {
            for name in c[3].split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let module = c[2].replace("::", "/");
                modules.insert(name.to_string(), format!("{}/{module}", &c[1]));
            }
        }
    }
    modules
}

/// The production code of `approvals` and `channels` (not their test doubles and contract in
/// `testing/`).
pub fn domain_files() -> Vec<PathBuf> {
    ["crates/approvals/src", "crates/channels/src"]
        .into_iter()
        .flat_map(|dir| rust_files(&root().join(dir)))
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            // Within the workspace: this test itself lives under a `tests` folder.
            let inside = p.strip_prefix(root()).unwrap();
            // `tests.rs` and `*_tests.rs` are #[cfg(test)] modules in files of their own.
            !name.ends_with("tests.rs")
                && !inside
                    .components()
                    .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "testing")
        })
        .collect()
}
