//! The product's own template, read as the build and the local stack read it.

use std::collections::BTreeMap;
use std::path::Path;

use sam_template::yaml::Value as Yaml;
use sam_template::{Deployment, Template};

fn product_template() -> Template {
    Template::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")).unwrap()
}

#[test]
fn every_function_of_the_template_is_found_with_its_binary() {
    let template = product_template();
    let functions = template.functions().unwrap();
    // Every `AWS::Serverless::Function` the text declares.
    let text = std::fs::read_to_string(template.base_dir().join("template.yaml")).unwrap();
    let declared = text.matches("Type: AWS::Serverless::Function\n").count();
    assert_eq!(functions.len(), declared);
    assert_eq!(functions.len(), 17);
    for f in &functions {
        assert!(f.logical_id.ends_with("Function"), "{}", f.logical_id);
        assert!(
            !f.binary.is_empty() && !f.binary.contains(' '),
            "{}",
            f.logical_id
        );
        assert_eq!(f.handler.as_deref(), Some("bootstrap"), "{}", f.logical_id);
        assert!(
            f.timeout_secs >= 15,
            "{}: the Globals' Timeout at least",
            f.logical_id
        );
    }
    let send_email = functions.iter().find(|f| f.binary == "send-email").unwrap();
    assert_eq!(
        send_email.timeout_secs, 30,
        "its own Timeout over the Globals'"
    );
}

#[test]
fn the_template_deploys_with_its_defaults() {
    let template = product_template();
    let deployed = template
        .deploy(&Deployment {
            region: "us-east-1",
            account: "123456789012",
            stack_name: "hitl",
            parameters: &BTreeMap::new(),
            api_endpoint: None,
            generated: &|_| "generated".into(),
        })
        .unwrap();
    assert_eq!(deployed.functions.len(), 17);
    // All but the RDS example's (DeployExamples is false by default).
    assert_eq!(deployed.outputs.len() + 1, template.outputs().len());
    assert!(deployed.outputs.len() >= 19, "{}", deployed.outputs.len());
    for output in &deployed.outputs {
        let export = format!("hitl-{}", output.name);
        assert_eq!(output.export_name.as_deref(), Some(export.as_str()));
    }
    for f in &deployed.functions {
        assert_eq!(
            f.env["METRICS_NAMESPACE"], "Hitl/hitl",
            "{}: the Globals' variable",
            f.name
        );
    }
}

/// What cfn-lint's WS1004 cannot see (the template suppresses it on each function): every
/// function logs to a group of its own that has a retention, and has reserved concurrency.
#[test]
fn every_function_of_the_real_template_logs_to_a_group_with_retention() {
    // HITL_TEMPLATE: another template to check (e.g. a changed copy, to see this test fail).
    let root = std::env::var_os("HITL_TEMPLATE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml"),
        std::path::PathBuf::from,
    );
    let template = Template::read(&root).unwrap();
    let doc = template.document();
    let reference = |v: &Yaml| match v {
        Yaml::Tagged(t) if t.tag == "!Ref" => t.value.as_str().map(str::to_string),
        _ => None,
    };
    let mut groups = std::collections::BTreeSet::new();
    for function in template.resources_of_type(sam_template::FUNCTION) {
        let (id, resource) = (function.logical_id, function.value);
        let props = &resource["Properties"];
        let group = reference(&props["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id:?} has no LoggingConfig.LogGroup: !Ref <group>"));
        let group_resource = &doc["Resources"][group.as_str()];
        assert_eq!(group_resource["Type"], "AWS::Logs::LogGroup", "{group}");
        assert!(
            reference(&group_resource["Properties"]["RetentionInDays"]).as_deref()
                == Some("LogRetentionDays"),
            "{group} keeps logs for LogRetentionDays"
        );
        assert!(groups.insert(group.clone()), "{group} is shared");
        assert!(
            !props["ReservedConcurrentExecutions"].is_null(),
            "{id:?} has no ReservedConcurrentExecutions"
        );
    }
    assert_eq!(groups.len(), 17);
}
