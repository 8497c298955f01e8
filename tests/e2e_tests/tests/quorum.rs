//! Team decisions by email on the local stack: the shipped `EmailApprovalStateMachine` with a
//! quorum, each approver clicking their own links. What they see on the pages (progress, "you
//! voted already", the votes once settled), what the workflow gets (the outcome, every vote,
//! the tally) and that it is resumed once, also when all the votes arrive at the same moment.
//! Slack and the Teams bot: `quorum_chat.rs`; reminders: `quorum_reminders.rs`.

use std::time::Duration;

use e2e_tests::votes::*;
use e2e_tests::*;
use serde_json::{json, Value};

const FLOW: &str = "EmailApprovalStateMachine";
const LONG: Duration = Duration::from_secs(90);
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";
const CAT: &str = "cat@example.com";
const TEAM: [&str; 3] = [ANN, BEN, CAT];

/// Starts the email flow for `approvers` with the team-decision fields of `extra`.
async fn ask(title: &str, approvers: &[&str], extra: Value) -> String {
    let mut input = json!({"title": title, "description": "Resize to db.r6g.large.",
        "approvers": approvers});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    start_execution(FLOW, input).await
}

/// The request a personal link is for (`…/decisions/{id}?…`).
fn approval_id_of(link: &str) -> String {
    let path = link.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

/// The votes the store holds for the request (`voteCount`), and its decision ("" if open).
async fn stored(approval_id: &str) -> (String, String) {
    let item = approval_record(approval_id).await;
    (attr(&item, "voteCount"), attr(&item, "decision"))
}

fn email_vote(approver: &str, decision: &str) -> VoteSeen {
    VoteSeen {
        approver: approver.into(),
        decision: decision.into(),
        by: approver.into(),
        channel: "email".into(),
        verified: true,
    }
}

#[tokio::test]
async fn two_of_three_by_email_counts_the_first_vote_and_settles_on_the_second() {
    let title = unique("Resize db-quorum");
    let arn = ask(&title, &TEAM, json!({"quorum": {"approvals": 2}})).await;
    let links = personal_links(&title, &TEAM).await;
    let id = approval_id_of(&links[ANN].approve);

    let first = confirm(&links[ANN].approve, &[("comment", "fine by me")]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body.contains("Your approval is counted"),
        "{}",
        first.body
    );
    let progress = "1 of 2 approved; waiting for ben@example.com, cat@example.com";
    assert!(first.body.contains(progress), "{}", first.body);

    // Ann again, through her other link: told she voted, and nothing changes.
    for page in [
        get(&links[ANN].reject).await,
        confirm(&links[ANN].reject, &[]).await,
    ] {
        assert_eq!(page.status, 409, "{}", page.body);
        assert!(page.body.contains("You voted already"), "{}", page.body);
        assert!(
            page.body.contains("a second vote changes nothing"),
            "{}",
            page.body
        );
    }
    assert_eq!(stored(&id).await, ("1".into(), String::new()));
    assert_eq!(execution_status(&arn).await, "RUNNING");

    let second = confirm(&links[BEN].approve, &[]).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(
        second.body.contains("settles the request"),
        "{}",
        second.body
    );

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    let decision = &end.output["decision"];
    assert_eq!(decision["decision"], "approve", "{decision}");
    assert_eq!(
        decision["decidedBy"]["id"], BEN,
        "the settling vote: {decision}"
    );
    let votes = votes_of(decision);
    assert_eq!(
        votes,
        vec![email_vote(ANN, "approve"), email_vote(BEN, "approve")]
    );
    assert_eq!(decision["votes"][0]["comment"], "fine by me", "{decision}");
    let tally = json!({"approvals": 2, "rejections": 0, "approvalsRequired": 2,
        "rejectionsRequired": 1, "waitingFor": [CAT]});
    assert_eq!(decision["tally"], tally, "{decision}");
    assert_eq!(resumes(&arn).await, 1);

    cats_link_shows_the_votes(&links[CAT], &id).await;
}

/// After a settlement the third approver's link shows the outcome and every vote (not the
/// comments), and their click changes nothing.
async fn cats_link_shows_the_votes(cat: &Personal, id: &str) {
    let page = get(&cat.approve).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("already decided"), "{}", page.body);
    assert!(page.body.contains("the deciding vote was"), "{}", page.body);
    for voter in [ANN, BEN] {
        assert!(page.body.contains(voter), "{voter} listed: {}", page.body);
    }
    assert!(
        !page.body.contains("fine by me"),
        "comments stay private: {}",
        page.body
    );
    let late = confirm(&cat.reject, &[]).await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(
        late.body.contains("a vote now changes nothing"),
        "{}",
        late.body
    );
    assert_eq!(stored(id).await, ("2".into(), "approve".into()));
}

#[tokio::test]
async fn one_reject_vetoes_a_two_of_three_request_at_once() {
    let title = unique("Resize db-veto");
    let arn = ask(&title, &TEAM, json!({"quorum": {"approvals": 2}})).await;
    let links = personal_links(&title, &TEAM).await;
    let page = confirm(&links[BEN].reject, &[("comment", "not this week")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("settles the request"), "{}", page.body);

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "rejected", "{end:?}");
    let decision = &end.output["decision"];
    assert_eq!(decision["decision"], "reject", "{decision}");
    assert_eq!(votes_of(decision), vec![email_vote(BEN, "reject")]);
    assert_eq!(
        decision["tally"]["waitingFor"],
        json!([ANN, CAT]),
        "{decision}"
    );
    assert_eq!(resumes(&arn).await, 1);
}

#[tokio::test]
async fn the_requester_may_not_vote_and_all_means_all_the_others() {
    const DAVE: &str = "dave@example.com";
    let title = unique("Resize db-requester");
    let people = [DAVE, ANN, BEN];
    let quorum = json!({"quorum": {"approvals": "all"}, "requestedBy": DAVE});
    let arn = ask(&title, &people, quorum).await;
    let links = personal_links(&title, &[ANN, BEN]).await;
    let id = approval_id_of(&links[ANN].approve);

    // Dave asked for it: he is sent no links, and a link signed for his place is refused.
    assert!(
        !emails_now(&title).await.iter().any(|e| e.to == [DAVE]),
        "the requester is not asked"
    );
    let own = signed_link(&id, approvals::Decision::Approve, 0).await;
    let page = confirm(&own, &[]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains("You asked for this approval"),
        "{}",
        page.body
    );
    assert_eq!(
        stored(&id).await,
        ("0".into(), String::new()),
        "nothing recorded"
    );

    let first = confirm(&links[ANN].approve, &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    // "all" is the two others: the requester is not waited for.
    let progress = "1 of 2 approved; waiting for ben@example.com.";
    assert!(first.body.contains(progress), "{}", first.body);
    assert_eq!(execution_status(&arn).await, "RUNNING");
    assert_eq!(confirm(&links[BEN].approve, &[]).await.status, 200);

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    let decision = &end.output["decision"];
    let votes = votes_of(decision);
    assert_eq!(
        votes,
        vec![email_vote(ANN, "approve"), email_vote(BEN, "approve")]
    );
    assert_eq!(decision["tally"]["approvalsRequired"], 2, "{decision}");
    assert_eq!(decision["tally"]["waitingFor"], json!([]), "{decision}");
}

/// Three approvers of a three-of-three request approve at the same moment.
async fn all_at_once(round: usize) {
    let title = unique(&format!("Resize db-race{round}"));
    let arn = ask(&title, &TEAM, json!({"quorum": {"approvals": "all"}})).await;
    let links = personal_links(&title, &TEAM).await;
    let id = approval_id_of(&links[ANN].approve);
    let (a, b, c) = tokio::join!(
        confirm(&links[ANN].approve, &[]),
        confirm(&links[BEN].approve, &[]),
        confirm(&links[CAT].approve, &[])
    );
    let pages = [a, b, c];
    let statuses: Vec<u16> = pages.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [200, 200, 200], "round {round}: every vote taken");
    let settling = pages
        .iter()
        .filter(|p| p.body.contains("settles the request"))
        .count();
    let counted = pages
        .iter()
        .filter(|p| p.body.contains("Your approval is counted"))
        .count();
    assert_eq!((settling, counted), (1, 2), "round {round}");

    let end = wait_for_end(&arn, LONG).await;
    assert_eq!(end.output["outcome"], "approved", "round {round}: {end:?}");
    let mut voters: Vec<String> = votes_of(&end.output["decision"])
        .into_iter()
        .map(|v| v.by)
        .collect();
    voters.sort();
    assert_eq!(voters, TEAM, "round {round}: no vote lost or counted twice");
    assert_eq!(end.output["decision"]["tally"]["approvals"], 3);
    assert_eq!(resumes(&arn).await, 1, "round {round}: resumed once");
    assert_eq!(stored(&id).await, ("3".into(), "approve".into()));
    // The audit trail: the request, each vote once, one settlement (then its delivery).
    let kinds = audit_kinds(&id, 6).await;
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(count("Vote Counted"), 3, "round {round}: {kinds:?}");
    assert_eq!(count("Approval Decided"), 1, "round {round}: {kinds:?}");
    assert_eq!(count("Decision Delivered"), 1, "round {round}: {kinds:?}");
    println!("round {round}: 3 votes, one resume; audit {kinds:?}");
}

#[tokio::test]
async fn three_approvers_voting_at_once_are_all_counted_and_resume_once() {
    let rounds: Vec<_> = (0..4).map(|r| tokio::spawn(all_at_once(r))).collect();
    for round in rounds {
        round.await.unwrap();
    }
}
