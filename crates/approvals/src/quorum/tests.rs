use super::*;
use crate::{Channel, DecidedBy, TeamsUser};

fn record(approvers: &[&str], quorum: Option<Quorum>) -> ApprovalRecord {
    let mut r = ApprovalRecord::new("a-1", "t".into(), Channel::Email, 0, 100, 1);
    r.approvers = approvers.iter().map(|a| a.to_string()).collect();
    r.quorum = quorum;
    r
}

fn vote(who: &str, decision: Decision) -> RecordedDecision {
    RecordedDecision {
        decision,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: 1,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        follow_up: None,
        submission_id: None,
    }
}

/// Applies a cast as the stores do.
fn apply(r: &mut ApprovalRecord, d: RecordedDecision) -> Cast {
    let cast = cast(r, &d);
    match &cast {
        Cast::Counted(v) => r.votes.push(v.clone()),
        Cast::Settles(v) => {
            r.votes.push(v.clone());
            r.decision = Some(v.decision.clone());
        }
        _ => {}
    }
    cast
}

const TWO_OF_THREE: Quorum = Quorum {
    approvals: 2,
    rejections: 1,
};

#[test]
fn two_of_three_settles_on_the_second_approval_and_lists_who_is_left() {
    let mut r = record(&["a@x.io", "b@x.io", "c@x.io"], Some(TWO_OF_THREE));
    assert!(matches!(
        apply(&mut r, vote("a@x.io", Decision::Approve)),
        Cast::Counted(_)
    ));
    let tally = tally_of(&r).unwrap();
    assert_eq!((tally.approvals, tally.waiting_for.len()), (1, 2));
    assert!(matches!(
        apply(&mut r, vote("A@x.io", Decision::Reject)),
        Cast::AlreadyVoted(_)
    ));
    assert!(matches!(
        apply(&mut r, vote("c@x.io", Decision::Approve)),
        Cast::Settles(_)
    ));
    assert_eq!(
        tally_of(&r).unwrap().waiting_for,
        vec!["b@x.io".to_string()]
    );
}

#[test]
fn a_reject_vetoes_unless_rejects_have_a_quorum_and_unreachable_approvals_reject() {
    let mut r = record(&["a@x.io", "b@x.io", "c@x.io"], Some(TWO_OF_THREE));
    assert!(matches!(
        apply(&mut r, vote("b@x.io", Decision::Reject)),
        Cast::Settles(_)
    ));
    let quorum = Quorum {
        approvals: 3,
        rejections: 2,
    };
    let mut r = record(&["a@x.io", "b@x.io", "c@x.io"], Some(quorum));
    // One reject of three: all three can no longer approve.
    assert!(matches!(
        apply(&mut r, vote("b@x.io", Decision::Reject)),
        Cast::Settles(_)
    ));
    let quorum = Quorum {
        approvals: 2,
        rejections: 2,
    };
    let mut r = record(&["a@x.io", "b@x.io", "c@x.io", "d@x.io"], Some(quorum));
    assert!(matches!(
        apply(&mut r, vote("b@x.io", Decision::Reject)),
        Cast::Counted(_)
    ));
    assert!(matches!(
        apply(&mut r, vote("c@x.io", Decision::Reject)),
        Cast::Settles(_)
    ));
    assert_eq!(r.decision.unwrap().decision, Decision::Reject);
}

#[test]
fn the_requester_never_votes_and_others_have_no_slot() {
    let mut r = record(&["a@x.io", "b@x.io", "c@x.io"], Some(TWO_OF_THREE));
    r.requested_by = Some("a@x.io".into());
    assert_eq!(slots(&r).len(), 2);
    assert_eq!(
        apply(&mut r, vote("a@x.io", Decision::Approve)),
        Cast::NoSlot
    );
    assert_eq!(
        apply(&mut r, vote("z@x.io", Decision::Approve)),
        Cast::NoSlot
    );
    assert!(!may_vote(&r, &vote("a@x.io", Decision::Approve)));
}

#[test]
fn an_escalation_target_fills_one_unfilled_slot_once_escalated() {
    let mut r = record(
        &["a@x.io", "b@x.io"],
        Some(Quorum {
            approvals: 2,
            rejections: 1,
        }),
    );
    r.reminders = Some(Reminders {
        every_seconds: 60,
        escalate_after: Some(1),
        escalate_to: vec!["lead@x.io".into()],
    });
    assert_eq!(
        apply(&mut r, vote("lead@x.io", Decision::Approve)),
        Cast::NoSlot
    );
    r.reminder_state.escalated_at = Some(5);
    assert!(
        matches!(apply(&mut r, vote("lead@x.io", Decision::Approve)), Cast::Counted(v) if v.slot == "a@x.io")
    );
    // The lead counts once; a's slot is filled, so a has nothing to fill.
    assert!(matches!(
        apply(&mut r, vote("lead@x.io", Decision::Approve)),
        Cast::AlreadyVoted(_)
    ));
    assert_eq!(
        apply(&mut r, vote("a@x.io", Decision::Approve)),
        Cast::NoSlot
    );
    assert!(matches!(
        apply(&mut r, vote("b@x.io", Decision::Approve)),
        Cast::Settles(_)
    ));
}

#[test]
fn teams_slots_are_object_ids_shown_by_their_principal_name() {
    let mut r = record(
        &["ann@x.io"],
        Some(Quorum {
            approvals: 1,
            rejections: 1,
        }),
    );
    r.origin = Channel::Teams;
    r.teams_approvers = vec![TeamsUser {
        object_id: "OID-1".into(),
        name: "Ann".into(),
        user_principal_name: Some("ann@x.io".into()),
        tenant_id: "t".into(),
    }];
    assert_eq!(slots(&r)[0].key, "oid-1");
    assert_eq!(slots(&r)[0].label, "ann@x.io");
    let mut clicked = vote("OID-1", Decision::Approve);
    clicked.decided_by.channel = Channel::Teams;
    assert!(matches!(apply(&mut r, clicked), Cast::Settles(v) if v.slot == "oid-1"));
}

#[test]
fn quorum_input_is_checked_against_the_slots() {
    let q = |json: serde_json::Value| -> QuorumInput { serde_json::from_value(json).unwrap() };
    let rules = TeamRules::check(
        Some(q(serde_json::json!({"approvals": "all"}))),
        None,
        None,
        3,
        false,
    )
    .unwrap();
    assert_eq!(
        rules.quorum,
        Some(Quorum {
            approvals: 3,
            rejections: 1
        })
    );
    let first = TeamRules::check(
        Some(q(serde_json::json!({"approvals": "first"}))),
        None,
        None,
        3,
        false,
    )
    .unwrap();
    assert_eq!(first.quorum, None);
    for (json, slots, custom, says) in [
        (
            serde_json::json!({"approvals": 4}),
            3,
            false,
            "quorum.approvals",
        ),
        (
            serde_json::json!({"approvals": 2, "rejections": 0}),
            3,
            false,
            "quorum.rejections",
        ),
        (
            serde_json::json!({"approvals": 1}),
            0,
            false,
            "named approvers",
        ),
        (
            serde_json::json!({"approvals": 1}),
            2,
            true,
            "buttons of its own",
        ),
    ] {
        let err = TeamRules::check(Some(q(json)), None, None, slots, custom).unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
    let bad: Result<QuorumInput, _> = serde_json::from_value(serde_json::json!({"aprovals": 2}));
    assert!(bad.unwrap_err().to_string().contains("aprovals"));
}

#[test]
fn a_teams_approver_s_email_link_fills_their_one_slot_and_their_card_vote_is_theirs() {
    let mut r = record(
        &["ann@x.io", "bob@x.io"],
        Some(Quorum {
            approvals: 2,
            rejections: 1,
        }),
    );
    r.origin = Channel::Teams;
    r.teams_approvers = ["ann", "bob"]
        .iter()
        .map(|who| TeamsUser {
            object_id: format!("OID-{who}"),
            name: who.to_string(),
            user_principal_name: Some(format!("{who}@corp.onmicrosoft.com")),
            tenant_id: "t".into(),
        })
        .collect();
    let mut card = vote("OID-ann", Decision::Approve);
    card.decided_by.channel = Channel::Teams;
    assert!(matches!(apply(&mut r, card), Cast::Counted(v) if v.slot == "oid-ann"));
    // Ann's email link (her address, not her UPN) is Ann: already voted, not a second slot.
    assert!(matches!(
        apply(&mut r, vote("ann@x.io", Decision::Approve)),
        Cast::AlreadyVoted(_)
    ));
    // Bob's email link fills Bob's slot.
    assert!(
        matches!(apply(&mut r, vote("bob@x.io", Decision::Approve)), Cast::Settles(v) if v.slot == "oid-bob")
    );
}

/// A request made by Create Approval Links and posted to Slack and Teams: each person's Slack
/// id and Entra object id are aliases of the slot their address keys, so one person counts
/// once whichever channel they use, a vote cast before a post keeps its slot, and the
/// requester's identity on a channel is barred there too.
#[test]
fn a_companion_channel_s_identities_fill_the_address_s_slot() {
    use crate::approval::ChannelIdentities;
    let mut r = record(
        &["ann@x.io", "bob@x.io", "cat@x.io"],
        Some(Quorum {
            approvals: 3,
            rejections: 1,
        }),
    );
    r.requested_by = Some("dan@x.io".into());
    assert!(
        matches!(apply(&mut r, vote("ann@x.io", Decision::Approve)), Cast::Counted(v) if v.slot == "ann@x.io")
    );
    r.set_channel_identities(&ChannelIdentities::Slack {
        approvers: vec!["U0ANN".into(), "U0BOB".into(), String::new()],
        requester: Some("U0DAN".into()),
    });
    r.set_channel_identities(&ChannelIdentities::Teams {
        approvers: ["ann", "bob", "cat"]
            .iter()
            .map(|who| TeamsUser {
                object_id: format!("OID-{who}"),
                name: who.to_string(),
                user_principal_name: Some(format!("{who}@corp.onmicrosoft.com")),
                tenant_id: "t".into(),
            })
            .collect(),
        requester: Some("OID-dan".into()),
    });
    assert_eq!(slots(&r)[0].key, "ann@x.io", "still keyed by address");
    let mut ann_in_slack = vote("U0ANN", Decision::Reject);
    ann_in_slack.decided_by.channel = Channel::Slack;
    assert!(matches!(apply(&mut r, ann_in_slack), Cast::AlreadyVoted(_)));
    let mut dan_in_slack = vote("U0DAN", Decision::Approve);
    dan_in_slack.decided_by.channel = Channel::Slack;
    assert!(
        !may_vote(&r, &dan_in_slack),
        "the requester's Slack id is barred"
    );
    let mut bob = vote("U0BOB", Decision::Approve);
    bob.decided_by.channel = Channel::Slack;
    assert!(matches!(apply(&mut r, bob), Cast::Counted(v) if v.slot == "bob@x.io"));
    let mut cat_card = vote("OID-cat", Decision::Approve);
    cat_card.decided_by.channel = Channel::Teams;
    assert!(matches!(apply(&mut r, cat_card), Cast::Settles(v) if v.slot == "cat@x.io"));
}

/// The requester named by another of their names (`requestedBy` is Bob's sign-in name, the
/// request names his mail): posting the request to Teams learns that Bob is the requester
/// there. That must not take his slot away after the quorum was checked (two slots stay, so
/// one approval of two settles nothing, let alone as approved); it only bars his Teams vote.
#[test]
fn identities_learnt_from_a_post_never_shrink_the_slots() {
    use crate::approval::ChannelIdentities;
    let mut r = record(
        &["alice@x.io", "bob@x.io"],
        Some(Quorum {
            approvals: 2,
            rejections: 1,
        }),
    );
    r.requested_by = Some("robert.smith@x.io".into());
    let user = |who: &str, upn: &str| TeamsUser {
        object_id: format!("OID-{who}"),
        name: who.to_string(),
        user_principal_name: Some(upn.into()),
        tenant_id: "t".into(),
    };
    r.set_channel_identities(&ChannelIdentities::Teams {
        approvers: vec![
            user("alice", "alice@x.io"),
            user("bob", "robert.smith@x.io"),
        ],
        requester: Some("OID-bob".into()),
    });
    assert_eq!(slots(&r).len(), 2, "both slots stay");
    assert!(matches!(
        apply(&mut r, vote("alice@x.io", Decision::Approve)),
        Cast::Counted(_)
    ));
    assert!(r.decision.is_none(), "one approval of two settles nothing");
    let mut bob_card = vote("OID-bob", Decision::Approve);
    bob_card.decided_by.channel = Channel::Teams;
    assert!(
        matches!(apply(&mut r, bob_card), Cast::NoSlot),
        "the requester's card vote"
    );
}

/// Two addresses of one person (both named as approvers) would fill two slots, one by each
/// link: posting the request to a channel that knows them as one person is refused, naming
/// both; people Slack does not know ("") are not taken for one another.
#[test]
fn one_person_named_twice_is_found_when_the_request_is_posted() {
    use crate::approval::ChannelIdentities;
    let approvers =
        ["bob@x.io", "ann@x.io", "robert@x.io", "cy@x.io", "dee@x.io"].map(String::from);
    let slack = |ids: [&str; 5]| ChannelIdentities::Slack {
        approvers: ids.map(String::from).to_vec(),
        requester: None,
    };
    let err = slack(["U0BOB", "U0ANN", "U0BOB", "", ""])
        .check_distinct(&approvers, "Slack")
        .unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput");
    assert!(
        err.to_string()
            .starts_with("bob@x.io and robert@x.io are one person in Slack"),
        "{err}"
    );
    let distinct = slack(["U0BOB", "U0ANN", "U0ROB", "", ""]);
    assert!(distinct.check_distinct(&approvers, "Slack").is_ok());
}
