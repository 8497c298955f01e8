//! Follow-up questions on link confirmation pages, on the local stack: the shipped
//! `EmailApprovalStateMachine` and a Teams Request Action, real binaries, real HTTP. The GET
//! shows the question with the input type of its answer and decides nothing; a refused answer
//! gets the form again (422) with why, and nothing is recorded; a valid one reaches the
//! workflow typed. Slack's modal: `follow_up_slack.rs`.

use std::time::Duration;

use e2e_tests::*;
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(60);

async fn email_request(title: &str, follow_up: Value) -> (String, String, String) {
    let input = json!({"title": title, "to": ["owner@example.com"], "followUp": follow_up});
    let arn = start_execution("EmailApprovalStateMachine", input).await;
    let emails = emails_matching(title, 1).await;
    let (approve, reject) = links_of(&emails[0]);
    (arn, approve, reject)
}

fn approval_id_of(link: &str) -> String {
    let path = link.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn an_email_link_asks_for_a_number_and_the_workflow_gets_a_number() {
    let title = unique("Scale down api");
    let question = json!({"question": "How many replicas to keep?", "answer": "number"});
    let (arn, approve, _) = email_request(&title, question).await;

    let page = get(&approve).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("How many replicas to keep?"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<input type=\"number\""),
        "{}",
        page.body
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "a GET decides nothing"
    );

    let done = confirm(&approve, &[("name", "Dana"), ("answer", "3")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("How many replicas to keep? 3"),
        "{}",
        done.body
    );
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["outcome"], "approved");
    assert_eq!(
        end.output["decision"]["followUp"],
        json!({"question": "How many replicas to keep?", "answer": 3}),
        "{}",
        end.output
    );
    assert!(end.output["decision"]["followUp"]["answer"].is_i64());
}

#[tokio::test]
async fn an_invalid_email_answer_is_refused_with_a_message_and_changes_nothing() {
    let title = unique("Delete volume");
    let question = json!({"question": "Who owns it?", "answer": "email", "after": ["reject"]});
    let (arn, approve, reject) = email_request(&title, question).await;
    assert!(
        !get(&approve).await.body.contains("Who owns it?"),
        "approve asks nothing"
    );

    let refused = confirm(
        &reject,
        &[("name", "Dana"), ("answer", "the platform team")],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("is not an email address"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"the platform team\""),
        "typed answer kept"
    );
    let item = approval_record(&approval_id_of(&reject)).await;
    assert!(!item.contains_key("decision"), "nothing recorded: {item:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let done = confirm(
        &reject,
        &[("name", "Dana"), ("answer", "Platform@Example.com")],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "rejected", "{end:?}");
    assert_eq!(
        end.output["decision"]["followUp"]["answer"],
        "platform@example.com"
    );
    let item = approval_record(&approval_id_of(&reject)).await;
    assert_eq!(
        attr(&item, "followUpAnswer"),
        "platform@example.com",
        "{item:?}"
    );
}

#[tokio::test]
async fn approve_without_the_question_decides_at_once() {
    let title = unique("Stop idle db");
    let question = json!({"question": "Why keep it?", "after": ["reject"]});
    let (arn, approve, _) = email_request(&title, question).await;
    let done = confirm(&approve, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    assert!(
        end.output["decision"].get("followUp").is_none(),
        "{}",
        end.output
    );
}

/// A workflow of one Teams Request Action with `payload`; its execution ARN.
async fn ask_in_teams(payload: Value) -> String {
    run_one_task("TeamsRequestActionFunction", payload, json!({})).await
}

/// The link of the button titled `title` on the Teams card that mentions `needle`.
async fn teams_link(needle: &str, title: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let messages = chat().await["teams"]["messages"].clone();
        let card = messages
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m.to_string().contains(needle))
            .map(|m| m["card"].clone());
        if let Some(card) = card {
            let action = card["actions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["title"] == title);
            return action.unwrap_or_else(|| panic!("no {title} in {card}"))["url"]
                .as_str()
                .unwrap()
                .to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no Teams card with {needle}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_teams_link_asks_for_text_and_the_workflow_gets_it() {
    let tag = unique("vol");
    let arn = ask_in_teams(json!({
        "title": format!("Delete volume {tag}?"),
        "followUp": {"question": "Why?", "answer": "text"}
    }))
    .await;
    let reject = teams_link(&tag, "Reject").await;
    let page = get(&reject).await;
    assert!(page.body.contains("<input type=\"text\""), "{}", page.body);
    let empty = confirm(&reject, &[("name", "Dana"), ("answer", "   ")]).await;
    assert_eq!(empty.status, 422, "a required answer: {}", empty.body);
    assert!(empty.body.contains("Please answer the question."));

    let done = confirm(
        &reject,
        &[("name", "Dana"), ("answer", "  still attached to a job  ")],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.status, "SUCCEEDED", "{end:?}");
    assert_eq!(end.output["decision"], "reject", "{}", end.output);
    assert_eq!(end.output["decidedBy"]["channel"], "teams");
    assert_eq!(
        end.output["followUp"],
        json!({"question": "Why?", "answer": "still attached to a job"})
    );
}
