//! `docs/schemas/` is what the code generates: a change to an input or output type without
//! regenerating fails here, naming the file and the command.

use std::path::Path;

#[test]
fn every_file_in_docs_schemas_is_what_the_code_generates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(schemas::DIR);
    let documents = schemas::documents();
    let mut stale = Vec::new();
    for (file, generated) in &documents {
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        if &committed != generated {
            stale.push(format!("{}/{file}", schemas::DIR));
        }
    }
    for entry in std::fs::read_dir(&dir).expect("docs/schemas exists") {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !documents.iter().any(|(file, _)| *file == name) {
            stale.push(format!(
                "{}/{name} (no function describes it)",
                schemas::DIR
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "these schemas differ from the code: {stale:#?}\nregenerate them with `{}` and commit {}/",
        schemas::REGENERATE,
        schemas::DIR
    );
}

#[test]
fn every_function_has_an_input_schema_and_the_http_api_and_the_stream_consumer_none() {
    let functions_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
    let mut on_disk: Vec<String> = std::fs::read_dir(functions_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        // The HttpApi's function takes HTTP requests, and the audit publisher the table's
        // DynamoDB stream records: AWS's shapes, not an input our users write.
        .filter(|name| name != "decision_api" && name != "audit_publisher")
        .collect();
    on_disk.sort();
    let mut described: Vec<String> = schemas::functions()
        .iter()
        .map(|f| f.name.to_string())
        .collect();
    described.sort();
    assert_eq!(
        described, on_disk,
        "a function under functions/ has no schema (or one is gone)"
    );
}
