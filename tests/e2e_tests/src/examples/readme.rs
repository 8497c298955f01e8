//! The check that every ASL block of the README is one of the example files.
//!
//! A README ```json block is ASL when its text holds `"Type"`, `"StartAt"` or `"States"` (the
//! keys of a state machine or a state; the other JSON blocks, a decision output, a key ring or
//! an IAM policy, have none). Such a block must parse, as it is (a whole state machine)
//! or wrapped in braces (states), and the last non-blank line before it must link the example
//! file it comes from: the whole definition equals the file, or each state equals the file's
//! state of that name (as JSON values, so layout may differ). Every example file must be named
//! in the README, and each of its waiting Tasks must catch its expiry (`expiry_problems`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::example;
use crate::workspace_root;

/// Every `.asl.json` file under `dir`, sorted.
pub fn asl_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with(".asl.json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
/// Every state of a definition by name, nested ones (Map, Parallel) included.
pub fn all_states(definition: &Value) -> Map<String, Value> {
    let mut found = Map::new();
    let Some(states) = definition["States"].as_object() else {
        return found;
    };
    for (name, state) in states {
        found.insert(name.clone(), state.clone());
        for nested in ["Iterator", "ItemProcessor"] {
            found.extend(all_states(&state[nested]));
        }
        for branch in state["Branches"].as_array().into_iter().flatten() {
            found.extend(all_states(branch));
        }
    }
    found
}

/// the last non-blank line before it.
pub struct Block {
    pub line: usize,
    pub text: String,
    pub link: Option<String>,
}

pub fn json_blocks(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "```json" {
            i += 1;
            continue;
        }
        let before = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        let link = before.and_then(|l| linked_asl(l));
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim() == "```")
            .unwrap_or_else(|| panic!("README line {}: unclosed ```json", i + 1));
        blocks.push(Block {
            line: i + 1,
            text: lines[i + 1..end].join("\n"),
            link,
        });
        i = end + 1;
    }
    blocks
}

/// The last `](….asl.json)` target of a Markdown line.
fn linked_asl(line: &str) -> Option<String> {
    line.match_indices("](")
        .filter_map(|(at, _)| {
            let target = &line[at + 2..];
            let target = &target[..target.find(')')?];
            target.ends_with(".asl.json").then(|| target.to_string())
        })
        .last()
}

pub fn is_asl(text: &str) -> bool {
    ["\"Type\"", "\"StartAt\"", "\"States\""]
        .iter()
        .any(|key| text.contains(key))
}

/// What is wrong with one ASL block (`root`: where its link is relative to), if anything.
pub fn block_problem(block: &Block, root: &Path) -> Option<String> {
    let at = format!("README line {}", block.line);
    let Some(link) = &block.link else {
        return Some(format!(
            "{at}: an ASL block without a link to its example file on the line before it"
        ));
    };
    let Ok(text) = std::fs::read_to_string(root.join(link)) else {
        return Some(format!("{at}: links {link}, which does not exist"));
    };
    let file: Value = match serde_json::from_str(&text) {
        Ok(file) => file,
        Err(e) => return Some(format!("{at}: {link} is not JSON: {e}")),
    };
    let shown: Value = match serde_json::from_str(&block.text)
        .or_else(|_| serde_json::from_str(&format!("{{{}}}", block.text)))
    {
        Ok(value) => value,
        Err(e) => return Some(format!("{at}: not JSON, whole or as states: {e}")),
    };
    if shown.get("States").is_some() {
        return (shown != file).then(|| format!("{at}: differs from {link}"));
    }
    let states = all_states(&file);
    let Some(shown) = shown.as_object() else {
        return Some(format!("{at}: neither a state machine nor states"));
    };
    shown
        .iter()
        .find_map(|(name, state)| match states.get(name) {
            None => Some(format!("{at}: {link} has no state {name:?}")),
            Some(kept) if kept != state => {
                Some(format!("{at}: state {name:?} differs from {link}"))
            }
            Some(_) => None,
        })
}

/// The waiting Tasks of a definition that could end it unhandled or outlive their request:
/// each `.waitForTaskToken` Task needs a deadline (`TimeoutSeconds` or `TimeoutSecondsPath`),
/// a Catch naming both `States.Timeout` and `Hitl.Expired`, and an `expiresInSeconds` somewhere in
/// the definition taken from the same value.
pub fn expiry_problems(definition: &Value) -> Vec<String> {
    let states = all_states(definition);
    let text = definition.to_string();
    let mut problems = Vec::new();
    for (name, state) in &states {
        let waits = state["Resource"]
            .as_str()
            .is_some_and(|r| r.ends_with(".waitForTaskToken"));
        if !waits {
            continue;
        }
        // Named, not only under States.ALL: nobody deciding is an end of its own, not a
        // failure to ask.
        let caught = |error: &str| {
            state["Catch"].as_array().into_iter().flatten().any(|c| {
                let errors = c["ErrorEquals"].as_array().cloned().unwrap_or_default();
                errors.iter().any(|e| e == error)
            })
        };
        for error in ["States.Timeout", "Hitl.Expired"] {
            if !caught(error) {
                problems.push(format!("{name}: no Catch for {error}"));
            }
        }
        let tied = match (&state["TimeoutSecondsPath"], &state["TimeoutSeconds"]) {
            (Value::String(path), _) => {
                text.contains(&format!("\"expiresInSeconds.$\":\"{path}\""))
            }
            (_, Value::Number(seconds)) => {
                text.contains(&format!("\"expiresInSeconds\":{seconds}"))
            }
            _ => {
                problems.push(format!("{name}: waits without TimeoutSeconds(Path)"));
                continue;
            }
        };
        if !tied {
            problems.push(format!(
                "{name}: no expiresInSeconds taken from the Task's timeout"
            ));
        }
    }
    problems
}
/// Whatever `readme` and the example files break of the rules above.
pub fn readme_problems(readme: &str) -> Vec<String> {
    let root = workspace_root();
    let mut problems: Vec<String> = json_blocks(readme)
        .iter()
        .filter(|b| is_asl(&b.text))
        .filter_map(|b| block_problem(b, &root))
        .collect();
    for file in asl_files(&root.join("examples")) {
        let relative = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if !readme.contains(&relative) {
            problems.push(format!("{relative} is not named in the README"));
        }
        let expiry = expiry_problems(&example(&relative)).into_iter();
        problems.extend(expiry.map(|p| format!("{relative}: {p}")));
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn readme_text() -> String {
        std::fs::read_to_string(workspace_root().join("README.md")).unwrap()
    }

    /// The check above can fail: each kind of drift the README could have is found.
    #[test]
    fn a_drifted_block_an_unlinked_block_and_a_missing_example_are_found() {
        let readme = readme_text();
        let changed = readme.replacen(
            "\"senderName\": \"FinOps bot\"",
            "\"senderName\": \"Ops\"",
            1,
        );
        assert_ne!(changed, readme, "the Notify block names FinOps bot");
        let found = readme_problems(&changed);
        assert!(
            found.iter().any(|p| p.contains("state \"Notify\" differs")),
            "{found:?}"
        );

        // The link just before a block (the README also links examples/asl/README.md elsewhere).
        let unlinked = readme.replacen(
            "](examples/asl/email-stop-instance",
            "](elsewhere/email-stop-instance",
            1,
        );
        let found = readme_problems(&unlinked);
        assert!(
            found.iter().any(|p| p.contains("does not exist")),
            "{found:?}"
        );

        let unnamed = readme.replace("examples/asl/teams-delete-volume.asl.json", "");
        let found = readme_problems(&unnamed);
        assert!(
            found
                .iter()
                .any(|p| p.contains("teams-delete-volume.asl.json is not named")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.contains("without a link")),
            "{found:?}"
        );

        let stranger = "Text.\n\n```json\n\"Ask\": {\"Type\": \"Task\", \"End\": true}\n```\n";
        let found = readme_problems(&format!("{readme}{stranger}"));
        assert!(
            found.iter().any(|p| p.contains("without a link")),
            "{found:?}"
        );
    }

    #[test]
    fn a_wait_without_its_expiry_caught_or_tied_is_found() {
        let mut definition = example("examples/asl/email-stop-instance.asl.json");
        assert_eq!(expiry_problems(&definition), Vec::<String>::new());
        let wait = &mut definition["States"]["WaitForApproval"];
        wait["Catch"][0]["ErrorEquals"] = json!(["States.Timeout"]);
        wait["TimeoutSecondsPath"] = json!("$.waitSeconds");
        assert_eq!(
            expiry_problems(&definition),
            [
                "WaitForApproval: no Catch for Hitl.Expired",
                "WaitForApproval: no expiresInSeconds taken from the Task's timeout"
            ]
        );
        let wait = &mut definition["States"]["WaitForApproval"];
        wait.as_object_mut().unwrap().remove("TimeoutSecondsPath");
        wait["TimeoutSeconds"] = json!(172800);
        wait["Catch"][0]["ErrorEquals"] = json!(["States.ALL"]);
        assert_eq!(
            expiry_problems(&definition),
            [
                "WaitForApproval: no Catch for States.Timeout",
                "WaitForApproval: no Catch for Hitl.Expired",
                "WaitForApproval: no expiresInSeconds taken from the Task's timeout"
            ]
        );
    }
}
