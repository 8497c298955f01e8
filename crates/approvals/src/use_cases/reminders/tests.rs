//! Reminder runs against the in-memory store with its reminder index, fake channels and a
//! plain renderer (the real ones are `channels`'): who is asked, when, and what a fault does.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::json;

use super::*;
use crate::approval_links::LinkParams;
use crate::quorum::{Quorum, Reminders, Vote};
use crate::testing::{FakeEmailSender, FakeSlack, FakeStore, FakeTeamsBot};
use crate::use_cases::LinkView;
use crate::{DecidedBy, Decision, LinkSigner};

mod channels;
mod store;
use store::RemindingStore;

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;
const BASE: &str = "https://approvals.example.com";

fn decision(who: &str, d: Decision) -> RecordedDecision {
    RecordedDecision {
        decision: d,
        decided_by: DecidedBy {
            id: who.into(),
            name: who.into(),
            channel: Channel::Email,
        },
        decided_at: NOW,
        comment: None,
        source_ip: None,
        user_agent: None,
        slack_user: None,
        teams_user: None,
        action: None,
        submission_id: None,
        follow_up: None,
    }
}

/// Two of alice, bob and carol must approve; reminded hourly, escalated to the lead after two
/// reminders; open for a day; its first reminder due now.
fn team_request(origin: Channel) -> ApprovalRecord {
    let mut record = ApprovalRecord::new(
        "a-1",
        "Stop db-1".into(),
        origin,
        NOW - HOUR,
        NOW + 24 * HOUR,
        30,
    );
    record.approvers = ["alice@corp.com", "bob@corp.com", "carol@corp.com"]
        .map(String::from)
        .to_vec();
    record.quorum = Some(Quorum {
        approvals: 2,
        rejections: 1,
    });
    record.reminders = Some(Reminders {
        every_seconds: HOUR,
        escalate_after: Some(2),
        escalate_to: vec!["lead@corp.com".into()],
    });
    record.reminder_state.next_at = Some(NOW);
    record
}

fn vote(record: &mut ApprovalRecord, who: &str, d: Decision) {
    // Slots are keyed lower-cased (`quorum::slots`).
    record.votes.push(Vote {
        slot: who.to_ascii_lowercase(),
        decision: decision(who, d),
    });
}

/// A renderer that says what it was given, so the tests read it back.
struct Plain;

impl ReminderFormat for Plain {
    fn reminder_emails(
        &self,
        r: &Reminder,
        links: &CreateLinksOutput,
        from: &str,
    ) -> Result<Vec<OutgoingEmail>, HitlError> {
        Ok(links
            .links
            .iter()
            .map(|l| OutgoingEmail {
                from: from.into(),
                to: vec![l.approver.clone()],
                subject: format!("Reminder: {}", r.title),
                text: match &r.decided {
                    Some(d) => format!(
                        "already decided: {} by {}",
                        d.decision.past_tense(),
                        d.decided_by.name
                    ),
                    None => format!(
                        "#{} escalated={} {} {}",
                        r.number, r.escalated_now, l.approve_url, l.reject_url
                    ),
                },
                ..OutgoingEmail::default()
            })
            .collect())
    }
    fn slack_reminder(&self, r: &Reminder) -> SlackMessage {
        let text = match &r.decided {
            Some(d) => format!(
                "already decided: {} by {}",
                d.decision.past_tense(),
                d.decided_by.name
            ),
            None => format!(
                "#{} waiting {} escalation {}",
                r.number,
                r.waiting.join(","),
                r.escalation.join(",")
            ),
        };
        SlackMessage {
            text,
            ..SlackMessage::default()
        }
    }
    fn teams_reminder(&self, r: &Reminder) -> Value {
        json!({"waiting": r.waiting, "escalation": r.escalation, "decided": r.decided.is_some()})
    }
}

/// Sends only what it is not told to fail for (by recipient), keeping what went out.
#[derive(Default)]
struct Mailbox {
    sent: FakeEmailSender,
    refuse: Vec<String>,
}

#[async_trait]
impl EmailSender for Mailbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, HitlError> {
        if self.refuse.iter().any(|r| email.to.contains(r)) {
            return Err(HitlError::EmailRejected(format!(
                "{:?}: mailbox unavailable",
                email.to
            )));
        }
        self.sent.send(email).await
    }
}

impl Mailbox {
    fn to(&self) -> Vec<String> {
        self.sent
            .sent
            .lock()
            .unwrap()
            .iter()
            .flat_map(|e| e.to.clone())
            .collect()
    }
    fn texts(&self) -> Vec<String> {
        self.sent
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.text.clone())
            .collect()
    }
}

fn signer() -> LinkSigner {
    LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap()
}

/// Everything a run needs, with the failures counted.
struct World {
    store: RemindingStore,
    mail: Mailbox,
    slack: FakeSlack,
    bot: FakeTeamsBot,
    signer: LinkSigner,
    failures: AtomicUsize,
}

impl World {
    fn with(record: ApprovalRecord) -> World {
        let store = RemindingStore::default();
        store.put(record);
        World {
            store,
            mail: Mailbox::default(),
            slack: FakeSlack::default(),
            bot: FakeTeamsBot::default(),
            signer: signer(),
            failures: AtomicUsize::new(0),
        }
    }

    async fn run(&self, now: i64) -> ReminderReport {
        let on_failure = |_: &HitlError| {
            self.failures.fetch_add(1, Ordering::SeqCst);
        };
        let channels = ReminderChannels {
            mail: Some(ReminderMail {
                sender: &self.mail,
                from: "approvals@corp.com",
                links: LinkSettings {
                    signer: &self.signer,
                    base_url: BASE,
                    retention_days: 30,
                    origin: Channel::Email,
                },
            }),
            slack: Some(&self.slack),
            bot: Some(&self.bot),
            format: &Plain,
            on_failure: &on_failure,
        };
        send_due_reminders(&self.store, &channels, now, 100, &|| true)
            .await
            .unwrap()
    }

    fn record(&self) -> ApprovalRecord {
        self.store.record("a-1")
    }

    /// What the Decision API shows for the link `url` (a GET) at `now`.
    async fn view(&self, url: &str, now: i64) -> LinkView {
        let query = url.split_once('?').unwrap().1;
        crate::use_cases::view_link("a-1", query, &self.signer, &self.store, now).await
    }
}

/// The approver index (`a`) of each link in `text`.
fn link_indexes(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with(BASE))
        .map(|url| {
            LinkParams::from_urlencoded(url.split_once('?').unwrap().1)
                .approver_index
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn only_the_unfilled_slots_are_reminded_each_with_their_own_links() {
    let mut record = team_request(Channel::Email);
    vote(&mut record, "alice@corp.com", Decision::Approve);
    let world = World::with(record);
    let report = world.run(NOW).await;
    assert_eq!(
        world.mail.to(),
        ["bob@corp.com", "carol@corp.com"],
        "alice voted: not reminded"
    );
    let texts = world.mail.texts();
    assert_eq!(link_indexes(&texts[0]), ["1", "1"], "bob's own links");
    assert_eq!(link_indexes(&texts[1]), ["2", "2"], "carol's own links");
    assert!(texts[0].starts_with("#1 escalated=false"), "{}", texts[0]);
    assert_eq!(report.reminded, [ApprovalId::from("a-1")]);
    assert_eq!(report.messages_sent, 2);
    let state = world.record().reminder_state;
    assert_eq!(
        (state.sent, state.next_at, state.escalated_at),
        (1, Some(NOW + HOUR), None)
    );
    // A minute later nothing is due: the next reminder is in an hour.
    let again = world.run(NOW + 60).await;
    assert_eq!((again.reminded.len(), world.mail.to().len()), (0, 2));
}

#[tokio::test]
async fn a_first_answer_request_reminds_every_approver_but_the_requester() {
    let mut record = team_request(Channel::Email);
    record.quorum = None;
    record.requested_by = Some("carol@corp.com".into());
    let world = World::with(record);
    world.run(NOW).await;
    assert_eq!(world.mail.to(), ["alice@corp.com", "bob@corp.com"]);
}

#[tokio::test]
async fn nothing_is_sent_after_settlement_and_the_request_leaves_the_index() {
    let mut record = team_request(Channel::Email);
    vote(&mut record, "alice@corp.com", Decision::Approve);
    vote(&mut record, "bob@corp.com", Decision::Approve);
    record.decision = Some(decision("bob@corp.com", Decision::Approve));
    let world = World::with(record);
    let report = world.run(NOW).await;
    assert!(world.mail.to().is_empty(), "settled: nobody is reminded");
    assert_eq!((report.stopped, report.reminded.len()), (1, 0));
    assert_eq!(
        world.record().reminder_state.next_at,
        None,
        "out of the index"
    );
    assert_eq!(world.record().reminder_state.sent, 0);
}

#[tokio::test]
async fn an_expired_request_is_not_reminded_and_none_is_scheduled_past_the_expiry() {
    let mut record = team_request(Channel::Email);
    record.expires_at = NOW + HOUR / 2;
    let world = World::with(record);
    world.run(NOW).await;
    assert_eq!(world.mail.to().len(), 3);
    assert_eq!(
        world.record().reminder_state.next_at,
        None,
        "the next one would be after the expiry"
    );

    let mut expired = team_request(Channel::Email);
    expired.expires_at = NOW;
    let world = World::with(expired);
    let report = world.run(NOW).await;
    assert!(world.mail.to().is_empty());
    assert_eq!(report.stopped, 1);
}

#[tokio::test]
async fn a_claim_made_from_a_stale_read_sends_nothing() {
    let world = World::with(team_request(Channel::Email));
    // Another run claimed reminder 1 between this run's read and its claim.
    world
        .store
        .claim_reminder(&"a-1".into(), 0, 0, false, Some(NOW + HOUR), NOW)
        .await
        .unwrap()
        .unwrap();
    world.store.put_due("a-1", NOW);
    assert!(world
        .store
        .claim_reminder(&"a-1".into(), 0, 0, false, Some(NOW + HOUR), NOW)
        .await
        .unwrap()
        .is_none());
    // And a vote counted since the read: also refused.
    let mut voted = world.record();
    vote(&mut voted, "alice@corp.com", Decision::Approve);
    world.store.put(voted);
    assert!(world
        .store
        .claim_reminder(&"a-1".into(), 1, 0, false, None, NOW)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn the_request_escalates_after_the_set_number_of_reminders() {
    let world = World::with(team_request(Channel::Email));
    world.run(NOW).await;
    assert!(
        !world.mail.to().contains(&"lead@corp.com".to_string()),
        "not after one reminder"
    );
    let report = world.run(NOW + HOUR).await;
    assert_eq!(report.escalated, [ApprovalId::from("a-1")]);
    let to = world.mail.to();
    assert_eq!(
        &to[3..],
        [
            "alice@corp.com",
            "bob@corp.com",
            "carol@corp.com",
            "lead@corp.com"
        ]
    );
    let texts = world.mail.texts();
    assert!(texts[6].starts_with("#2 escalated=true"), "{}", texts[6]);
    assert_eq!(
        link_indexes(&texts[6]),
        ["3", "3"],
        "the lead's links: past the three approvers"
    );
    assert_eq!(world.record().reminder_state.escalated_at, Some(NOW + HOUR));
    // The third reminder asks the lead again, without escalating again.
    let third = world.run(NOW + 2 * HOUR).await;
    assert!(third.escalated.is_empty());
    assert!(world.mail.texts()[10].starts_with("#3 escalated=false"));
    assert_eq!(world.mail.to()[10], "lead@corp.com");
}

#[tokio::test]
async fn an_escalation_targets_link_names_them_only_once_the_request_escalated() {
    let world = World::with(team_request(Channel::Email));
    world.run(NOW).await;
    // The lead's link (index 3, past the three approvers), signed before the escalation.
    let early = world
        .signer
        .link_url(BASE, "a-1", Decision::Approve, NOW + 24 * HOUR, Some(3));
    let before = world.view(&early, NOW + HOUR).await;
    assert!(
        !matches!(before, LinkView::Confirm { .. }),
        "before the escalation: {before:?}"
    );
    world.run(NOW + HOUR).await;
    let lead = world.mail.texts()[6].clone();
    let url = lead
        .split_whitespace()
        .find(|w| w.starts_with(BASE))
        .unwrap();
    assert_eq!(
        url, early,
        "the link the escalation sends is that very link"
    );
    match world.view(url, NOW + HOUR).await {
        LinkView::Confirm { approver, .. } => {
            assert_eq!(approver.as_deref(), Some("lead@corp.com"))
        }
        other => panic!("after the escalation the lead's link asks to confirm: {other:?}"),
    }
}

#[tokio::test]
async fn a_reminder_in_flight_when_a_vote_settles_says_who_decided_instead() {
    let mut record = team_request(Channel::Email);
    vote(&mut record, "alice@corp.com", Decision::Approve);
    let world = World::with(record);
    // Bob's vote settles the request right after the claim, before the send.
    *world.store.after_claim.lock().unwrap() = Some(decision("bob@corp.com", Decision::Approve));
    let report = world.run(NOW).await;
    assert_eq!(report.decided_meanwhile, [ApprovalId::from("a-1")]);
    assert_eq!(
        world.mail.to(),
        ["carol@corp.com"],
        "bob decided: told nothing"
    );
    assert_eq!(
        world.mail.texts(),
        ["already decided: approved by bob@corp.com"]
    );
    assert!(
        link_indexes(&world.mail.texts()[0]).is_empty(),
        "no links to click"
    );
    assert_eq!(world.record().reminder_state.next_at, None);
}
