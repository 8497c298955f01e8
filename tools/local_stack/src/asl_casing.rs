//! Step Functions `aws-sdk:` integrations use the AWS SDK's casing on AWS (`DbInstanceIdentifier`,
//! `DbInstances`), while moto's engine calls boto3 and answers in botocore's casing
//! (`DBInstanceIdentifier`, `DBInstances`). The shipped ASL uses AWS's casing; before
//! provisioning into moto the local stack renames those keys and JSONPath segments.

use serde_json::Value;

/// (AWS SDK spelling, botocore spelling), applied to whole identifiers only.
const RENAMES: &[(&str, &str)] = &[
    ("DbInstanceIdentifier", "DBInstanceIdentifier"),
    ("DbInstanceStatus", "DBInstanceStatus"),
    ("DbInstanceClass", "DBInstanceClass"),
    ("DbInstanceArn", "DBInstanceArn"),
    ("DbInstances", "DBInstances"),
    ("DbInstance", "DBInstance"),
    ("DbClusterIdentifier", "DBClusterIdentifier"),
    ("DbClusters", "DBClusters"),
    ("DbCluster", "DBCluster"),
];

fn rename_identifiers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let renamed = RENAMES
            .iter()
            .find(|(aws, _)| *aws == word.as_str())
            .map(|(_, boto)| *boto);
        out.push_str(renamed.unwrap_or(word));
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Renames keys everywhere and identifiers inside JSONPath strings (`$...`, `$$...`,
/// intrinsic calls). Plain literal values (titles, ids) are left alone.
fn localize(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (rename_identifiers(k), localize(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(localize).collect()),
        Value::String(s) if s.starts_with('$') || s.starts_with("States.") => {
            Value::String(rename_identifiers(s))
        }
        other => other.clone(),
    }
}

pub fn localize_asl(definition: &Value) -> Value {
    localize(definition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sdk_casing_becomes_botocore_casing_in_keys_and_paths_only() {
        let asl = json!({"States": {"Stop": {
            "Parameters": {"DbInstanceIdentifier.$": "$.instance", "Note": "DbInstance stays in literals"},
            "ResultSelector": {"status.$": "$.DbInstance.DbInstanceStatus", "list.$": "$.DbInstances"},
            "ItemSelector": {"id.$": "$$.Map.Item.Value.DbInstanceIdentifier"}}}});
        let local = localize_asl(&asl);
        let stop = &local["States"]["Stop"];
        assert_eq!(stop["Parameters"]["DBInstanceIdentifier.$"], "$.instance");
        assert_eq!(stop["Parameters"]["Note"], "DbInstance stays in literals");
        assert_eq!(
            stop["ResultSelector"]["status.$"],
            "$.DBInstance.DBInstanceStatus"
        );
        assert_eq!(stop["ResultSelector"]["list.$"], "$.DBInstances");
        assert_eq!(
            stop["ItemSelector"]["id.$"],
            "$$.Map.Item.Value.DBInstanceIdentifier"
        );
    }

    #[test]
    fn the_shipped_asl_uses_the_aws_sdk_casing() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut checked = 0;
        let shipped = ["statemachine", "examples/rds-idle-review"]
            .into_iter()
            .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .to_string_lossy()
                    .ends_with(".asl.json")
            });
        for entry in shipped {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for (_, boto) in RENAMES {
                assert!(
                    !text.contains(&format!("\"{boto}")) && !text.contains(&format!(".{boto}")),
                    "botocore casing {boto} in shipped ASL"
                );
            }
            checked += 1;
        }
        assert!(checked >= 2);
        let rds = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/rds-idle-review/rds_idle_review.asl.json"),
        )
        .unwrap();
        assert!(rds.contains("DbInstanceIdentifier") && rds.contains("$.DbInstances"));
    }
}
