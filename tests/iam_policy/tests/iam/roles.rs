//! Functions with a role of their own (`Role: !GetAtt <role>.Arn`, no `Policies`), which SAM
//! leaves alone: the role's inline policies are read as the function's `Policies`, so the other
//! tests hold them to the code like any function's. Their statements for what Lambda itself
//! does with the role (a stream mapping's reads, the logs, the mapping's failure destination:
//! [`LAMBDA_ACTIONS`]), which SAM would have added to its own role, are no call of the code:
//! [`crate::grants::statements`] leaves them out and `own_roles_grant_lambda_only_...` holds
//! them to the function's own stream, log group and queue.

use std::collections::BTreeSet;

use sam_template::yaml::{Mapping, Value as Yaml};

/// What Lambda does with a function's role beside the function's code.
pub const LAMBDA_ACTIONS: &[&str] = &[
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
];

/// The one managed policy an own role may carry: what SAM gives every function with
/// `Tracing: Active`.
pub const XRAY: &str = "arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess";

/// `!GetAtt <id>.<attribute>` (or `!Ref <id>`, attribute `None`): its parts.
pub fn reference(value: &Yaml) -> Option<(String, Option<String>)> {
    let Yaml::Tagged(tagged) = value else {
        return None;
    };
    let text = tagged.value.as_str()?;
    match tagged.tag.to_string().as_str() {
        "!GetAtt" => text
            .split_once('.')
            .map(|(id, att)| (id.to_string(), Some(att.to_string()))),
        "!Ref" => Some((text.to_string(), None)),
        _ => None,
    }
}

fn functions(document: &Yaml) -> Vec<(String, &Yaml)> {
    let resources = document["Resources"].as_mapping().unwrap();
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(sam_template::FUNCTION))
        .map(|(id, r)| (id.as_str().unwrap().to_string(), &r["Properties"]))
        .collect()
}

/// The functions with a role of their own, and that role's logical id.
pub fn own_roles(document: &Yaml) -> Vec<(String, String)> {
    functions(document)
        .into_iter()
        .filter_map(|(id, props)| {
            let (role, att) = reference(props.get("Role")?)?;
            assert_eq!(att.as_deref(), Some("Arn"), "{id}: Role");
            Some((id, role))
        })
        .collect()
}

/// The template with each own role's inline policies as its function's `Policies` (its managed
/// policies, checked to be [`XRAY`] only, left out).
pub fn inline_own_roles(text: &str) -> String {
    let mut document: Yaml = sam_template::yaml::from_str(text).unwrap();
    for (function, role) in own_roles(&document) {
        let role_resource = &document["Resources"][role.as_str()];
        assert_eq!(role_resource["Type"], "AWS::IAM::Role", "{function}: Role");
        let role_props = &role_resource["Properties"];
        let managed: Vec<String> = role_props["ManagedPolicyArns"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|p| match p {
                Yaml::Tagged(t) => t.value.as_str().unwrap_or_default().to_string(),
                other => other.as_str().unwrap_or_default().to_string(),
            })
            .collect();
        assert!(managed.iter().all(|m| m == XRAY), "{role}: {managed:?}");
        let policies: Vec<Yaml> = role_props["Policies"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{role}: no inline Policies"))
            .iter()
            .map(|p| p["PolicyDocument"].clone())
            .collect();
        let props = document["Resources"][function.as_str()]["Properties"]
            .as_mapping_mut()
            .unwrap();
        assert!(
            props.get("Policies").is_none(),
            "{function}: both a Role and Policies (SAM ignores Policies then)"
        );
        props.remove("Role");
        props.insert("Policies".into(), Yaml::Sequence(policies));
    }
    sam_template::yaml::to_string(&document).unwrap()
}

/// What a function's own role must grant Lambda, as the test's stack resolves it: its stream
/// event's reads (ListStreams takes no resource), its log group, its failure destination.
pub fn lambda_needs(document: &Yaml, function: &str) -> BTreeSet<(String, String)> {
    let at = |(id, att): (String, Option<String>)| {
        format!(
            "arn:aws:local:us-east-1:123456789012:{id}/{}",
            att.unwrap_or_else(|| "Arn".to_string())
        )
    };
    let props = &document["Resources"][function]["Properties"];
    let mut needs = BTreeSet::new();
    let mut add = |actions: &[&str], resource: String| {
        for a in actions {
            needs.insert((a.to_string(), resource.clone()));
        }
    };
    let group = reference(&props["LoggingConfig"]["LogGroup"]).expect("its own log group");
    add(&["logs:CreateLogStream", "logs:PutLogEvents"], at(group));
    let events = props["Events"]
        .as_mapping()
        .cloned()
        .unwrap_or_else(Mapping::new);
    for (_, event) in events.iter().filter(|(_, e)| e["Type"] == "DynamoDB") {
        let stream = reference(&event["Properties"]["Stream"]).expect("a stream");
        let reads = [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ];
        add(&reads, at(stream));
        add(&["dynamodb:ListStreams"], "*".to_string());
        let failures = &event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
        if let Some(queue) = reference(failures) {
            add(&["sqs:SendMessage"], at(queue));
        }
    }
    needs
}
