//! A click's own checks, before anything is written: the workspace, the request, the message
//! that asked (its own, or a Slack companion of a request made by Create Approval Links), the
//! allow-list or the slots, and which elements count.

use super::*;

/// A click (or a submitted question) after its own checks.
pub(super) enum Checked {
    Allowed(Click, ApprovalRecord),
    Refused(ClickStep),
}

/// The checks every click and submitted question passes before anything is written: from the
/// configured workspace, for a request that still exists, on its own message, by someone on
/// its allow-list.
pub(super) async fn checked(
    click: Click,
    workspace: Option<&str>,
    store: &dyn ApprovalStore,
) -> Result<Checked, HitlError> {
    if let Some(refusal) = foreign_workspace(&click, workspace) {
        return Ok(Checked::Refused(refused(click, refusal)));
    }
    let Some(record) = store.get(&click.approval_id.as_str().into()).await? else {
        return Ok(Checked::Refused(refused(click, ClickRefusal::Gone)));
    };
    let record = seen_from(record, &click.message);
    Ok(match not_for_this_click(&record, &click) {
        Some(refusal) => Checked::Refused(refused(click, refusal)),
        None => Checked::Allowed(click, record),
    })
}

/// A click from another workspace than the configured one (or naming none) is refused. With
/// none configured, the clicker's own workspace (`user.team_id`) must be the one the click came
/// through (`team.id`): in a Slack Connect channel a person of another organisation names
/// their own, and must not decide as if verified by ours.
fn foreign_workspace(click: &Click, workspace: Option<&str>) -> Option<ClickRefusal> {
    let expected = match workspace {
        Some(expected) => expected,
        None => click.teams.first()?,
    };
    let ours = !click.teams.is_empty() && click.teams.iter().all(|t| t == expected);
    (!ours).then(|| ClickRefusal::OtherWorkspace {
        teams: click.teams.clone(),
    })
}

/// `record` as the clicked message's channel sees it: on a Slack companion of a request made by
/// Create Approval Links, that message's view (a Slack request asked there, the message and what
/// it showed its own), so the click is checked, asked and shown as on a request made in Slack.
/// Its approvers keep their address-keyed slots, their Slack ids aliases of them.
pub(super) fn seen_from(record: ApprovalRecord, message: &MessageRef) -> ApprovalRecord {
    let companion = record
        .companions
        .iter()
        .find(|c| c.channel == Channel::Slack && &c.message == message);
    match companion {
        Some(c) => record.companion_view(c),
        None => record,
    }
}

/// Why `record` cannot be decided by `click`: only a Slack request, only from the message
/// stored as the one that asked, only by someone on its allow-list (with a quorum: someone with
/// a slot to fill, who has not voted yet).
fn not_for_this_click(record: &ApprovalRecord, click: &Click) -> Option<ClickRefusal> {
    if record.origin != Channel::Slack {
        return Some(ClickRefusal::NotASlackRequest);
    }
    if record.message.as_ref() != Some(&click.message) {
        return Some(ClickRefusal::NotTheRequestMessage);
    }
    if record.quorum.is_some() {
        return votes::vote_refusal(record, &click.decision);
    }
    // A first-answer request: the requester has no say either.
    if crate::quorum::is_requester(record, &click.user_id) {
        return Some(ClickRefusal::Requester);
    }
    // Named approvers, or once the request escalated, its escalation targets.
    if !record.approvers.is_empty() && !crate::quorum::may_vote(record, &click.decision) {
        return Some(ClickRefusal::NotAnApprover {
            approvers: approvers_in_slack(record),
        });
    }
    None
}

/// The approvers as Slack names them: their Slack id where the request knows one (a request
/// made by Create Approval Links keeps addresses), their address otherwise.
fn approvers_in_slack(record: &ApprovalRecord) -> Vec<String> {
    let ids = record.slack_approvers.iter().map(String::as_str);
    let ids = ids.chain(std::iter::repeat(""));
    record
        .approvers
        .iter()
        .zip(ids)
        .map(|(address, id)| match id.is_empty() {
            true => address.clone(),
            false => id.to_string(),
        })
        .collect()
}

/// Whether the element acted on is one whose actions count (all, when the message named
/// none): another is acknowledged and changes nothing.
pub(super) fn counts(record: &ApprovalRecord, click: &Click) -> bool {
    let action_id = click.decision.action.as_ref().map(|a| a.action_id.as_str());
    record.action_ids.is_empty()
        || action_id.is_some_and(|id| record.action_ids.iter().any(|a| a == id))
}
