//! The expiry sweep: closes the buttons of requests that expired unanswered.

use serde::Serialize;

use crate::ports::{MessageStore, SlackFormat, SlackMessenger};
use crate::{Channel, HitlError, Retry};

/// How many expired messages one sweep closes; the next sweep goes on from there.
pub const SWEEP_BATCH: usize = 50;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// Messages whose buttons were replaced by the expiry line.
    pub closed: Vec<String>,
    /// Messages Slack no longer has (deleted, channel gone): nothing left to close.
    pub gone: Vec<String>,
    /// Updates that failed for now; they stay open and the next sweep tries again.
    pub retry_later: Vec<String>,
    /// Messages of another channel (a Teams bot card): taken out of the index, not updated.
    pub not_slack: Vec<String>,
}

/// Closes the messages of requests that expired without an answer, so nobody is left looking
/// at live buttons that can only say "too late". Each message is claimed first (a decision
/// recorded in time, or another sweep, wins), then updated; a failed update gives the claim
/// back. A rate limit ends the sweep early: the rest wait for the next one.
pub async fn close_expired_messages(
    store: &dyn MessageStore,
    slack: &dyn SlackMessenger,
    format: &dyn SlackFormat,
    now: i64,
    limit: usize,
) -> Result<SweepReport, HitlError> {
    close_expired_messages_while(store, slack, format, now, limit, &|| true).await
}

/// [`close_expired_messages`], starting no new message once `keep_going` says no (the
/// function's time budget): the rest stay open for the next sweep.
pub async fn close_expired_messages_while(
    store: &dyn MessageStore,
    slack: &dyn SlackMessenger,
    format: &dyn SlackFormat,
    now: i64,
    limit: usize,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Result<SweepReport, HitlError> {
    let mut report = SweepReport::default();
    for approval_id in store.expired_open_messages(now, limit).await? {
        if !keep_going() {
            break;
        }
        let Some(expired) = store.claim_message_close(&approval_id, now).await? else {
            continue;
        };
        // A Teams bot card is an open message too (its card is kept to be shown again), but
        // this sweep speaks only Slack: claimed, so it leaves the index and never takes the
        // sweep's limit again; its card says "expired" to whoever opens or clicks it.
        if expired.origin != Channel::Slack {
            report.not_slack.push(approval_id.into_string());
            continue;
        }
        // Kept by `request_action` or `send_message` as their blocks' JSON; unreadable, the
        // message is closed with the outcome line alone.
        let blocks: Vec<serde_json::Value> =
            serde_json::from_str(&expired.shown).unwrap_or_default();
        let update = format.expired_message(&expired.title, expired.expires_at, &blocks);
        match slack.update(&expired.message, &update).await {
            Ok(()) => report.closed.push(approval_id.into_string()),
            // The message or its channel no longer exists: nothing is left to close.
            Err(err) if err.retry() == Some(Retry::Gone) => {
                report.gone.push(approval_id.into_string())
            }
            Err(err) => {
                tracing::warn!(
                    %approval_id,
                    error = err.name(),
                    "expired message not closed yet"
                );
                store.release_message_close(&approval_id).await?;
                let rate_limited = err.retry() == Some(Retry::Later);
                report.retry_later.push(approval_id.into_string());
                if rate_limited {
                    break;
                }
            }
        }
    }
    Ok(report)
}
