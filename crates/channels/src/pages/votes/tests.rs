//! What the pages of a request with a quorum show: the progress while it is open, each vote
//! (who, what, when, where), and why a vote does not count.

use approvals::quorum::{Quorum, Vote};
use approvals::use_cases::{Delivery, LinkView, NoSlotReason};
use approvals::{ApprovalRecord, Channel, DecidedBy, Decision, LinkSigner, RecordedDecision};

use crate::pages::render;

const NOW: i64 = 1_800_000_000;

/// Alice, Bob and Carol named, Dave asked; `approvals` of them must approve.
fn record(approvals: u32, rejections: u32) -> ApprovalRecord {
    let mut r = ApprovalRecord::new(
        "a-1",
        "Drop the db".into(),
        Channel::Email,
        NOW,
        NOW + 600,
        1,
    );
    r.approvers = ["alice", "bob", "carol", "dave"]
        .map(|n| format!("{n}@corp.com"))
        .to_vec();
    r.requested_by = Some("dave@corp.com".into());
    r.quorum = Some(Quorum {
        approvals,
        rejections,
    });
    r
}

fn vote(who: &str, slot: &str, decision: Decision, channel: Channel, at: i64) -> Vote {
    Vote {
        slot: slot.into(),
        decision: RecordedDecision {
            decision,
            decided_by: DecidedBy {
                id: who.into(),
                name: who.into(),
                channel,
            },
            decided_at: at,
            comment: Some(format!("<b>{who}</b> says ok")),
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: None,
            action: None,
            follow_up: None,
            submission_id: None,
        },
    }
}

fn alices() -> Vote {
    vote(
        "alice@corp.com",
        "alice@corp.com",
        Decision::Approve,
        Channel::Email,
        NOW + 5,
    )
}

fn confirm(record: ApprovalRecord, approver: &str) -> LinkView {
    let signer = LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap();
    let url = signer.link_url("h", "a-1", Decision::Approve, NOW + 600, Some(1));
    let params =
        approvals::approval_links::LinkParams::from_urlencoded(url.split_once('?').unwrap().1);
    let link = signer.verify("a-1", &params, NOW).unwrap();
    LinkView::Confirm {
        record,
        link,
        params,
        approver: Some(approver.into()),
        submission: "5ub".into(),
    }
}

#[test]
fn the_form_shows_the_progress_and_how_rejections_count() {
    let mut r = record(2, 1);
    r.votes.push(alices());
    let page = render(&confirm(r, "bob@corp.com"));
    assert_eq!(page.status, 200);
    let html = &page.html;
    assert!(
        html.contains("1 of 2 approved; waiting for bob@corp.com, carol@corp.com."),
        "{html}"
    );
    assert!(html.contains("One reject rejects the request"), "{html}");
    assert!(
        html.contains("You are voting as <strong>bob@corp.com</strong>."),
        "{html}"
    );
    assert!(html.contains("id=\"confirm\""), "the form is there");
    assert!(html.contains("<h1>Confirm your vote</h1>"), "{html}");
    // Another request counts rejections: it says how many.
    let page = render(&confirm(record(2, 2), "bob@corp.com"));
    assert!(
        page.html.contains("2 rejects reject the request"),
        "{}",
        page.html
    );
    // A comment is never shown on a page any holder of a link may open.
    assert!(!html.contains("says ok"), "{html}");
}

#[test]
fn an_escalation_target_is_told_whose_stead_they_vote_in() {
    let mut r = record(2, 1);
    r.reminder_state.escalated_at = Some(NOW + 1);
    let page = render(&confirm(r, "lead@corp.com"));
    assert!(
        page.html.contains(
            "You are voting as <strong>lead@corp.com</strong>, in place of an approver who has not voted (the request was escalated)."
        ),
        "{}",
        page.html
    );
}

#[test]
fn a_counted_vote_says_how_far_the_request_is() {
    let mut r = record(3, 1);
    r.votes.push(alices());
    r.votes.push(vote(
        "bob@corp.com",
        "bob@corp.com",
        Decision::Approve,
        Channel::Slack,
        NOW + 7,
    ));
    let page = render(&LinkView::Counted {
        vote: r.votes[1].clone(),
        record: r,
    });
    assert_eq!(page.status, 200);
    let html = &page.html;
    assert!(html.contains("Your approval is counted"), "{html}");
    assert!(
        html.contains("2 of 3 approved; waiting for carol@corp.com."),
        "{html}"
    );
    assert!(
        html.contains("You approved at 2027-01-15T08:00:07Z in Slack."),
        "{html}"
    );
}

#[test]
fn a_second_vote_is_told_the_first_stands() {
    // Rejects need two: Bob's one reject leaves the request open.
    let mut open = record(2, 2);
    open.votes.push(vote(
        "bob@corp.com",
        "bob@corp.com",
        Decision::Reject,
        Channel::Teams,
        NOW + 9,
    ));
    let page = render(&LinkView::AlreadyVoted {
        vote: open.votes[0].clone(),
        record: open,
    });
    assert_eq!(page.status, 409);
    assert!(
        page.html.contains(
            "You rejected at 2027-01-15T08:00:09Z in Teams; a second vote changes nothing."
        ),
        "{}",
        page.html
    );
    assert!(
        page.html.contains(
            "0 of 2 approved, 1 of 2 rejected; waiting for alice@corp.com, carol@corp.com."
        ),
        "{}",
        page.html
    );
}

#[test]
fn a_vote_that_cannot_count_is_told_why() {
    let lead = vote(
        "lead@corp.com",
        "alice@corp.com",
        Decision::Approve,
        Channel::Email,
        NOW + 11,
    );
    for (reason, why) in [
        (NoSlotReason::Requester, "You asked for this approval, so you cannot vote on it"),
        (NoSlotReason::NotEscalated, "This request has not been escalated to you"),
        (
            NoSlotReason::FilledBy(Box::new(lead.clone())),
            "Your place was filled after the request was escalated: lead@corp.com approved at 2027-01-15T08:00:11Z by email.",
        ),
        (NoSlotReason::NotAnApprover, "You are not one of the approvers"),
    ] {
        let page = render(&LinkView::NoSlot {
            record: record(2, 1),
            reason,
        });
        assert_eq!(page.status, 403);
        assert!(page.html.contains(why), "{why} in {}", page.html);
        assert!(page.html.contains("Nothing was recorded."));
        assert!(!page.html.contains("id=\"confirm\""), "no form");
    }
}

/// Alice approved by email, the lead (escalated) in Bob's slot, Carol's vote in Slack settled it.
fn settled() -> ApprovalRecord {
    let mut r = record(3, 1);
    r.votes = vec![
        alices(),
        vote(
            "lead@corp.com",
            "bob@corp.com",
            Decision::Approve,
            Channel::Email,
            NOW + 6,
        ),
        vote(
            "carol@corp.com",
            "carol@corp.com",
            Decision::Approve,
            Channel::Slack,
            NOW + 8,
        ),
    ];
    r.decision = Some(r.votes[2].decision.clone());
    r
}

#[test]
fn the_settling_voter_sees_every_vote_with_its_comment() {
    let page = render(&LinkView::Recorded {
        record: settled(),
        delivery: Delivery::Delivered,
    });
    let html = &page.html;
    assert!(
        html.contains("your vote is recorded and settles the request"),
        "{html}"
    );
    assert!(
        html.contains(
            "Approved at 2027-01-15T08:00:08Z: the deciding vote was carol@corp.com's, in Slack."
        ),
        "{html}"
    );
    for line in [
        "<strong>alice@corp.com</strong>: approved at 2027-01-15T08:00:05Z by email",
        "<strong>bob@corp.com</strong> (filled by lead@corp.com after the escalation): approved at 2027-01-15T08:00:06Z by email",
        "<strong>carol@corp.com</strong>: approved at 2027-01-15T08:00:08Z in Slack",
    ] {
        assert!(html.contains(line), "{line} in {html}");
    }
    assert!(
        html.contains("&lt;b&gt;carol@corp.com&lt;/b&gt; says ok"),
        "escaped: {html}"
    );
    assert!(
        !html.contains("waiting for"),
        "settled: nobody is waited for"
    );
}

#[test]
fn the_decided_page_lists_the_votes_without_what_was_typed() {
    let page = render(&LinkView::AlreadyDecided { record: settled() });
    assert_eq!(page.status, 409);
    let html = &page.html;
    assert!(
        html.contains("the deciding vote was carol@corp.com's, in Slack."),
        "{html}"
    );
    assert!(
        html.contains("<strong>alice@corp.com</strong>: approved at"),
        "{html}"
    );
    assert!(html.contains("a vote now changes nothing"), "{html}");
    assert!(
        !html.contains("yours was not recorded"),
        "a voter's vote may be in the list"
    );
    assert!(
        !html.contains("says ok"),
        "comments stay off a page any link holder opens"
    );
}

/// A request made by links and posted to Slack and Teams: Bob's Slack click and Carol's card
/// action fill the slots their addresses key, and are theirs (not "filled by").
#[test]
fn a_vote_cast_in_slack_or_teams_fills_its_own_address_slot() {
    let mut r = record(3, 1);
    r.slack_approvers = ["", "U0BOB", "", ""].map(String::from).to_vec();
    r.teams_approvers = ["alice", "bob", "carol", "dave"]
        .map(|n| approvals::TeamsUser {
            object_id: format!("oid-{n}"),
            name: n.into(),
            user_principal_name: None,
            tenant_id: "t".into(),
        })
        .to_vec();
    r.votes.push(alices());
    r.votes.push(vote(
        "U0BOB",
        "bob@corp.com",
        Decision::Approve,
        Channel::Slack,
        NOW + 6,
    ));
    r.votes.push(vote(
        "oid-carol",
        "carol@corp.com",
        Decision::Reject,
        Channel::Teams,
        NOW + 7,
    ));
    let html = render(&LinkView::AlreadyVoted {
        vote: r.votes[0].clone(),
        record: r,
    })
    .html;
    assert!(!html.contains("filled by"), "{html}");
    assert!(
        html.contains("<strong>bob@corp.com</strong>: approved at 2027-01-15T08:00:06Z in Slack"),
        "{html}"
    );
    assert!(
        html.contains("<strong>carol@corp.com</strong>: rejected at 2027-01-15T08:00:07Z in Teams"),
        "{html}"
    );
}
