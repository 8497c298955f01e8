//! One request on several channels (issue 20, point 3): a request Create Approval Links made
//! (origin Email, approvers by address) is posted to Slack and to Teams while people decide,
//! each post through its real use case (`use_cases::slack::post_to_request` with the gate as
//! Slack, `use_cases::teams::post_to_request` with the fake Teams bot; their Slack and bot calls
//! answer at once, the store's are gated), and a click on the Slack companion through the real
//! `handle_click`. The relay's notifier (the gate) and the click's `chat.update`s note what
//! each message shows last, by message ref, for the check at quiescence.

use approvals::approval::{ChannelIdentities, Companion};
use approvals::ports::{
    ExpiredMessage, MessageStore, Persona, SlackMessage, SlackMessenger, Unfurl,
};
use approvals::testing::{FakeStore, FakeTeamsBot, FakeTeamsBotFormat};
use approvals::use_cases::slack::{
    post_to_request, Destination, SlackCompanionPost, SlackRequestFormat,
};
use approvals::use_cases::slack_click::{handle_click, Chat, Click, ClickOutcome, Interaction};
use approvals::use_cases::teams::{self, BotChat, CompanionDestination, TeamsCompanionRequest};
use approvals::use_cases::{create_approval_links, LinkSettings};
use approvals::{
    ApprovalId, ApprovalRecord, Channel, ChoiceButton, HitlError, LinkSigner, MessageRef,
    SlackUserId, TeamsUser,
};
use async_trait::async_trait;
use serde_json::json;

use super::actors::{Told, TOKEN_1};
use super::check::ready;
use super::formats::Plain;
use super::gate::{Gate, Op};
use super::team::{recorded, Voter, KEYS};
use super::world::{TaskState, Team, World, EXPIRES, ID};

/// The approvers as Create Approval Links names them (slots keyed by these addresses).
pub const ADDRESSES: [&str; 3] = ["alice@corp.com", "bob@corp.com", "carol@corp.com"];
/// Who Slack knows, by address (Carol has no Slack account: she answers elsewhere).
pub const SLACK_IDS: [(&str, &str); 2] = [("alice@corp.com", "U0ALICE"), ("bob@corp.com", "U0BOB")];
/// Where the Slack companion is posted; the gate's Slack answers a post with this `ts`.
pub const SLACK_CHANNEL: &str = "C2";
pub const SLACK_TS: &str = "2.2";
const TEAMS_CONVERSATION: &str = "19:ops@thread.tacv2";

/// The Entra user of the approver with `address` (object id `oid-<name>`).
fn entra(address: &str) -> TeamsUser {
    let name = address.split('@').next().unwrap_or(address);
    TeamsUser {
        object_id: format!("oid-{name}"),
        name: name.into(),
        user_principal_name: Some(address.into()),
        tenant_id: "tid".into(),
    }
}

/// The address of the person `id` names on any channel (their address, Slack id, Entra object
/// id or UPN), by this model's own directory: the store's aliases are checked, not trusted.
pub fn person(id: &str) -> Option<&'static str> {
    let id = id.to_ascii_lowercase();
    ADDRESSES.iter().copied().find(|address| {
        let slack = SLACK_IDS
            .iter()
            .find(|(a, _)| a == address)
            .map(|(_, s)| *s);
        id == *address
            || slack.is_some_and(|s| s.eq_ignore_ascii_case(&id))
            || entra(address).object_id == id
    })
}

fn signer() -> LinkSigner {
    LinkSigner::from_config(KEYS).expect("keys")
}

fn settings(signer: &LinkSigner) -> LinkSettings<'_> {
    LinkSettings {
        signer,
        base_url: "https://approvals.example.com",
        retention_days: 30,
        origin: Channel::Email,
    }
}

impl World {
    /// The request as Create Approval Links makes it (at 0, expiring at [`EXPIRES`]), with
    /// `team`'s quorum if any, and Wait For Approval waiting on `tok-1` already.
    pub fn email_request(team: Option<Team>) -> World {
        let mut input = json!({
            "title": "Stop db-1",
            "approvers": ADDRESSES,
            "expiresInSeconds": EXPIRES,
        });
        if let Some(team) = team {
            input["quorum"] = json!({"approvals": team.approvals, "rejections": team.rejections});
        }
        let input = approvals::input::from_json(input).expect("a valid input");
        let store = FakeStore::default();
        let signer = signer();
        let settings = settings(&signer);
        let create = create_approval_links(input, &settings, &store, ID.into(), 0);
        ready(create).expect("created");
        let mut world = World::new(None);
        world.take_record(&store);
        world.record.task_token = Some(TOKEN_1.into());
        world.record.delivery.relay_at = Some(EXPIRES);
        let tasks = &mut world.step_functions.tasks;
        tasks.insert(TOKEN_1.into(), TaskState::Waiting);
        world
    }
}

/// Slack Request Action with `approvalId`: the request posted to [`SLACK_CHANNEL`].
pub async fn slack_post(gate: &Gate<'_>, now: i64) -> Told {
    let post = SlackCompanionPost {
        approval_id: ID.into(),
        destination: Destination::Conversation(SLACK_CHANNEL.into()),
        header: None,
        text: "Stop db-1?".into(),
        thread_ts: None,
        persona: Persona::default(),
        unfurl: Unfurl::default(),
    };
    let posted = post_to_request(post, gate, gate, &Plain, now).await;
    Told::Posted(posted.map(|_| ()).map_err(|e| e.name()))
}

/// Teams Request Action with `approvalId`: the request posted as the bot's card.
pub async fn teams_post(gate: &Gate<'_>, now: i64) -> Told {
    let bot = FakeTeamsBot::with_people(&ADDRESSES.map(entra));
    let request = TeamsCompanionRequest {
        approval_id: ID.into(),
        to: CompanionDestination::Conversation(TEAMS_CONVERSATION.into()),
        facts: Vec::new(),
    };
    let signer = signer();
    let chat = BotChat {
        bot: &bot,
        format: &FakeTeamsBotFormat,
    };
    let posted = teams::post_to_request(request, &settings(&signer), gate, chat, now).await;
    Told::Posted(posted.map(|_| ()).map_err(|e| e.name()))
}

/// A click on the Slack companion's button, by the voter's Slack id.
pub async fn companion_click(gate: &Gate<'_>, voter: Voter, now: i64) -> Told {
    let click = Click {
        approval_id: ID.into(),
        message: slack_message(),
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
    let outcome = match handle_click(Interaction::Click(click), gate, gate, chat, now).await {
        Ok(ClickOutcome::Decided { delivered, .. }) => {
            return Told::Voted {
                outcome: "decided",
                delivered,
            }
        }
        Ok(ClickOutcome::Counted { .. }) => "counted",
        Ok(ClickOutcome::Refused { error, .. }) => error,
        Ok(ClickOutcome::Asked { .. }) => "asked",
        Ok(ClickOutcome::Ignored) => "ignored",
        Err(err) => err.name(),
    };
    Told::Voted {
        outcome,
        delivered: false,
    }
}

pub fn slack_message() -> MessageRef {
    MessageRef {
        channel: SLACK_CHANNEL.into(),
        ts: SLACK_TS.into(),
    }
}

/// A click needs the Slack message: posted (the post waits to attach it, or attached it).
pub fn slack_message_posted(world: &World) -> bool {
    world.actors.iter().any(|a| {
        a.kind == super::actors::ActorKind::SlackPost
            && (a.next == Some(Op::AttachCompanion) || a.result == Some(Told::Posted(Ok(()))))
    })
}

/// The Slack ids of the people Slack knows; anyone else is not found, as Slack answers.
pub fn slack_lookup(email: &str) -> Result<String, HitlError> {
    SLACK_IDS
        .iter()
        .find(|(address, _)| address.eq_ignore_ascii_case(email))
        .map(|(_, id)| id.to_string())
        .ok_or_else(|| {
            let not_found = "users.lookupByEmail: users_not_found";
            HitlError::failed_dependency("Slack.UserNotFound", not_found, approvals::Retry::Never)
        })
}

impl Gate<'_> {
    /// What a message shows now, noted by its ref (the last one noted is what stays on it).
    pub(super) fn shows(&self, message: &MessageRef, what: String) {
        let key = format!("{}/{}", message.channel, message.ts);
        self.log.lock().unwrap().shown.insert(key, what);
    }

    /// The request was made by Create Approval Links: its chat messages are companions.
    pub(super) fn has_companions(&self) -> bool {
        self.record().takes_companions()
    }
}

impl SlackRequestFormat for Plain {
    fn request_message(
        &self,
        _: &str,
        _: Option<&str>,
        _: &str,
        _: &[ChoiceButton],
    ) -> SlackMessage {
        SlackMessage {
            text: "asks".into(),
            blocks: Some(vec![json!({"type": "actions"})]),
            ..SlackMessage::default()
        }
    }
}

#[async_trait]
impl MessageStore for Gate<'_> {
    async fn attach_message(
        &self,
        _: &ApprovalId,
        _: &MessageRef,
        _: Option<&str>,
    ) -> Result<(), HitlError> {
        unreachable!("the request's own message is not explored")
    }

    async fn expired_open_messages(&self, _: i64, _: usize) -> Result<Vec<ApprovalId>, HitlError> {
        unreachable!("the expiry sweep is not explored")
    }

    async fn claim_message_close(
        &self,
        _: &ApprovalId,
        _: i64,
    ) -> Result<Option<ExpiredMessage>, HitlError> {
        unreachable!("the expiry sweep is not explored")
    }

    async fn release_message_close(&self, _: &ApprovalId) -> Result<(), HitlError> {
        unreachable!("the expiry sweep is not explored")
    }

    async fn attach_companion(
        &self,
        id: &ApprovalId,
        companion: &Companion,
        identities: &ChannelIdentities,
        now: i64,
    ) -> Result<(), HitlError> {
        let attach = self.store.attach_companion(id, companion, identities, now);
        self.call(Op::AttachCompanion, attach).await
    }
}

/// The line the final record's messages must end with (as `slack_click`'s `outcome_line` and
/// the Teams bot's outcome card say it): too late, not delivered, the decision (and, on a
/// first-answer request, who made it), or that it expired.
pub fn outcome_line(record: &ApprovalRecord) -> String {
    match &record.decision {
        Some(_) if record.delivery.late_at.is_some() => "too late".into(),
        Some(_) if record.delivery.failed.is_some() => "not delivered".into(),
        Some(d) if record.quorum.is_some() => format!("{:?}", d.decision),
        Some(d) => format!("{:?} by {}", d.decision, d.decided_by.id),
        None => "expired".into(),
    }
}
