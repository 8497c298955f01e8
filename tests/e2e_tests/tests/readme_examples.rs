//! Every state machine the README shows is a file under `examples/`, and each one runs: on the
//! local stack, its `${...FunctionArn}` placeholders filled as `DefinitionSubstitutions` would,
//! to each of its documented ends (approved, rejected, a button of its own, a follow-up answer,
//! a person not found, expired; for one, the loud failure when it cannot ask), its output
//! checked. Expiry ends pass `timeoutSeconds: 6`, which every example uses for both the
//! request's `expiresInSeconds` and the Task's timeout.
//!
//! Without a stack: each ASL block of the README is one of those files (or states of it,
//! linked just before it), each example file is named in the README, and each waiting Task
//! catches `Hitl.Expired` and `States.Timeout` with its request's expiry tied to its timeout
//! (the checker and its own tests, which show it failing: `src/examples/readme.rs`).

use std::time::Duration;

use e2e_tests::examples::*;
use e2e_tests::*;
use serde_json::{json, Value};

fn readme() -> String {
    std::fs::read_to_string(workspace_root().join("README.md")).unwrap()
}

#[test]
fn every_readme_asl_block_is_an_example_file_and_every_example_is_in_the_readme() {
    let readme = readme();
    let linked = json_blocks(&readme)
        .into_iter()
        .filter(|b| b.link.is_some())
        .count();
    assert!(
        linked >= 11,
        "only {linked} ASL blocks linked to an example"
    );
    assert_eq!(readme_problems(&readme), Vec::<String>::new());
}

const EMAIL: &str = "examples/asl/email-stop-instance.asl.json";

/// The owner answers the email example with `choice` (`approve`/`reject`); the instance and
/// the execution's output.
async fn email_answered(choice: &str) -> (String, Value) {
    let instance = unique("db");
    let arn = start_example(EMAIL, &json!({"instance": instance})).await;
    let email = emails_matching(&format!("Stop {instance}?"), 1)
        .await
        .remove(0);
    assert_eq!(email.to, ["owner@example.com"]);
    let (approve, reject) = links_of(&email);
    let done = confirm(
        if choice == "approve" {
            &approve
        } else {
            &reject
        },
        &[],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    (instance, finish(&arn).await)
}

#[tokio::test]
async fn email_example_stops_on_approval_keeps_on_rejection_and_expires() {
    let ((instance, stopped), (_, kept), _) = tokio::join!(
        email_answered("approve"),
        email_answered("reject"),
        expires(EMAIL, json!({"instance": unique("db")}))
    );
    assert_eq!(stopped["outcome"], "stopped", "{stopped}");
    assert_eq!(stopped["decision"]["decidedBy"]["id"], "owner@example.com");
    assert_eq!(stopped["decision"]["decidedBy"]["verified"], true);
    let notice = emails_matching(&format!("{instance} stopped"), 1).await;
    assert!(notice[0].html.contains("<b>"), "{}", notice[0].html);
    assert_eq!(kept["outcome"], "kept", "{kept}");
    assert_eq!(kept["decision"]["approved"], false);
}

const SLACK_BUTTONS: &str = "examples/asl/slack-scale-down-buttons.asl.json";

/// Alice clicks `value` on the Slack buttons example (after Bob, who may not, clicked it).
async fn slack_button_clicked(value: &str) -> Value {
    let cluster = unique("staging");
    let input = json!({"cluster": cluster, "channel": "#approvals", "allowedUsers": ["U0ALICE"]});
    let arn = start_example(SLACK_BUTTONS, &input).await;
    let (channel, ts) = message_ref(&slack_message_with(&cluster).await);
    slack_click(&channel, &ts, "U0BOB", value, json!({})).await;
    assert_eq!(
        execution_status(&arn).await,
        "RUNNING",
        "Bob may not decide"
    );
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", value, json!({})).await;
    assert_eq!(status, 200);
    finish(&arn).await
}

#[tokio::test]
async fn slack_buttons_example_branches_on_each_button_expires_and_fails_loudly() {
    // A channel the bot is not in: Slack refuses the post, and the example's States.ALL catch
    // fails the execution with CouldNotAsk (its history names Slack.NotInChannel).
    let not_asked = async {
        let input = json!({"cluster": unique("staging"), "channel": "#private"});
        let arn = start_example(SLACK_BUTTONS, &input).await;
        wait_for_end(&arn, Duration::from_secs(60)).await
    };
    let (approved, rejected, deferred, _, failed) = tokio::join!(
        slack_button_clicked("approve"),
        slack_button_clicked("reject"),
        slack_button_clicked("defer"),
        expires(
            SLACK_BUTTONS,
            json!({"cluster": unique("staging"), "channel": "#approvals"})
        ),
        not_asked
    );
    assert_eq!(failed.status, "FAILED", "{failed:?}");
    assert_eq!(failed.error.as_deref(), Some("CouldNotAsk"), "{failed:?}");
    for (output, outcome, value) in [
        (&approved, "scaled-down", "approve"),
        (&rejected, "kept", "reject"),
        (&deferred, "deferred", "defer"),
    ] {
        assert_eq!(output["outcome"], outcome, "{output}");
        assert_eq!(output["decision"]["decision"], value, "{output}");
        assert_eq!(output["decision"]["slackUser"]["id"], "U0ALICE");
    }
}

const SLACK_THREAD: &str = "examples/asl/slack-ask-in-thread.asl.json";

/// The thread example for `approver`; Bob clicks `choice` when given.
async fn asked_in_thread(approver: &str, choice: Option<&str>) -> Value {
    let keys = unique("keys");
    let arn = start_example(SLACK_THREAD, &json!({"keySet": keys, "approver": approver})).await;
    if let Some(value) = choice {
        let announced = slack_message_with(&format!("keys {keys} are due")).await;
        let question = slack_message_with(&format!("keys {keys} now?")).await;
        assert_eq!(question["threadTs"], announced["ts"], "{question}");
        assert_eq!(question["channel"], announced["channel"], "{question}");
        let (channel, ts) = message_ref(&question);
        let (status, _) = slack_click(&channel, &ts, "U0BOB", value, json!({})).await;
        assert_eq!(status, 200);
    }
    finish(&arn).await
}

#[tokio::test]
async fn slack_thread_example_asks_in_the_dm_thread_finds_nobody_and_expires() {
    let (rotated, nobody, _) = tokio::join!(
        asked_in_thread("bob@example.com", Some("approve")),
        asked_in_thread("nobody@example.com", None),
        expires(
            SLACK_THREAD,
            json!({"keySet": unique("keys"), "approver": "bob@example.com"})
        )
    );
    assert_eq!(rotated["outcome"], "rotated", "{rotated}");
    assert_eq!(rotated["decision"]["slackUser"]["id"], "U0BOB");
    assert_eq!(nobody["outcome"], "no-such-person", "{nobody}");
    assert_eq!(nobody["error"], "Slack.UserNotFound");
}

const SLACK_SELECT: &str = "examples/asl/slack-deploy-select.asl.json";

/// Alice acts on the deploy message: `value` a button's, `extra` a menu choice.
async fn deploy_answered(value: &str, extra: Value) -> (String, String, Value) {
    let version = unique("v2");
    let input = json!({"version": version, "channel": "#approvals"});
    let arn = start_example(SLACK_SELECT, &input).await;
    let (channel, ts) = message_ref(&slack_message_with(&format!("Deploy {version}?")).await);
    let (status, _) = slack_click(&channel, &ts, "U0ALICE", value, extra).await;
    assert_eq!(status, 200);
    (channel, ts, finish(&arn).await)
}

#[tokio::test]
async fn slack_select_example_deploys_to_the_chosen_environment_cancels_and_expires() {
    let ((channel, ts, deploying), (_, _, cancelled), _) = tokio::join!(
        deploy_answered("", json!({"actionId": "env", "selected": ["prod"]})),
        deploy_answered("cancel", json!({})),
        expires(
            SLACK_SELECT,
            json!({"version": unique("v2"), "channel": "#approvals"})
        )
    );
    assert_eq!(deploying["outcome"], "deploying", "{deploying}");
    assert_eq!(deploying["environment"], "prod");
    let updated = slack_message(&channel, &ts).await;
    assert!(
        updated["text"].as_str().unwrap().ends_with(" to prod."),
        "{updated}"
    );
    assert_eq!(cancelled["outcome"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["click"]["action"]["actionId"], "cancel");
}

const JIRA: &str = "examples/asl/jira-close-ticket-after-approval.asl.json";

/// Carol answers `value` to the Jira example about `ticket`.
async fn ticket_decided(ticket: &str, value: &str) -> Value {
    let arn = start_example(JIRA, &json!({"ticket": ticket, "channel": "#approvals"})).await;
    let asked = slack_message_with(&format!("Do the work of {ticket} ")).await;
    let (channel, ts) = message_ref(&asked);
    let (status, _) = slack_click(&channel, &ts, "U0CAROL", value, json!({})).await;
    assert_eq!(status, 200);
    finish(&arn).await
}

/// The Jira stand-in's issue `key`.
async fn issue(key: &str) -> Value {
    let issues = chat().await["jira"]["issues"].clone();
    let found = issues.as_array().unwrap().iter().find(|i| i["key"] == key);
    found.cloned().unwrap_or_else(|| panic!("no issue {key}"))
}

#[tokio::test]
async fn jira_example_closes_on_approval_comments_on_rejection_and_expires() {
    // The stand-in's seeded issues; this binary's stack is its own, so no other test moves them.
    let (closed, rejected, _) = tokio::join!(
        ticket_decided("OPS-2", "approve"),
        ticket_decided("OPS-3", "reject"),
        expires(JIRA, json!({"ticket": "OPS-1", "channel": "#approvals"}))
    );
    assert_eq!(closed["outcome"], "closed", "{closed}");
    assert_eq!(closed["jira"]["status"], "Done", "{closed}");
    assert_eq!(closed["jira"]["changed"], true, "{closed}");
    let ops2 = issue("OPS-2").await;
    assert!(ops2.to_string().contains("Approved by"), "{ops2}");
    assert_eq!(rejected["outcome"], "rejected", "{rejected}");
    let ops3 = issue("OPS-3").await;
    assert!(ops3.to_string().contains("the ticket stays open"), "{ops3}");
    assert!(!ops3.to_string().contains("\"Done\""), "{ops3}");
}

const TEAMS_VOLUME: &str = "examples/asl/teams-delete-volume.asl.json";

async fn volume_answered(label: &str) -> (String, Value) {
    let volume = unique("vol");
    let arn = start_example(TEAMS_VOLUME, &json!({"volumeId": volume})).await;
    let output = teams_answered(&arn, &format!("volume {volume}?"), label, &[]).await;
    (volume, output)
}

#[tokio::test]
async fn teams_card_example_deletes_on_approval_keeps_on_rejection_and_expires() {
    let ((volume, deleted), (_, kept), _) = tokio::join!(
        volume_answered("Approve"),
        volume_answered("Reject"),
        expires(TEAMS_VOLUME, json!({"volumeId": unique("vol")}))
    );
    assert_eq!(deleted["outcome"], "deleted", "{deleted}");
    assert_eq!(deleted["decision"]["decidedBy"]["name"], "Dana Ops");
    teams_message_with(&format!("{volume} deleted, approved by Dana Ops")).await;
    assert_eq!(kept["outcome"], "kept", "{kept}");
}

const TEAMS_BUTTONS: &str = "examples/asl/teams-scale-down-buttons.asl.json";

async fn teams_button_clicked(label: &str) -> Value {
    let cluster = unique("staging");
    let arn = start_example(TEAMS_BUTTONS, &json!({"cluster": cluster})).await;
    teams_answered(&arn, &format!("Scale down {cluster}?"), label, &[]).await
}

#[tokio::test]
async fn teams_buttons_example_branches_on_each_button_and_expires() {
    let (approved, deferred, rejected, _) = tokio::join!(
        teams_button_clicked("Scale down"),
        teams_button_clicked("Ask me next week"),
        teams_button_clicked("Keep"),
        expires(TEAMS_BUTTONS, json!({"cluster": unique("staging")}))
    );
    for (output, outcome, value) in [
        (&approved, "scaled-down", "approve"),
        (&deferred, "deferred", "defer"),
        (&rejected, "kept", "reject"),
    ] {
        assert_eq!(output["outcome"], outcome, "{output}");
        assert_eq!(output["decision"]["value"], value, "{output}");
    }
}

const TEAMS_PERSON: &str = "examples/asl/teams-ask-one-person.asl.json";

async fn owner_asked(owner: &str) -> (String, String) {
    let instance = unique("i");
    let input = json!({"instanceId": instance, "ownerEmail": owner});
    (instance.clone(), start_example(TEAMS_PERSON, &input).await)
}

#[tokio::test]
async fn teams_person_example_asks_in_the_1_1_chat_falls_back_and_expires() {
    let approved = async {
        let (instance, arn) = owner_asked("alice@example.com").await;
        let message = teams_message_with(&format!("instance {instance}?")).await;
        assert_eq!(message["where"]["user"], "alice@example.com", "{message}");
        // Decided in the card: Alice's click, signed by the Bot Framework.
        let done = teams_bot_click("alice@example.com", &message, "Approve", json!({})).await;
        assert_eq!(done["status"], 200, "{done}");
        (instance, finish(&arn).await)
    };
    let not_installed = async { finish(&owner_asked("carol@example.com").await.1).await };
    let input = json!({"instanceId": unique("i"), "ownerEmail": "bob@example.com"});
    let ((instance, stopped), fallback, _) =
        tokio::join!(approved, not_installed, expires(TEAMS_PERSON, input));
    assert_eq!(stopped["outcome"], "stopped", "{stopped}");
    let by = &stopped["decision"]["decidedBy"];
    assert_eq!(
        (&by["name"], &by["verified"]),
        (&json!("Alice"), &json!(true)),
        "{by}"
    );
    let user = &stopped["decision"]["teamsUser"];
    assert_eq!(by["id"], user["objectId"], "{stopped}");
    assert_eq!(user["userPrincipalName"], "alice@example.com", "{user}");
    let told = teams_message_with(&format!("\"{instance}\"")).await;
    assert_eq!(told["where"]["user"], "alice@example.com", "{told}");
    assert_eq!(fallback["outcome"], "owner-not-in-teams", "{fallback}");
    assert_eq!(fallback["error"], "Teams.BotNotInstalled");
}

const FOLLOW_UP_SLACK: &str = "examples/asl/follow-up-slack-replicas.asl.json";

#[tokio::test]
async fn slack_follow_up_example_gets_the_number_of_replicas() {
    let approved = async {
        let service = unique("api");
        let input = json!({"service": service, "channel": "#approvals"});
        let arn = start_example(FOLLOW_UP_SLACK, &input).await;
        let (channel, ts) = message_ref(&slack_message_with(&service).await);
        slack_click(&channel, &ts, "U0BOB", "approve", json!({})).await;
        assert_eq!(
            execution_status(&arn).await,
            "RUNNING",
            "the modal asks first"
        );
        let submitted = slack_submit("U0BOB", "2").await;
        assert_eq!(submitted["state"], "submitted", "{submitted}");
        finish(&arn).await
    };
    let rejected = async {
        let service = unique("api");
        let input = json!({"service": service, "channel": "#approvals"});
        let arn = start_example(FOLLOW_UP_SLACK, &input).await;
        let (channel, ts) = message_ref(&slack_message_with(&service).await);
        slack_click(&channel, &ts, "U0CAROL", "reject", json!({})).await;
        finish(&arn).await
    };
    let input = json!({"service": unique("api"), "channel": "#approvals"});
    let (scaled, kept, _) = tokio::join!(approved, rejected, expires(FOLLOW_UP_SLACK, input));
    assert_eq!(scaled["outcome"], "scaled-down", "{scaled}");
    assert_eq!(scaled["replicas"], 2, "{scaled}");
    assert_eq!(kept["outcome"], "kept", "{kept}");
    assert!(kept["decision"].get("followUp").is_none(), "{kept}");
}

const FOLLOW_UP_EMAIL: &str = "examples/asl/follow-up-email-owner.asl.json";

/// The email follow-up example answered with the link `choice` and the form `answer`.
async fn owner_named(choice: &str, answer: &str) -> Value {
    let volume = unique("vol");
    let input = json!({"volumeId": volume, "to": "finops@example.com"});
    let arn = start_example(FOLLOW_UP_EMAIL, &input).await;
    let email = emails_matching(&volume, 1).await.remove(0);
    let (approve, reject) = links_of(&email);
    let link = if choice == "approve" { approve } else { reject };
    let done = confirm(&link, &[("name", "Dana"), ("answer", answer)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    finish(&arn).await
}

#[tokio::test]
async fn email_follow_up_example_gets_the_owner_or_null_and_expires() {
    let input = json!({"volumeId": unique("vol"), "to": "finops@example.com"});
    let (named, unnamed, deleted, _) = tokio::join!(
        owner_named("reject", "Platform@Example.com"),
        owner_named("reject", ""),
        owner_named("approve", ""),
        expires(FOLLOW_UP_EMAIL, input)
    );
    assert_eq!(named["outcome"], "kept", "{named}");
    assert_eq!(named["owner"], "platform@example.com", "{named}");
    assert_eq!(unnamed["owner"], Value::Null, "{unnamed}");
    assert_eq!(deleted["outcome"], "deleted", "{deleted}");
}

const FOLLOW_UP_TEAMS: &str = "examples/asl/follow-up-teams-reason.asl.json";

async fn reason_given(label: &str, reason: &str) -> Value {
    let service = unique("billing");
    let arn = start_example(FOLLOW_UP_TEAMS, &json!({"service": service})).await;
    let needle = format!("Restart the {service} workers?");
    teams_answered(&arn, &needle, label, &[("answer", reason)]).await
}

#[tokio::test]
async fn teams_follow_up_example_gets_the_reason_and_expires() {
    let (restarted, not_restarted, _) = tokio::join!(
        reason_given("Approve", "the queue is stuck"),
        reason_given("Reject", "month-end close"),
        expires(FOLLOW_UP_TEAMS, json!({"service": unique("billing")}))
    );
    assert_eq!(restarted["outcome"], "restarted", "{restarted}");
    assert_eq!(restarted["reason"], "the queue is stuck");
    assert_eq!(not_restarted["outcome"], "not-restarted");
    assert_eq!(not_restarted["reason"], "month-end close");
}

const NESTED: &str = "examples/nested-stack/approve_release.asl.json";

#[tokio::test]
async fn nested_stack_example_releases_on_approval_and_expires() {
    let approved = async {
        let release = unique("v1.4.0");
        let input =
            json!({"release": release, "approvers": ["lead@example.com"], "timeoutSeconds": 120});
        let arn = start_example(NESTED, &input).await;
        let email = emails_matching(&format!("Release {release}?"), 1).await;
        let done = confirm(&links_of(&email[0]).0, &[]).await;
        assert_eq!(done.status, 200, "{}", done.body);
        finish(&arn).await
    };
    let input = json!({"release": unique("v1.4.0"), "approvers": ["lead@example.com"]});
    let (released, expired) = tokio::join!(approved, async {
        let mut input = input;
        input["timeoutSeconds"] = json!(6);
        finish(&start_example(NESTED, &input).await).await
    });
    assert_eq!(released["outcome"], "released", "{released}");
    assert_eq!(released["decidedBy"]["id"], "lead@example.com");
    assert_eq!(expired["outcome"], "expired", "{expired}");
}

const TEAMS_CHANNEL: &str = "examples/asl/teams-approve-in-channel.asl.json";

/// The channel example, asked of alice and bob in the stand-in's default channel.
async fn database_asked(approvers: &[&str]) -> (String, String) {
    let database = unique("staging");
    let input = json!({"database": database, "approvers": approvers,
        "conversationId": teams_conversation("channel").await});
    (database.clone(), start_example(TEAMS_CHANNEL, &input).await)
}

async fn database_answered(who: &str, button: &str) -> Value {
    let (database, arn) = database_asked(&["alice@example.com", "bob@example.com"]).await;
    let message = teams_message_with(&format!("Drop database {database}?")).await;
    let done = teams_bot_click(who, &message, button, json!({})).await;
    assert_eq!(done["status"], 200, "{done}");
    finish(&arn).await
}

#[tokio::test]
async fn teams_channel_example_is_decided_in_the_card_by_a_named_approver() {
    let expiring = async {
        let input = json!({"database": unique("staging"), "approvers": ["alice@example.com"],
            "conversationId": teams_conversation("channel").await});
        expires(TEAMS_CHANNEL, input).await
    };
    let unknown = async {
        let (_, arn) = database_asked(&["nobody@example.com"]).await;
        finish(&arn).await
    };
    let (dropped, kept, not_found, _) = tokio::join!(
        database_answered("alice@example.com", "Approve"),
        database_answered("bob@example.com", "Reject"),
        unknown,
        expiring
    );
    assert_eq!(dropped["outcome"], "dropped", "{dropped}");
    let by = &dropped["decision"]["decidedBy"];
    assert_eq!(
        (&by["channel"], &by["verified"]),
        (&json!("teams"), &json!(true)),
        "{by}"
    );
    assert_eq!(
        dropped["decision"]["teamsUser"]["userPrincipalName"],
        "alice@example.com"
    );
    assert_eq!(kept["outcome"], "kept", "{kept}");
    assert_eq!(kept["decision"]["decidedBy"]["name"], "Bob", "{kept}");
    assert_eq!(not_found["outcome"], "approver-not-found", "{not_found}");
    assert_eq!(not_found["error"], "Teams.UserNotFound");
}

const TWO_OF_THREE: &str = "examples/asl/email-two-of-three-dbas.asl.json";

/// Starts the two-of-three example for a new database asked by `requested_by`; the execution
/// and each DBA's (approve, reject) links, by address (`asked` emails: the requester gets none).
async fn dbas_asked(requested_by: &str, asked: usize) -> (String, Vec<(String, (String, String))>) {
    let database = unique("orders-db");
    let input = json!({"database": database, "requestedBy": requested_by});
    let arn = start_example(TWO_OF_THREE, &input).await;
    let emails = emails_matching(&database, asked).await;
    assert_eq!(emails.len(), asked, "{emails:?}");
    let links = emails
        .iter()
        .map(|e| (e.to.join(","), links_of(e)))
        .collect();
    (arn, links)
}

fn link_of(links: &[(String, (String, String))], who: &str, approve: bool) -> String {
    let (_, (yes, no)) = links.iter().find(|(to, _)| to == who).unwrap();
    if approve {
        yes.clone()
    } else {
        no.clone()
    }
}

/// Two DBAs approve, one after the other: the first is told the progress, the execution
/// resumes on the second with both votes.
async fn two_dbas_approve() -> Value {
    let (arn, links) = dbas_asked("dev@example.com", 3).await;
    let first = confirm(&link_of(&links, "dba-ana@example.com", true), &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("1 of 2 approved"), "{}", first.body);
    let second = confirm(&link_of(&links, "dba-cho@example.com", true), &[]).await;
    assert_eq!(second.status, 200, "{}", second.body);
    finish(&arn).await
}

/// One DBA rejects: vetoed at once. The requester, also a DBA, is not asked, and a link
/// signed for their place is refused.
async fn a_dba_vetoes_and_the_requester_may_not_vote() -> Value {
    let (arn, links) = dbas_asked("dba-ana@example.com", 2).await;
    assert!(links.iter().all(|(to, _)| to != "dba-ana@example.com"));
    // A link is `…/decisions/{approval id}?…`.
    let ben = link_of(&links, "dba-ben@example.com", true);
    let approval_id = ben.split('?').next().unwrap().rsplit('/').next().unwrap();
    let own = e2e_tests::votes::signed_link(approval_id, approvals::Decision::Approve, 0).await;
    let own = confirm(&own, &[]).await;
    assert_eq!(own.status, 403, "{}", own.body);
    let veto = confirm(&link_of(&links, "dba-ben@example.com", false), &[]).await;
    assert_eq!(veto.status, 200, "{}", veto.body);
    finish(&arn).await
}

#[tokio::test]
async fn two_of_three_example_rotates_on_two_approvals_keeps_on_a_veto_and_expires() {
    let (rotated, kept, _) = tokio::join!(
        two_dbas_approve(),
        a_dba_vetoes_and_the_requester_may_not_vote(),
        expires(TWO_OF_THREE, json!({"database": unique("orders-db")}))
    );
    assert_eq!(rotated["outcome"], "rotated", "{rotated}");
    let votes = rotated["decision"]["votes"].as_array().unwrap();
    let voters: Vec<&str> = votes
        .iter()
        .map(|v| v["approver"].as_str().unwrap())
        .collect();
    assert_eq!(
        voters,
        ["dba-ana@example.com", "dba-cho@example.com"],
        "{rotated}"
    );
    assert_eq!(
        rotated["decision"]["decidedBy"]["id"],
        "dba-cho@example.com"
    );
    assert_eq!(rotated["decision"]["tally"]["approvals"], 2, "{rotated}");
    assert_eq!(
        rotated["decision"]["tally"]["waitingFor"],
        json!(["dba-ben@example.com"])
    );
    assert_eq!(kept["outcome"], "kept", "{kept}");
    assert_eq!(
        kept["decision"]["votes"].as_array().unwrap().len(),
        1,
        "{kept}"
    );
    assert_eq!(kept["decision"]["tally"]["rejections"], 1, "{kept}");
}

const EVERYWHERE: &str = "examples/asl/everywhere-two-owners-delete-snapshots.asl.json";

/// The everywhere example for a new cluster (Slack in `slack_channel`): the execution and the
/// request's title.
async fn snapshots_asked(slack_channel: &str) -> (String, String) {
    let cluster = unique("orders");
    let input = json!({"cluster": cluster, "slackChannel": slack_channel,
        "conversationId": teams_conversation("channel").await});
    let arn = start_example(EVERYWHERE, &input).await;
    (
        arn,
        format!("Delete the snapshots of {cluster} older than 90 days?"),
    )
}

/// Alice confirms the approve link of her own email about `title` (each owner gets one).
async fn alice_approves_by_email(title: &str) {
    let email = emails_matching(title, 3)
        .await
        .into_iter()
        .find(|e| e.to == ["alice@example.com"])
        .expect("Alice's email");
    let (approve, _) = links_of(&email);
    assert_eq!(confirm(&approve, &[]).await.status, 200);
}

/// Alice approves by email and Bob in Slack: deleted, two votes from two channels.
async fn snapshots_deleted() -> Value {
    let (arn, title) = snapshots_asked("#approvals").await;
    alice_approves_by_email(&title).await;
    let (channel, ts) = message_ref(&slack_message_with(&title).await);
    let (status, _) = slack_click(&channel, &ts, "U0BOB", "approve", json!({})).await;
    assert_eq!(status, 200);
    finish(&arn).await
}

/// Carol rejects on the Teams card: kept at once, one reject vetoes.
async fn snapshots_kept() -> Value {
    let (arn, title) = snapshots_asked("#approvals").await;
    let message = teams_message_with(&title).await;
    let done = teams_bot_click("carol@example.com", &message, "Reject", json!({})).await;
    assert_eq!(done["status"], 200, "{done}");
    finish(&arn).await
}

/// The Slack channel is one the bot is not in: Slack refuses, the request stands on email and
/// Teams, and Alice and Carol settle it there.
async fn snapshots_without_slack() -> Value {
    let (arn, title) = snapshots_asked("#private").await;
    alice_approves_by_email(&title).await;
    let message = teams_message_with(&title).await;
    let done = teams_bot_click("carol@example.com", &message, "Approve", json!({})).await;
    assert_eq!(done["status"], 200, "{done}");
    finish(&arn).await
}

#[tokio::test]
async fn everywhere_example_settles_from_any_channel_and_reports_one_it_could_not_reach() {
    let expiring = async {
        let input = json!({"cluster": unique("orders"),
            "conversationId": teams_conversation("channel").await});
        expires(EVERYWHERE, input).await
    };
    let (deleted, kept, without_slack, expired) = tokio::join!(
        snapshots_deleted(),
        snapshots_kept(),
        snapshots_without_slack(),
        expiring
    );
    assert_eq!(deleted["outcome"], "deleted", "{deleted}");
    let channels: Vec<&str> = deleted["decision"]["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["decidedBy"]["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["email", "slack"], "{deleted}");
    let asked = json!([{"asked": "email"}, {"asked": "slack"}, {"asked": "teams"}]);
    assert_eq!(deleted["channels"], asked, "{deleted}");
    assert_eq!(kept["outcome"], "kept", "{kept}");
    assert_eq!(kept["decision"]["decidedBy"]["channel"], "teams", "{kept}");
    assert_eq!(without_slack["outcome"], "deleted", "{without_slack}");
    assert_eq!(
        without_slack["channels"][1]["unreached"], "slack",
        "{without_slack}"
    );
    assert_eq!(expired["channels"], asked, "{expired}");
}
