//! `hitl-template`, as the Makefile runs it.

use std::path::Path;
use std::process::Command;

fn hitl_template(args: &[&str]) -> std::process::Output {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new(env!("CARGO_BIN_EXE_hitl-template"))
        .args(args)
        .current_dir(workspace)
        .output()
        .unwrap()
}

#[test]
fn binaries_prints_every_function_s_binary_one_a_line() {
    let output = hitl_template(&["binaries"]);
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let expected = sam_template::Template::read(&template)
        .unwrap()
        .binaries()
        .unwrap();
    assert_eq!(printed.lines().collect::<Vec<_>>(), expected);
    assert!(printed.lines().any(|b| b == "decision-api"), "{printed}");
}

#[test]
fn an_unreadable_template_fails_with_its_reason() {
    let output = hitl_template(&["--template", "no-such.yaml", "binaries"]);
    assert!(
        !output.status.success(),
        "make must stop, not build nothing"
    );
    assert!(output.stdout.is_empty());
    let said = String::from_utf8(output.stderr).unwrap();
    assert!(
        said.starts_with("hitl-template: cannot read no-such.yaml"),
        "{said}"
    );
}
