//! Teams Request Action's own `buttons` on the local stack: each button is an `Action.OpenUrl`
//! in its style, to a signed, scanner-safe link whose signed decision is the button's value; the
//! execution resumes with that value, and nothing else can be decided on the request.

use std::time::{Duration, Instant};

use e2e_tests::*;
use serde_json::{json, Value};

fn buttons() -> Value {
    json!([
        {"label": "Scale down", "value": "approve", "style": "primary"},
        {"label": "Ask me next week", "value": "defer"},
        {"label": "Keep", "value": "reject", "style": "danger"}
    ])
}

/// A state machine as the README shows it: Teams Request Action with `buttons`, then a
/// `Choice` on the decision's value. Returns the execution ARN.
async fn ask_in_teams(payload: Value) -> String {
    let mut payload = payload;
    payload["taskToken.$"] = json!("$$.Task.Token");
    let definition = json!({
        "StartAt": "AskInTeams",
        "States": {
            "AskInTeams": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": function_arn("TeamsRequestActionFunction"), "Payload": payload},
                "TimeoutSeconds": 120,
                "ResultPath": "$.decision",
                "Next": "WhichButton"
            },
            "WhichButton": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.decision.decision", "StringEquals": "approve", "Next": "ScaleDown"},
                    {"Variable": "$.decision.decision", "StringEquals": "defer", "Next": "WaitAWeek"}
                ],
                "Default": "Kept"
            },
            "ScaleDown": {"Type": "Pass", "Result": "scaled-down", "ResultPath": "$.branch", "End": true},
            "WaitAWeek": {"Type": "Pass", "Result": "deferred", "ResultPath": "$.branch", "End": true},
            "Kept": {"Type": "Pass", "Result": "kept", "ResultPath": "$.branch", "End": true}
        }
    });
    start_workflow("e2e-teams-buttons", &definition, &json!({})).await
}

async fn teams_messages() -> Vec<Value> {
    chat().await["teams"]["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The card of the first Teams message that mentions `needle`.
async fn card_with(needle: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = teams_messages()
            .await
            .into_iter()
            .find(|m| m.to_string().contains(needle));
        if let Some(message) = found {
            assert_eq!(message["via"], "webhook");
            return message["card"].clone();
        }
        assert!(Instant::now() < deadline, "no Teams card with {needle:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The URL of the card's button labelled `label`.
fn button_url(card: &Value, label: &str) -> String {
    card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == label)
        .unwrap_or_else(|| panic!("no {label} button in {card}"))["url"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_custom_button_resumes_the_execution_with_its_value() {
    let title = unique("Scale down staging");
    let arn = ask_in_teams(json!({"title": title, "buttons": buttons()})).await;
    let card = card_with(&title).await;
    // Each button is a link in its Adaptive Card style.
    let shown: Vec<Value> = card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!([a["type"], a["title"], a["style"]]))
        .collect();
    assert_eq!(
        shown,
        [
            json!(["Action.OpenUrl", "Scale down", "positive"]),
            json!(["Action.OpenUrl", "Ask me next week", "default"]),
            json!(["Action.OpenUrl", "Keep", "destructive"]),
        ],
        "{card}"
    );
    let defer = button_url(&card, "Ask me next week");
    assert!(
        defer.contains("d=defer&") && defer.contains("sig="),
        "{defer}"
    );
    assert!(!defer.contains("taskToken"), "{defer}");

    // A scanner or preview fetching the link decides nothing; the page names the button.
    let page = get(&defer).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(">Ask me next week</strong>"),
        "{}",
        page.body
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let done = confirm(&defer, &[("name", "Dana Ops")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["branch"], "deferred", "{end:?}");
    let decision = &end.output["decision"];
    assert_eq!(decision["decision"], "defer", "{decision}");
    assert_eq!(decision["value"], "defer", "{decision}");
    assert_eq!(decision["approved"], false, "{decision}");
    assert_eq!(
        decision["action"]["actionId"], "hitl_button_1",
        "{decision}"
    );
    assert_eq!(decision["decidedBy"]["channel"], "teams", "{decision}");
    assert_eq!(decision["decidedBy"]["name"], "Dana Ops", "{decision}");
}

#[tokio::test]
async fn a_forged_value_is_refused_and_decides_nothing() {
    let title = unique("Delete volume");
    let arn = ask_in_teams(json!({"title": title, "buttons": buttons()})).await;
    let card = card_with(&title).await;
    let defer = button_url(&card, "Ask me next week");
    for forged in [
        defer.replace("d=defer", "d=delete-everything"),
        defer.replace("d=defer", "d=approve"),
    ] {
        let page = get(&forged).await;
        assert_eq!(page.status, 403, "{forged}: {}", page.body);
        let posted = confirm(&forged, &[]).await;
        assert_eq!(posted.status, 403, "{forged}: {}", posted.body);
        assert!(posted.body.contains("not valid"), "{}", posted.body);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "nothing was decided"
    );

    // The genuine Keep button still decides, and only its value comes back.
    let done = confirm(&button_url(&card, "Keep"), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["branch"], "kept", "{end:?}");
    assert_eq!(end.output["decision"]["decision"], "reject");
    assert_eq!(end.output["decision"]["approved"], false);
}

#[tokio::test]
async fn approvers_get_the_buttons_in_their_personal_emails() {
    let title = unique("Resize cluster");
    let arn = ask_in_teams(
        json!({"title": title, "buttons": buttons(), "approvers": ["owner@example.com"]}),
    )
    .await;
    let card = card_with(&title).await;
    assert!(
        card.get("actions").is_none(),
        "no button for anyone: {card}"
    );
    let email = &emails_matching(&title, 1).await[0];
    assert_eq!(email.to, ["owner@example.com"]);
    let link = email
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Scale down: "))
        .unwrap_or_else(|| panic!("no Scale down link in {}", email.text))
        .trim()
        .to_string();
    assert!(
        link.contains("d=approve&") && link.contains("a=0"),
        "a personal link: {link}"
    );
    assert!(
        email.html.contains(">Ask me next week</a>"),
        "{}",
        email.html
    );
    let done = confirm(&link, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["branch"], "scaled-down", "{end:?}");
    let decision = &end.output["decision"];
    assert_eq!(decision["approved"], true, "{decision}");
    assert_eq!(decision["value"], "approve", "{decision}");
    assert_eq!(
        decision["decidedBy"]["id"], "owner@example.com",
        "{decision}"
    );
    assert_eq!(decision["decidedBy"]["verified"], true, "{decision}");
}

#[tokio::test]
async fn more_than_six_buttons_or_unsafe_values_are_refused_before_posting() {
    let seven: Vec<Value> = (0..7)
        .map(|i| json!({"label": format!("Option {i}"), "value": format!("option-{i}")}))
        .collect();
    let cases = [
        (json!(seven), "buttons must hold 1 to 6 buttons, not 7"),
        (
            json!([{"label": "Go", "value": "go now"}]),
            "buttons[0].value \"go now\" may hold only letters",
        ),
        (
            json!([{"label": "Go", "value": "go"}, {"label": "Again", "value": "go"}]),
            "used twice",
        ),
    ];
    let mut titles = Vec::new();
    for (buttons, message) in cases {
        let title = unique("Refused buttons");
        titles.push(title.clone());
        let payload = json!({"title": title, "buttons": buttons, "taskToken": "t"});
        let (error, out) = invoke("TeamsRequestActionFunction", &payload).await;
        assert_eq!(error.as_deref(), Some("Unhandled"), "{out}");
        assert_eq!(out["errorType"], "Hitl.InvalidInput", "{out}");
        assert!(
            out["errorMessage"].as_str().unwrap().contains(message),
            "{out}"
        );
    }
    // Other tests post at the same time: none of these requests' cards may be among them.
    let posted = serde_json::to_string(&teams_messages().await).unwrap();
    assert!(
        titles.iter().all(|t| !posted.contains(t.as_str())),
        "nothing was posted"
    );
}
