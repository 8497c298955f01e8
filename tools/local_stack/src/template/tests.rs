use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// Deploys `template` (its functions unchecked against the catalog) from a fresh directory that
/// also holds the state machine `sm/flow.asl.json`.
fn load_template(template: &str) -> anyhow::Result<Stack> {
    let dir = std::env::temp_dir().join(format!("hitl-template-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("sm")).unwrap();
    std::fs::write(dir.join("sm/flow.asl.json"), r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${FnArn}","TimeoutSeconds":${Timeout},"End":true}}}"#).unwrap();
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let template = Template::read(&dir.join("template.yaml"))?;
    let generated = |_: &str| "generated-secret".to_string();
    deploy(
        &template,
        "http://127.0.0.1:3000",
        &BTreeMap::new(),
        &generated,
    )
}

/// The stack of `FIXTURE`.
fn fixture() -> Stack {
    load_template(FIXTURE).unwrap()
}

/// One template with every kind of resource and intrinsic the loader reads, as one YAML document
/// read top to bottom like the real template.
const FIXTURE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Secret: {Type: String, NoEcho: true}
  KeyId: {Type: String, Default: k1}
  Timeout: {Type: Number, Default: 30}
  ScheduleState: {Type: String, Default: DISABLED}
  SweepState: {Type: String, Default: ENABLED}
Globals:
  Function:
    Timeout: 7
    Environment:
      Variables:
        GLOBAL: yes
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  Approvals:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: approvalId, KeyType: HASH}]
      AttributeDefinitions:
        - {AttributeName: approvalId, AttributeType: S}
        - {AttributeName: openMessage, AttributeType: S}
        - {AttributeName: expiresAt, AttributeType: N}
      GlobalSecondaryIndexes:
        - IndexName: OpenMessages
          KeySchema:
            - {AttributeName: openMessage, KeyType: HASH}
            - {AttributeName: expiresAt, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
        - IndexName: !Sub "${KeyId}-ByExpiry"
          KeySchema: [{AttributeName: expiresAt, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [status, channel]}
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: my-fn}}
    Properties:
      Environment:
        Variables:
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
          KEYS: !Sub "${KeyId}:${Secret}"
          URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
          JOINED: !Join [",", [a, !Ref KeyId]]
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/things/{id}", Method: get}}
  SweeperFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: sweeper}}
    Properties:
      CodeUri: .
      Handler: bootstrap
      Events:
        Sweep:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            State: !Ref SweepState
        Nightly:
          Type: Schedule
          Properties: {Schedule: "cron(0 2 * * ? *)", Enabled: false, Input: '{"dryRun":true}'}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: sm/flow.asl.json
      DefinitionSubstitutions:
        FnArn: !GetAtt Fn.Arn
        Timeout: !Ref Timeout
      Events:
        Weekly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: "rate(1 day)", State: !Ref ScheduleState, Input: '{"a":1}'}
"#;

#[test]
fn functions_get_resolved_environment_and_routes() {
    let stack = fixture();
    let f = &stack.functions[0];
    assert_eq!(f.binary, "my-fn");
    assert_eq!(f.timeout_secs, 7);
    assert_eq!(f.env["GLOBAL"], "yes");
    assert_eq!(f.env["TABLE"], "Table");
    assert_eq!(
        f.env["TABLE_ARN"],
        "arn:aws:dynamodb:us-east-1:123456789012:table/Table"
    );
    assert_eq!(f.env["KEYS"], "k1:generated-secret");
    assert_eq!(f.env["URL"], "http://127.0.0.1:3000");
    assert_eq!(f.env["JOINED"], "a,k1");
    let routes: Vec<_> = f
        .http_routes
        .iter()
        .map(|r| (&r.method[..], &r.path[..]))
        .collect();
    assert_eq!(routes, [("GET", "/things/{id}")]);
    assert_eq!(f.http_routes[0].throttle, None, "the API sets no limits");
}

#[test]
fn state_machines_get_substitutions_and_schedules() {
    let stack = fixture();
    let sm = &stack.state_machines[0];
    assert_eq!(
        sm.definition["States"]["A"]["Resource"],
        "arn:aws:lambda:us-east-1:123456789012:function:Fn"
    );
    assert_eq!(sm.definition["States"]["A"]["TimeoutSeconds"], 30);
    assert_eq!(sm.schedules[0].name, "Flow.Weekly");
    assert_eq!(
        sm.schedules[0].target,
        ScheduleTarget::StateMachine("Flow".into())
    );
    assert!(!sm.schedules[0].enabled);
    assert_eq!(sm.schedules[0].input, r#"{"a":1}"#);
    assert_eq!(stack.tables[0].ttl_attribute.as_deref(), Some("ttl"));
}

#[test]
fn tables_get_global_secondary_indexes() {
    let stack = fixture();
    let approvals = stack.tables.iter().find(|t| t.name == "Approvals").unwrap();
    assert_eq!(
        approvals.attributes[2],
        ("expiresAt".to_string(), "N".to_string())
    );
    assert_eq!(
        approvals.global_secondary_indexes,
        vec![
            IndexDef {
                name: "OpenMessages".into(),
                key_schema: vec![
                    ("openMessage".into(), "HASH".into()),
                    ("expiresAt".into(), "RANGE".into()),
                ],
                projection_type: Some("KEYS_ONLY".into()),
                non_key_attributes: vec![],
            },
            IndexDef {
                name: "k1-ByExpiry".into(),
                key_schema: vec![("expiresAt".into(), "HASH".into())],
                projection_type: Some("INCLUDE".into()),
                non_key_attributes: vec!["status".into(), "channel".into()],
            },
        ]
    );
    assert!(stack.tables[0].global_secondary_indexes.is_empty());
}

#[test]
fn functions_get_schedules() {
    let stack = fixture();
    let sweeper = stack
        .functions
        .iter()
        .find(|f| f.logical_id == "SweeperFunction")
        .unwrap();
    assert_eq!(sweeper.binary, "sweeper");
    let (sweep, nightly) = (&sweeper.schedules[0], &sweeper.schedules[1]);
    assert_eq!(sweep.name, "SweeperFunction.Sweep");
    assert_eq!(
        sweep.target,
        ScheduleTarget::Function("SweeperFunction".into())
    );
    assert_eq!(sweep.expression, "rate(5 minutes)");
    assert!(sweep.enabled);
    assert_eq!(sweep.input, "{}");
    assert_eq!(nightly.name, "SweeperFunction.Nightly");
    assert_eq!(nightly.expression, "cron(0 2 * * ? *)");
    assert!(!nightly.enabled);
    assert_eq!(nightly.input, r#"{"dryRun":true}"#);
    // Every schedule of the stack, state machines' included.
    let names: Vec<String> = stack.schedules().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "SweeperFunction.Sweep",
            "SweeperFunction.Nightly",
            "Flow.Weekly"
        ]
    );
}

#[test]
fn function_schedules_need_json_input() {
    let error = load_template(
        r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fn}}
    Properties:
      Events:
        Tick: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 hour), Input: not json}}
"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("Fn: Events.Tick.Properties.Input: not JSON"),
        "{error}"
    );
}

#[test]
fn the_real_template_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let stack = load(&root, "http://127.0.0.1:3000", &BTreeMap::new(), |_| {
        "x".repeat(40)
    })
    .unwrap();
    let create = stack
        .functions
        .iter()
        .find(|f| f.logical_id == "CreateApprovalLinksFunction")
        .unwrap();
    assert_eq!(create.env["DECISION_BASE_URL"], "http://127.0.0.1:3000");
    // Functions hold the ids of their secrets, never the values.
    assert_eq!(
        create.env["LINK_SIGNING_KEYS_SECRET_ID"],
        "hitl-local/link-signing-keys"
    );
    let ring = stack
        .secrets
        .iter()
        .find(|s| s.name == "hitl-local/link-signing-keys")
        .unwrap();
    let ring: serde_json::Value = serde_json::from_str(&ring.value).unwrap();
    assert_eq!(ring["currentKeyId"], "k1");
    assert_eq!(ring["currentKey"], "x".repeat(40));
    for f in &stack.functions {
        for (name, value) in &f.env {
            assert!(!value.contains(&"x".repeat(40)), "{}: {name}", f.logical_id);
        }
    }
    // The RDS example only with DeployExamples=true (which `up` passes).
    assert_eq!(stack.state_machines.len(), 2);
    // Every function the template declares is a binary of this workspace.
    assert_eq!(stack.functions.len(), 17);
    let api = stack
        .functions
        .iter()
        .find(|f| f.logical_id == "DecisionApiFunction")
        .unwrap();
    assert!(api
        .http_routes
        .iter()
        .any(|r| (&r.method[..], &r.path[..]) == ("POST", "/slack/interactions")));
    // The local HttpApi throttles each route as the template says (http_api::throttle).
    assert!(api.http_routes.iter().all(|r| r.throttle.is_some()));
    // One bucket per route for all clients: a flood of forged requests (200/s in `hitl-load
    // --scenario flood`) must fit under it beside real clicks, or it locks them out.
    let link_routes = api
        .http_routes
        .iter()
        .filter(|r| r.path.starts_with("/decisions/"));
    for route in link_routes {
        let limit = route.throttle.unwrap();
        assert!(limit.rate >= 400.0 && limit.burst >= 800, "{route:?}");
    }
}

#[test]
fn routes_are_throttled_by_their_settings_else_their_api_s_defaults() {
    let stack = load_template(
        r#"
Parameters:
  LinkRate: {Type: Number, Default: 300}
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings: {ThrottlingBurstLimit: 50, ThrottlingRateLimit: 25}
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fn}}
    Properties:
      Events:
        Own:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /a
            Method: GET
            RouteSettings: {ThrottlingBurstLimit: 600, ThrottlingRateLimit: !Ref LinkRate}
        Half:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /b, Method: POST, RouteSettings: {ThrottlingBurstLimit: 5}}
        Default: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /c, Method: POST}}
        Implicit: {Type: HttpApi, Properties: {Path: /d, Method: POST}}
"#,
    )
    .unwrap();
    let throttles: Vec<_> = stack.functions[0]
        .http_routes
        .iter()
        .map(|r| (r.path.as_str(), r.throttle))
        .collect();
    let t = |burst, rate| Some(Throttle { burst, rate });
    assert_eq!(
        throttles,
        [
            ("/a", t(600, 300.0)),
            ("/b", t(5, 25.0)),
            ("/c", t(50, 25.0)),
            ("/d", None)
        ]
    );
}

#[test]
fn the_examples_are_loaded_only_when_deployed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let rds = |deploy: &str| {
        let overrides = BTreeMap::from([("DeployExamples".to_string(), deploy.to_string())]);
        let stack = load(&root, "http://x", &overrides, |_| "x".repeat(40)).unwrap();
        let machine = stack
            .state_machines
            .iter()
            .any(|m| m.logical_id == "RdsIdleReviewStateMachine");
        let alarm = stack
            .alarms
            .iter()
            .any(|a| a.logical_id == "RdsIdleReviewExecutionsFailedAlarm");
        (machine, alarm)
    };
    assert_eq!(rds("true"), (true, true));
    assert_eq!(rds("false"), (false, false));
}
