//! A team decision's actors: approvers voting through the real Slack click
//! (`use_cases::slack_click::handle_click`) and the real link POST (`use_cases::decide`), the
//! same person voting twice, the real reminder pass (`use_cases::reminders`) and an escalation
//! target voting through its personal link; and the log their calls leave for the invariants.

use std::fmt;

use approvals::ports::SlackMessenger;
use approvals::use_cases::reminders::{send_due_reminders, ReminderChannels};
use approvals::use_cases::slack_click::{handle_click, Chat, Click, ClickOutcome, Interaction};
use approvals::use_cases::{decide, ClientInfo, Delivery, LinkView, SUBMISSION_FIELD};
use approvals::{
    Channel, DecidedBy, Decision, LinkSigner, MessageRef, RecordedDecision, SlackUser, SlackUserId,
};

use super::actors::Told;
use super::formats::Plain;
use super::gate::Gate;
use super::world::{EXPIRES, ID};

/// The named approvers, one slot each: Alice by her Slack user id, Bob and Carol by address.
pub const APPROVERS: [&str; 3] = ["U0ALICE", "bob@corp.com", "carol@corp.com"];
/// Who may fill an unfilled slot once the request escalated (personal link index 3).
pub const ESCALATE_TO: &str = "lead@corp.com";
pub const KEYS: &str = "k1:0123456789abcdef0123456789abcdef";

/// Who votes: an approver, or the escalation target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    Alice,
    Bob,
    Carol,
    Lead,
}

impl Who {
    /// The identity a vote is recorded with (the Slack user id, or the link's approver).
    pub fn id(self) -> &'static str {
        match self {
            Who::Lead => ESCALATE_TO,
            _ => APPROVERS[self.index()],
        }
    }

    /// The index their personal link is signed for (`ApprovalRecord::link_approver`).
    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Via {
    /// A click on the request's Slack message.
    Slack,
    /// The confirmation page's POST from their personal email link.
    Link,
}

/// One vote as a person casts it; `nth` tells a second vote of the same person apart (a
/// second click: Slack resending it, a double click, or a change of mind).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Voter {
    pub who: Who,
    pub via: Via,
    pub approve: bool,
    pub nth: u8,
}

impl fmt::Debug for Voter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.approve { "approves" } else { "rejects" };
        let again = if self.nth > 1 { " again" } else { "" };
        write!(f, "{:?} {what} by {:?}{again}", self.who, self.via)
    }
}

impl Voter {
    pub const fn new(who: Who, via: Via, approve: bool) -> Self {
        Voter {
            who,
            via,
            approve,
            nth: 1,
        }
    }

    /// The same person voting once more (`approve` may differ).
    pub const fn again(self, approve: bool) -> Self {
        Voter {
            approve,
            nth: self.nth + 1,
            ..self
        }
    }

    fn decision(self) -> Decision {
        match self.approve {
            true => Decision::Approve,
            false => Decision::Reject,
        }
    }
}

/// Everything a team's calls saw when they happened, for the invariants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TeamLog {
    /// Voters whose vote write answered `Counted` or `Recorded`, in order.
    pub counted: Vec<String>,
    /// Reminders claimed.
    pub claims: Vec<Claim>,
    /// Reminders composed to be sent.
    pub sends: Vec<Sent>,
    /// A rule broken at the moment of a call (what the record was just before it).
    pub broken: Vec<String>,
    /// What each chat message of a request made by Create Approval Links shows last, by
    /// `channel/ts` (the relay's notifier and a click's own updates).
    pub shown: std::collections::BTreeMap<String, String>,
}

/// A reminder claim that succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claim {
    /// The reminder's number (reminders sent, this one included).
    pub number: u32,
    /// The record was settled when the claim was written.
    pub after_settlement: bool,
    /// The slots filled when it was claimed (lower-cased keys).
    pub filled: Vec<String>,
}

/// A reminder as it goes out, composed from the read just before it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sent {
    pub number: u32,
    /// The record was settled when the reminder was composed (its send started).
    pub settled_then: bool,
    /// It says who decided instead of asking.
    pub says_decided: bool,
    /// Who it asks (slot labels), and the escalation targets it asks.
    pub asks: Vec<String>,
    /// The slots filled when it was composed.
    pub filled_then: Vec<String>,
}

pub fn recorded(voter: Voter, channel: Channel, now: i64) -> RecordedDecision {
    let id = voter.who.id();
    let slack_user = (voter.via == Via::Slack).then(|| SlackUser {
        id: id.into(),
        username: format!("{:?}", voter.who).to_lowercase(),
        team_id: Some("T1".into()),
    });
    RecordedDecision {
        decision: voter.decision(),
        decided_by: DecidedBy {
            id: id.into(),
            name: id.into(),
            channel,
        },
        decided_at: now,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    }
}

/// `handle_click`: the click's checks and its write, then delivery, the message's update
/// (Slack's calls answer at once: only the store and Step Functions are shared) and the note.
async fn slack_vote(gate: &Gate<'_>, voter: Voter, now: i64) -> Told {
    let click = Click {
        approval_id: ID.into(),
        message: MessageRef {
            channel: "C1".into(),
            ts: "1.1".into(),
        },
        user_id: SlackUserId::from(voter.who.id()),
        teams: vec!["T1".into()],
        decision: recorded(voter, Channel::Slack, now),
        blocks: Vec::new(),
        trigger_id: None,
    };
    let slack: &dyn SlackMessenger = gate;
    let chat = Chat {
        slack,
        format: &Plain,
    };
    match handle_click(Interaction::Click(click), gate, gate, chat, now).await {
        Ok(ClickOutcome::Decided { delivered, .. }) => Told::Voted {
            outcome: "decided",
            delivered,
        },
        Ok(ClickOutcome::Counted { .. }) => voted("counted"),
        Ok(ClickOutcome::Refused { error, .. }) => voted(error),
        Ok(ClickOutcome::Asked { .. }) => voted("asked"),
        Ok(ClickOutcome::Ignored) => voted("ignored"),
        Err(err) => voted(err.name()),
    }
}

fn voted(outcome: &'static str) -> Told {
    Told::Voted {
        outcome,
        delivered: false,
    }
}

/// `decide`: the signed form of the voter's personal link, posted (the same form again for a
/// second vote would be the same vote; `nth` makes it another submission).
async fn link_vote(gate: &Gate<'_>, voter: Voter, now: i64) -> Told {
    let signer = LinkSigner::from_config(KEYS).expect("keys");
    let url = signer.link_url("h", ID, voter.decision(), EXPIRES, Some(voter.who.index()));
    let query = url.split_once('?').expect("a query").1;
    let form = format!("{query}&{SUBMISSION_FIELD}=s-{:?}-{}", voter.who, voter.nth);
    let client = ClientInfo::default();
    let view = decide(ID, &form, client, &signer, gate, gate, now).await;
    let delivered = matches!(
        view,
        LinkView::Recorded {
            delivery: Delivery::Delivered,
            ..
        }
    );
    Told::Voted {
        outcome: view.kind(),
        delivered,
    }
}

pub async fn vote(gate: &Gate<'_>, voter: Voter, now: i64) -> Told {
    match voter.via {
        Via::Slack => slack_vote(gate, voter, now).await,
        Via::Link => link_vote(gate, voter, now).await,
    }
}

/// One run of the reminder function: every reminder due, claimed and sent in the request's
/// Slack thread (the post answers at once; the reminder is logged as it is composed).
pub async fn remind(gate: &Gate<'_>, now: i64) -> Told {
    let channels = ReminderChannels {
        mail: None,
        slack: Some(gate),
        bot: None,
        format: gate,
        on_failure: &|_| {},
    };
    match send_due_reminders(gate, &channels, now, 10, &|| true).await {
        Ok(report) => Told::Reminded {
            sent: report.reminded.len() as u8,
            decided_meanwhile: report.decided_meanwhile.len() as u8,
        },
        Err(err) => voted(err.name()),
    }
}
