//! Secrets live in (moto's) Secrets Manager and nowhere else: not in a function's environment,
//! not in a log line, not in execution history. The link signing key ring rotates without
//! breaking live links, and a removed key stops its links with a clear page.

use std::collections::BTreeMap;
use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};
use tokio::sync::Mutex;

/// Rotation changes what every function reads: the tests of this file take turns.
static TURN: Mutex<()> = Mutex::const_new(());

const RING: &str = "hitl-local/link-signing-keys";

async fn secrets() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&sdk_config().await)
}

async fn secret_value(name: &str) -> String {
    secrets()
        .await
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap()
}

async fn put_ring(ring: &Value) {
    secrets()
        .await
        .put_secret_value()
        .secret_id(RING)
        .secret_string(ring.to_string())
        .send()
        .await
        .unwrap();
}

/// Every function's next invocation is a cold start (as after a configuration update).
async fn recycle_functions() {
    let url = format!("{}/_local/api/functions/recycle", endpoints().api);
    let r = http().post(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// Each secret the stack holds, by name, with the text that must never leak (the key itself
/// for the key ring).
async fn secret_texts() -> BTreeMap<String, String> {
    let listed = secrets().await.list_secrets().send().await.unwrap();
    let mut texts = BTreeMap::new();
    for entry in listed.secret_list() {
        let name = entry.name().unwrap().to_string();
        let value = secret_value(&name).await;
        let text = match serde_json::from_str::<Value>(&value) {
            Ok(ring) if name == RING => ring["currentKey"].as_str().unwrap().to_string(),
            _ => value,
        };
        texts.insert(name, text);
    }
    texts
}

/// A shared approve link of a new request, and the key id it carries.
async fn new_link(tag: &str) -> (String, String) {
    let (error, links) = invoke(
        "CreateApprovalLinksFunction",
        &json!({"title": unique(tag)}),
    )
    .await;
    assert_eq!(error, None, "{links}");
    let url = links["approveUrl"].as_str().unwrap().to_string();
    let kid = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("kid="))
        .unwrap()
        .to_string();
    (url, kid)
}

fn environ(pid: u64) -> String {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', "\n"))
        .unwrap_or_default()
}

#[tokio::test]
async fn no_secret_is_in_an_environment_a_log_or_execution_history() {
    let _turn = TURN.lock().await;
    let texts = secret_texts().await;
    for name in [
        "link-signing-keys",
        "slack-bot-token",
        "slack-signing-secret",
        "jira-api-token",
    ] {
        assert!(
            texts.contains_key(&format!("hitl-local/{name}")),
            "{name} is not in Secrets Manager: {:?}",
            texts.keys()
        );
    }
    let arn = start_the_functions_holding_secrets().await;
    assert_no_environment_holds_one_of(&texts).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_no_log_or_history_holds_one_of(&texts, &arn).await;
}

/// Work that starts the functions holding secrets: links (key ring), a page (key ring), a
/// Slack message (bot token), a Slack click (signing secret), and a whole email execution,
/// which it returns.
async fn start_the_functions_holding_secrets() -> String {
    let (url, _) = new_link("env").await;
    assert_eq!(get(&url).await.status, 200);
    let arn = start_execution(
        "EmailApprovalStateMachine",
        json!({"title": unique("history"), "to": ["ops@example.com"], "timeoutSeconds": 60}),
    )
    .await;
    let tag = unique("secret-scan");
    start_execution(
        "SlackApprovalStateMachine",
        json!({"channel": "#approvals", "text": tag, "timeoutSeconds": 60}),
    )
    .await;
    let message = slack_message_with(&tag).await;
    let (channel, ts) = (
        message["channel"].as_str().unwrap_or_default().to_string(),
        message["ts"].as_str().unwrap_or_default().to_string(),
    );
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", "approve", json!({})).await;
    assert_eq!(status, 200);
    arn
}

/// No function process (at least three of them readable) has a secret's text in its environment.
async fn assert_no_environment_holds_one_of(texts: &BTreeMap<String, String>) {
    let functions = local_api("/_local/api/functions").await;
    let mut seen = 0;
    for (function, state) in functions.as_object().unwrap() {
        for pid in state["pids"].as_array().unwrap() {
            let env = environ(pid.as_u64().unwrap());
            seen += usize::from(!env.is_empty());
            for (name, text) in texts {
                assert!(
                    !env.contains(text.as_str()),
                    "{function} has {name} in its environment"
                );
            }
        }
    }
    assert!(
        seen >= 3,
        "too few function processes to check: {functions}"
    );
}

/// No log of the stack and not the history of the execution `arn` holds a secret's text.
async fn assert_no_log_or_history_holds_one_of(texts: &BTreeMap<String, String>, arn: &str) {
    let history = sfn()
        .await
        .get_execution_history()
        .execution_arn(arn)
        .send()
        .await
        .unwrap();
    let history = format!("{history:?}");
    let logs = workspace_root().join(".local-stack/logs");
    for entry in std::fs::read_dir(&logs).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for (name, secret) in texts {
            assert!(
                !text.contains(secret.as_str()),
                "{name} is in a log in {}",
                logs.display()
            );
            assert!(
                !history.contains(secret.as_str()),
                "{name} is in execution history"
            );
        }
    }
}

#[tokio::test]
async fn a_rotated_key_keeps_old_links_working_until_it_is_removed() {
    let _turn = TURN.lock().await;
    let original: Value = serde_json::from_str(&secret_value(RING).await).unwrap();
    let (old_link, old_kid) = new_link("before-rotation").await;
    assert_eq!(old_kid, original["currentKeyId"]);

    // Step 1: a new current key; the old one stays as previous. Any text is a key.
    let new_key = format!(
        "{}, with: commas \"and\" quotes",
        unique("k2-secret-material")
    );
    put_ring(&json!({
        "currentKeyId": "k2", "currentKey": new_key,
        "previousKeyId": old_kid, "previousKey": original["currentKey"],
    }))
    .await;
    recycle_functions().await;
    let page = get(&old_link).await;
    assert_eq!(page.status, 200, "the old link still opens: {}", page.body);
    let (new_link_url, new_kid) = new_link("after-rotation").await;
    assert_eq!(new_kid, "k2", "new links are signed with the new key");
    assert_eq!(get(&new_link_url).await.status, 200);

    // Step 2: the old key is removed; its links stop with a page that says why.
    put_ring(&json!({"currentKeyId": "k2", "currentKey": new_key})).await;
    recycle_functions().await;
    let page = get(&old_link).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("has been retired"), "{}", page.body);
    assert!(
        !page.body.contains("<form"),
        "a retired link offers no button"
    );
    assert_eq!(get(&new_link_url).await.status, 200);

    // Back to the stack's own key for the other test binaries' sake (one stack per binary).
    put_ring(&original).await;
    recycle_functions().await;
    assert_eq!(get(&old_link).await.status, 200);
}
