use axum::Router;

use super::*;

const TOKEN: &str = "xoxb-local";

/// The stand-in mounted as the local stack mounts it; its interactivity URL is `answer`ed by a
/// server that answers every submission with `reply`.
async fn serve(reply: Value) -> (String, Arc<SlackStandIn>) {
    let endpoint = Router::new().route(
        "/slack/interactions",
        axum::routing::post(move || async move { Json(reply.clone()) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let interactivity = format!(
        "http://{}/slack/interactions",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, endpoint).await });
    let slack = SlackStandIn::new(TOKEN, "signing-secret", &interactivity);
    let app = Router::new().nest("/_standins/slack", slack.clone().router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/_standins/slack", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, slack)
}

fn modal() -> Value {
    json!({
        "type": "modal", "callback_id": "q", "private_metadata": "{}",
        "title": {"type": "plain_text", "text": "One more question"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "How many?"},
            "element": {"type": "number_input", "action_id": "n", "is_decimal_allowed": true}}]
    })
}

async fn open(base: &str, token: &str, trigger: &str, view: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/api/views.open"))
        .bearer_auth(token)
        .json(&json!({"trigger_id": trigger, "view": view}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_trigger_opens_one_modal_within_three_seconds() {
    let (base, slack) = serve(json!({})).await;
    slack.issue_trigger("t-1", "U0ALICE");
    slack.issue_trigger("t-old", "U0ALICE");
    slack
        .data
        .lock()
        .unwrap()
        .triggers
        .get_mut("t-old")
        .unwrap()
        .issued = Instant::now() - Duration::from_secs(4);
    assert_eq!(
        open(&base, "xoxb-wrong", "t-1", modal()).await["error"],
        "invalid_auth"
    );
    assert_eq!(
        open(&base, TOKEN, "t-unknown", modal()).await["error"],
        "invalid_trigger_id"
    );
    assert_eq!(
        open(&base, TOKEN, "t-old", modal()).await["error"],
        "expired_trigger_id"
    );
    let opened = open(&base, TOKEN, "t-1", modal()).await;
    assert_eq!(opened["ok"], true, "{opened}");
    assert_eq!(opened["view"]["id"], "V00000001");
    assert_eq!(
        open(&base, TOKEN, "t-1", modal()).await["error"],
        "exchanged_trigger_id"
    );
    let views = slack.snapshot()["views"].clone();
    assert_eq!(views.as_array().unwrap().len(), 1);
    assert_eq!(views[0]["user"], "U0ALICE");
    assert_eq!(views[0]["state"], "open");
}

#[tokio::test]
async fn a_view_slack_would_refuse_is_refused() {
    let (base, slack) = serve(json!({})).await;
    let mut bad = Vec::new();
    let mut long_title = modal();
    long_title["title"]["text"] = json!("x".repeat(25));
    bad.push(long_title);
    let mut no_submit = modal();
    no_submit.as_object_mut().unwrap().remove("submit");
    bad.push(no_submit);
    let mut too_many = modal();
    too_many["blocks"] = json!(vec![json!({"type": "divider"}); 101]);
    bad.push(too_many);
    bad.push(json!({"type": "home", "blocks": []}));
    bad.push(json!("not a view"));
    for (i, view) in bad.into_iter().enumerate() {
        slack.issue_trigger(&format!("t-{i}"), "U0BOB");
        let refused = open(&base, TOKEN, &format!("t-{i}"), view).await;
        assert_eq!(refused["error"], "invalid_arguments", "{i}: {refused}");
    }
    assert!(slack.snapshot()["views"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_submission_refused_with_errors_keeps_the_modal_open() {
    let errors = json!({"response_action": "errors", "errors": {"b": "Not a number."}});
    let (base, slack) = serve(errors).await;
    slack.issue_trigger("t-1", "U0ALICE");
    open(&base, TOKEN, "t-1", modal()).await;
    let result = slack
        .submit_modal("V00000001", Some("three"), false)
        .await
        .unwrap();
    assert_eq!(result["state"], "open");
    assert_eq!(result["errors"]["b"], "Not a number.");
    let view = &slack.snapshot()["views"][0];
    assert_eq!(view["errors"]["b"], "Not a number.");
    let closed = slack.submit_modal("V00000001", None, true).await.unwrap();
    assert_eq!(closed["state"], "closed");
    assert!(
        slack
            .submit_modal("V00000001", Some("3"), false)
            .await
            .is_err(),
        "closed"
    );
}

#[test]
fn a_submission_carries_what_was_typed_as_slack_sends_it() {
    let slack = SlackStandIn::new(TOKEN, "s", "http://127.0.0.1:9/none");
    let open = OpenView {
        id: "V1".into(),
        user: "U0BOB".into(),
        view: modal(),
        state: "open",
        errors: Value::Null,
    };
    let payload = slack.view_submission(&open, Some("4"), &Value::Null);
    assert_eq!(payload["type"], "view_submission");
    assert_eq!(payload["user"]["username"], "bob");
    assert_eq!(payload["view"]["callback_id"], "q");
    assert_eq!(
        payload["view"]["state"]["values"]["b"]["n"],
        json!({"type": "number_input", "value": "4"})
    );
}
