//! Microsoft Teams: approval requests as Adaptive Cards whose buttons open the same signed,
//! scanner-safe links the email flow uses, and plain notifications, through a Workflows
//! webhook ("Post to a channel when a webhook request is received", bound to one channel or
//! chat), or to one person (`user`) as the bot's proactive 1:1 message ([`bot`]).
//!
//! Microsoft Graph is not used: Graph takes channel and chat messages from an app-only
//! (client credentials) token only to import history into a team in migration mode, and
//! answers 401 "Message POST is allowed in application-only context only for import
//! purposes" to anything else. A webhook card cannot tell who clicks it: without `approvers`
//! its buttons are shared links and a decision made from them is recorded as unverified
//! (`decidedBy.verified: false`); with `approvers` the card has no buttons and each approver
//! decides through the personal link emailed to them, recorded as that approver.
//!
//! What is ours lives here: the input contracts and their validation ([`input`]), which hand
//! the use cases in [`approvals::use_cases::teams`] a checked request; the Adaptive Card we
//! post and Teams' limits ([`card`]: version 1.4, 28 KB, no `Action.Submit`); and
//! [`AdaptiveCards`], what those use cases need rendered. Talking to the webhook (and, for one
//! person by email address, to the bot: [`bot`]) is the [`approvals::ports::TeamsMessenger`]
//! port.

use approvals::ports::{Fact, OutgoingEmail, TeamsFormat, TeamsMessage};
pub use approvals::use_cases::teams::{TeamsRequestActionOutput, TeamsSendMessageOutput};
use approvals::{CreateLinksOutput, HitlError, RecipientLinks};

use crate::email::{build_emails, SendEmailInput};

pub mod bot;
pub mod buttons;
pub mod card;
pub mod card_action;
pub mod companion_input;
pub mod input;
pub mod reminder;
pub mod universal;

pub use card::*;
pub use input::*;

/// The cards and emails the Teams use cases need ([`TeamsFormat`]).
pub struct AdaptiveCards;

impl TeamsFormat for AdaptiveCards {
    fn request_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
    ) -> Result<TeamsMessage, HitlError> {
        let names: Vec<String> = links.links.iter().map(|l| l.approver.clone()).collect();
        let choices = buttons::card_buttons(links);
        let deciders = match names.is_empty() && !choices.is_empty() {
            true => Deciders::Anyone(&choices),
            false => Deciders::Named(&names),
        };
        let message = TeamsMessage::Card(approval_card(
            &links.title,
            links.description.as_deref(),
            facts,
            deciders,
            &links.expires_at,
        ));
        check_size(&message)?;
        Ok(message)
    }

    fn personal_card(
        &self,
        links: &CreateLinksOutput,
        facts: &[Fact],
        personal: &RecipientLinks,
    ) -> Result<TeamsMessage, HitlError> {
        let message = TeamsMessage::Card(bot::personal_approval_card(
            &links.title,
            links.description.as_deref(),
            facts,
            personal,
            &links.expires_at,
        ));
        check_size(&message)?;
        Ok(message)
    }

    fn approver_emails(
        &self,
        links: &CreateLinksOutput,
        from: &str,
    ) -> Result<Vec<OutgoingEmail>, HitlError> {
        let emails = SendEmailInput {
            approval: Some(links.clone()),
            message: Some("You were asked in Microsoft Teams; this is your personal link.".into()),
            ..SendEmailInput::default()
        };
        build_emails(emails, from)
    }
}

/// The Teams Tasks as their functions run them (the input checked here, then the use case),
/// for this module's tests.
#[cfg(test)]
pub(crate) mod run {
    use super::*;
    use approvals::ports::{ChatApprovals, TeamsMessenger};
    pub use approvals::use_cases::teams::ApproverMail;
    use approvals::use_cases::teams::{self as use_case, TeamsChat};
    use approvals::use_cases::LinkSettings;

    pub async fn request_action(
        input: TeamsRequestActionInput,
        settings: &LinkSettings<'_>,
        store: &dyn ChatApprovals,
        messenger: &dyn TeamsMessenger,
        mail: &ApproverMail<'_>,
        approval_id: String,
        now: i64,
    ) -> Result<TeamsRequestActionOutput, HitlError> {
        let chat = TeamsChat {
            messenger,
            format: &AdaptiveCards,
        };
        let request = input.validate()?;
        use_case::request_action(request, settings, store, chat, mail, approval_id, now).await
    }

    pub async fn send_message(
        input: TeamsSendMessageInput,
        messenger: &dyn TeamsMessenger,
    ) -> Result<TeamsSendMessageOutput, HitlError> {
        let (user, message) = input.validate_with_user()?;
        use_case::send_message(user, message, messenger).await
    }
}

#[cfg(test)]
mod tests;
