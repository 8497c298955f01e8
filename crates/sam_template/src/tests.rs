use std::collections::BTreeMap;
use std::path::Path;

use crate::yaml::Value as Yaml;
use crate::{Deployment, Error, Template};

/// A template with Globals, every short-form tag we resolve and one each we keep unresolved.
const TEMPLATE: &str = r#"
Parameters:
  Stage: {Type: String, Default: prod}
  Size: {Type: Number, Default: 256}
  Key: {Type: String, NoEcho: true}
Mappings:
  Sizes: {prod: {Memory: "1024"}}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, {Condition: IsProd}]
  Either: !Or [!Condition NotProd, !Equals [a, b]]
Globals:
  Function:
    Timeout: 7
    Handler: bootstrap
    Layers: [global-layer]
    Environment:
      Variables: {STAGE: !Ref Stage, SHARED: global}
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: my-fn}}
    Properties:
      MemorySize: 512
      Layers: [own-layer]
      ReservedConcurrentExecutions: !If [IsProd, 5, !Ref AWS::NoValue]
      Environment:
        Variables:
          SHARED: own
          TABLE_ARN: !GetAtt Table.Arn
          URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/x"
          PARTS: !Join ["-", !Split [",", "a,b"]]
          SECOND: !Select [1, [x, y, z]]
          MEMORY: !FindInMap [Sizes, !Ref Stage, Memory]
          ENCODED: !Base64 hi
          CONDITIONS: !Sub "${Stage}"
          LONG: {"Fn::Sub": "${AWS::StackName}-${Key}"}
          REF_LONG: {Ref: Table}
      Policies:
        - !If [NotProd, {Statement: []}, !Ref AWS::NoValue]
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
Outputs:
  TableArn:
    Value: !GetAtt Table.Arn
    Export: {Name: !Sub "${AWS::StackName}-TableArn"}
  OnlyOutsideProd:
    Condition: NotProd
    Value: x
"#;

fn template(text: &str) -> Template {
    Template::parse(text, Path::new(".")).unwrap()
}

fn deploy(text: &str, api_endpoint: Option<&str>) -> crate::Result<crate::Deployed> {
    let parameters = BTreeMap::new();
    template(text).deploy(&Deployment {
        region: "eu-west-1",
        account: "111122223333",
        stack_name: "hitl",
        parameters: &parameters,
        api_endpoint,
        generated: &|name| format!("generated-{name}"),
    })
}

#[test]
fn short_form_tags_are_kept_as_written() {
    let written = template(TEMPLATE);
    let vars = &written
        .resource("Fn")
        .unwrap()
        .property("Environment")
        .unwrap()["Variables"];
    let Yaml::Tagged(tagged) = &vars["TABLE_ARN"] else {
        panic!("{:?}", vars["TABLE_ARN"])
    };
    assert_eq!(tagged.tag, "!GetAtt");
    assert_eq!(tagged.value.as_str(), Some("Table.Arn"));
    // A tag we cannot resolve locally is still read.
    let kept = template("Resources: {X: {Type: T, Properties: {V: !ImportValue shared-vpc}}}");
    let Yaml::Tagged(import) = kept.resource("X").unwrap().property("V").unwrap() else {
        panic!("not kept")
    };
    assert_eq!(import.tag, "!ImportValue");
}

#[test]
fn globals_are_merged_into_each_function_as_sam_does() {
    let template = template(TEMPLATE);
    let functions = template.functions().unwrap();
    let f = &functions[0];
    assert_eq!((f.logical_id.as_str(), f.binary.as_str()), ("Fn", "my-fn"));
    assert_eq!(f.handler.as_deref(), Some("bootstrap"), "from the Globals");
    assert_eq!(
        (f.timeout_secs, f.memory_mb),
        (7, 512),
        "the function's own wins"
    );
    let layers: Vec<_> = f
        .property("Layers")
        .unwrap()
        .as_sequence()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(layers, ["global-layer", "own-layer"], "lists add up");
    assert_eq!(template.binaries().unwrap(), ["my-fn"]);
}

#[test]
fn intrinsics_are_resolved_for_the_deployment() {
    let deployed = deploy(TEMPLATE, Some("http://127.0.0.1:3000")).unwrap();
    let f = &deployed.functions[0];
    let env = |k: &str| f.env[k].as_str();
    assert_eq!(env("STAGE"), "prod");
    assert_eq!(
        env("SHARED"),
        "own",
        "the function's variable wins over the Globals'"
    );
    assert_eq!(
        env("TABLE_ARN"),
        "arn:aws:dynamodb:eu-west-1:111122223333:table/Table"
    );
    assert_eq!(
        env("URL"),
        "http://127.0.0.1:3000/x",
        "the API answers at the endpoint"
    );
    assert_eq!(env("PARTS"), "a-b");
    assert_eq!(env("SECOND"), "y");
    assert_eq!(env("MEMORY"), "1024");
    assert_eq!(env("ENCODED"), "aGk=");
    assert_eq!(
        env("LONG"),
        "hitl-generated-Key",
        "a parameter without Default"
    );
    assert_eq!(env("REF_LONG"), "Table");
    assert_eq!(f.reserved_concurrency, Some(5));
    assert_eq!(
        f.policies,
        [serde_json::json!({"DynamoDBCrudPolicy": {"TableName": "Table"}})]
    );
    let conditions: Vec<_> = deployed
        .conditions
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        conditions,
        [
            ("Both", true),
            ("Either", false),
            ("IsProd", true),
            ("NotProd", false)
        ]
    );
    assert_eq!(
        deployed.outputs.len(),
        1,
        "the conditional output is left out"
    );
    assert_eq!(
        deployed.outputs[0].export_name.as_deref(),
        Some("hitl-TableArn")
    );
    let aws = deploy(TEMPLATE, None).unwrap();
    let url = &aws.functions[0].env["URL"];
    assert_eq!(url, "https://Api.execute-api.eu-west-1.amazonaws.com/x");
}

#[test]
fn a_function_without_its_binary_is_an_error_naming_it() {
    let text = TEMPLATE.replace("BuildProperties: {Binary: my-fn}", "BuildProperties: {}");
    let error = template(&text).functions().unwrap_err();
    assert!(
        matches!(&error, Error::Field { resource, field, .. }
            if resource == "Fn" && field == "Metadata.BuildProperties.Binary"),
        "{error}"
    );
    assert!(error
        .to_string()
        .starts_with("Fn: Metadata.BuildProperties.Binary: missing"));
}

#[test]
fn an_unresolvable_intrinsic_names_its_resource_and_field() {
    let text = TEMPLATE.replace("!Ref Table}", "!ImportValue shared-table}");
    let error = deploy(&text, None).unwrap_err().to_string();
    assert_eq!(
        error,
        "Fn: Policies: !ImportValue cannot be resolved outside AWS",
    );
    let text = TEMPLATE.replace("TABLE_ARN: !GetAtt Table.Arn", "TABLE_ARN: !Ref Tabel");
    let error = deploy(&text, None).unwrap_err().to_string();
    assert_eq!(
        error,
        "Fn: Environment.Variables.TABLE_ARN: !Ref Tabel: no such parameter or resource"
    );
}

#[test]
fn a_literal_field_given_an_intrinsic_is_an_error() {
    let text = TEMPLATE.replace("MemorySize: 512", "MemorySize: !Ref Size");
    let error = template(&text).functions().unwrap_err().to_string();
    assert_eq!(error, "Fn: MemorySize: not a literal whole number");
}

#[test]
fn a_template_without_resources_is_refused() {
    let error = Template::parse("Parameters: {}", Path::new(".")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "template: Resources: missing or not a mapping"
    );
}

/// `!If [cond, x, !Ref AWS::NoValue]` leaves a list item or a key out when `cond` is false,
/// as CloudFormation does (SAM `Policies`, a policy's statements).
#[test]
fn no_value_removes_the_item_or_key_it_stands_for() {
    let template = template(
        "Parameters: {P: {Type: String, Default: x}}\n\
         Conditions: {On: !Equals [!Ref P, x], Off: !Not [!Condition On]}\n\
         Resources: {}",
    );
    let parameters = BTreeMap::new();
    let deployment = Deployment {
        region: "us-east-1",
        account: "123456789012",
        stack_name: "hitl",
        parameters: &parameters,
        api_endpoint: None,
        generated: &|_| String::new(),
    };
    let resolver = crate::resolver::Resolver::new(&template, &deployment).unwrap();
    let yaml: Yaml = crate::yaml::from_str(
        "list: [a, !If [Off, b, !Ref AWS::NoValue], !If [On, c, !Ref AWS::NoValue]]\n\
         map: {kept: 1, gone: !If [Off, 2, !Ref AWS::NoValue]}\n\
         alone: !Ref AWS::NoValue\n\
         sub: !Sub 'x${AWS::NoValue}y'",
    )
    .unwrap();
    assert_eq!(
        resolver.resolve(&yaml).unwrap(),
        serde_json::json!({"list": ["a", "c"], "map": {"kept": 1}, "sub": "xy"})
    );
    let alone: Yaml = crate::yaml::from_str("!Ref AWS::NoValue").unwrap();
    assert_eq!(resolver.resolve(&alone).unwrap(), serde_json::Value::Null);
}
