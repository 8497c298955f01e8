//! `POST /teams/messages`: the Teams bot's messaging endpoint (the Azure Bot's configuration).
//! Teams sends a click on one of the bot's cards (and a card's refresh) as an `invoke` activity
//! named `adaptiveCard/action`, with `Authorization: Bearer <JWT>` signed by the Bot Framework.
//!
//! The token is verified on the raw request before anything else is read and before the store
//! is touched: a refusal is 401 with an empty body, keys that cannot be fetched a 503 (nothing
//! says the caller is not who it claims). Then the action is answered within
//! [`TEAMS_ANSWER_WITHIN`] with the card the clicker now sees (the Universal Actions invoke
//! response); an answer to the follow-up question that does not fit is refused with Universal
//! Actions' error response, so the card keeps what was typed and Teams shows why. An activity
//! that is not a card action (the bot added to a conversation, a message) is answered `{}`; the
//! conversation the bot was added to is logged, so an operator can find the `conversationId`
//! to ask in.

use std::time::Instant;

use approvals::ports::DeliveryStore;
use approvals::use_cases::teams_card::{answer_card_action, CardVerb};
use approvals::{ApprovalId, HitlError};
use aws_adapters::sdk_config::{approval_store, interactive_sdk_config};
use aws_adapters::timeouts::{SLACK_ANSWER_MARGIN, TEAMS_ANSWER_WITHIN};
use aws_adapters::{DynamoApprovalStore, StepFunctionsResumer};
use aws_config::SdkConfig;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use channels::teams::card_action::{conversation_installed, invoke_response, parse_card_action};
use channels::teams::AdaptiveCards;
use lambda_kit::{correlation, now, Settings};
use saas_adapters::teams::bot_keys::{BotRequestVerifier, VerifyRefusal};
use serde_json::{json, Value};

/// The largest activity we read. A card action carries the action's data and the card's
/// inputs (one follow-up answer of at most a few thousand characters); a `conversationUpdate`
/// lists the members added. Teams' own activities stay far below this.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The bot's side of the Decision API: the request verifier, and the table and Step Functions
/// with a click's short SDK limits.
pub struct TeamsInteractivity {
    verifier: BotRequestVerifier,
    store: DynamoApprovalStore,
    resumer: StepFunctionsResumer,
}

impl TeamsInteractivity {
    /// `None` when the bot is not set up (no `TEAMS_BOT_APP_ID`): the route then answers 404.
    /// No secret is read: the Bot Framework's published keys verify its requests.
    pub fn load(config: &SdkConfig, settings: &Settings) -> Option<Result<Self, HitlError>> {
        let verifier = match BotRequestVerifier::from_settings(settings) {
            Ok(None) => return None,
            Ok(Some(verifier)) => verifier,
            Err(err) => return Some(Err(err)),
        };
        let config = interactive_sdk_config(config);
        Some(
            approval_store(&config, settings).map(|store| TeamsInteractivity {
                verifier,
                store,
                resumer: StepFunctionsResumer::from_config(&config),
            }),
        )
    }

    /// The origin of the OpenID metadata, opened during init.
    pub fn connection_url(settings: &Settings) -> Option<String> {
        BotRequestVerifier::from_settings(settings)
            .ok()
            .flatten()
            .map(|v| v.connection_url())
    }
}

fn unix_now() -> u64 {
    u64::try_from(now()).unwrap_or(0)
}

/// One request to the messaging endpoint: its `Authorization` header and its body, as sent.
/// `not_configured` is the answer of an unknown route (the bot is not set up).
pub async fn handle(
    teams: Option<&Result<TeamsInteractivity, HitlError>>,
    headers: &HeaderMap,
    body: &[u8],
    not_configured: impl FnOnce() -> Response,
) -> Response {
    let started = Instant::now();
    let teams = match teams {
        None => return not_configured(),
        Some(Err(err)) => {
            tracing::error!(error = err.name(), message = %err, "Teams bot misconfigured");
            return empty(StatusCode::SERVICE_UNAVAILABLE);
        }
        Some(Ok(teams)) => teams,
    };
    if body.len() > MAX_BODY_BYTES {
        return empty(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let activity = match teams.verifier.verify(authorization, body, unix_now()).await {
        Ok(activity) => activity,
        Err(refused) => return refusal(&refused),
    };
    // `verify` refused every activity of another tenant (or of none): this one is ours.
    let action = match parse_card_action(&activity, teams.verifier.tenant_id()) {
        Ok(Some(action)) => action,
        Ok(None) => return not_an_action(&activity),
        Err(err) => {
            tracing::info!(error = err.name(), message = %err, "Teams card action refused");
            return empty(StatusCode::BAD_REQUEST);
        }
    };
    correlation::approval_id(action.approval_id.as_str());
    let left = TEAMS_ANSWER_WITHIN
        .saturating_sub(started.elapsed())
        .saturating_sub(SLACK_ANSWER_MARGIN);
    let voted = matches!(action.verb, CardVerb::Decide { .. }).then(|| action.approval_id.clone());
    let answering = answer_card_action(action, &teams.store, &teams.resumer, &AdaptiveCards, now());
    let outcome = tokio::time::timeout(left, answering).await;
    if let (Some(id), Ok(Ok(_))) = (voted, &outcome) {
        progress_to_relay(&teams.store, &id, started).await;
    }
    answered(outcome)
}

/// After a card action that may have counted a vote: the shared card is to show the progress
/// to everyone, which only the Decision Relay can do (it holds the bot's secret, we do not).
/// One conditional write makes the record due for it, only when the card shows fewer votes
/// than are counted; within what is left of the answer's time, else the next vote or the
/// outcome brings the card up to date.
async fn progress_to_relay(store: &dyn DeliveryStore, id: &ApprovalId, started: Instant) {
    let left = TEAMS_ANSWER_WITHIN
        .saturating_sub(started.elapsed())
        .saturating_sub(SLACK_ANSWER_MARGIN);
    if left.is_zero() {
        tracing::warn!("no time left to hand the Teams card's progress to the relay");
        return;
    }
    match tokio::time::timeout(left, store.progress_due(id, now())).await {
        Ok(Ok(true)) => tracing::info!("the relay shows the vote's progress on the Teams card"),
        Ok(Ok(false)) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = err.name(), message = %err, "the Teams card's progress not handed to the relay")
        }
        Err(_) => tracing::warn!("no time left to hand the Teams card's progress to the relay"),
    }
}

fn refusal(refused: &VerifyRefusal) -> Response {
    match refused {
        VerifyRefusal::Unauthorized(why) => {
            tracing::info!(reason = %why, "Teams bot request refused");
            empty(StatusCode::UNAUTHORIZED)
        }
        VerifyRefusal::KeysUnavailable(why) => {
            tracing::error!(reason = %why, "Teams bot request not verified: no signing keys");
            empty(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// An activity that asks nothing of us: acknowledged. The bot added to a conversation is logged
/// with the conversation's id, the `conversationId` a request asks in.
fn not_an_action(activity: &Value) -> Response {
    if let Some((conversation_id, kind)) = conversation_installed(activity) {
        tracing::info!(
            conversation_id,
            conversation_type = kind,
            "Teams bot added to a conversation: use its id as conversationId"
        );
    }
    reply_json(&json!({}))
}

/// The card the clicker now sees; an answer that does not fit the follow-up question, said
/// with Universal Actions' error response (the card stays as it is, with what was typed); an
/// action that could not be answered in time or at all, a non-200 (Teams shows the clicker
/// that it failed; whatever was recorded the relay delivers and shows on the card).
fn answered(outcome: Result<Result<Value, HitlError>, tokio::time::error::Elapsed>) -> Response {
    match outcome {
        Ok(Ok(card)) => {
            tracing::info!("Teams card action answered");
            reply_json(&invoke_response(&card))
        }
        Ok(Err(HitlError::InvalidInput(why))) => {
            tracing::info!("Teams card action: the follow-up answer was refused");
            reply_json(&error_response(&why))
        }
        Ok(Err(err)) => {
            tracing::error!(error = err.name(), message = %err, "Teams card action not answered");
            empty(StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(_) => {
            tracing::warn!(
                "answering the Teams card action took too long; a recorded decision is left to the relay"
            );
            empty(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// Universal Actions' error answer to an invoke: Teams keeps the card and shows `message`.
pub fn error_response(message: &str) -> Value {
    json!({
        "statusCode": 400,
        "type": "application/vnd.microsoft.error",
        "value": {"code": "BadRequest", "message": message},
    })
}

fn reply_json(body: &Value) -> Response {
    let headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
    ];
    (StatusCode::OK, headers, body.to_string()).into_response()
}

/// A status with an empty body: a refusal tells a caller nothing it could use.
fn empty(status: StatusCode) -> Response {
    (status, [("cache-control", "no-store")]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bot's side with a table and Step Functions nobody answers at: a request that
    /// reached them would fail (503), so a 401 shows nothing was read.
    fn teams() -> TeamsInteractivity {
        let settings = Settings::from_vars(
            [
                ("TABLE_NAME", "approvals"),
                ("TEAMS_BOT_APP_ID", "00000000-0000-0000-0000-00000000b07"),
                ("TEAMS_BOT_TENANT_ID", "tenant-1"),
                ("TEAMS_BOT_OPENID_URL", "http://127.0.0.1:9/openid"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let config = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:9")
            .region(aws_config::Region::new("us-east-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        TeamsInteractivity::load(&config, &settings)
            .unwrap()
            .unwrap()
    }

    async fn status_and_body(response: Response) -> (u16, String) {
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert("authorization", value.parse().unwrap());
        }
        headers
    }

    fn click() -> Vec<u8> {
        json!({"type": "invoke", "name": "adaptiveCard/action", "channelId": "msteams",
            "serviceUrl": "https://smba.trafficmanager.net/teams/",
            "from": {"id": "29:1", "aadObjectId": "oid-1", "name": "Alice"},
            "conversation": {"id": "19:a@thread.tacv2", "tenantId": "tenant-1"},
            "value": {"action": {"type": "Action.Execute", "verb": "decide",
                "data": {"approvalId": "a-1", "value": "approve"}}}})
        .to_string()
        .into_bytes()
    }

    fn unused() -> Response {
        panic!("the bot is configured")
    }

    #[tokio::test]
    async fn without_the_bot_the_endpoint_is_an_unknown_route() {
        let response = handle(None, &headers(None), &click(), || {
            (StatusCode::NOT_FOUND, "page").into_response()
        })
        .await;
        assert_eq!(status_and_body(response).await, (404, "page".into()));
    }

    #[tokio::test]
    async fn an_unsigned_or_forged_request_is_401_with_nothing_read() {
        let teams = Some(Ok(teams()));
        for authorization in [None, Some("Basic YWxpY2U6c2VjcmV0"), Some("Bearer ")] {
            let response = handle(teams.as_ref(), &headers(authorization), &click(), unused).await;
            assert_eq!(
                status_and_body(response).await,
                (401, String::new()),
                "{authorization:?}"
            );
        }
    }

    /// The keys cannot be fetched (nobody answers at the metadata's URL): nothing says the
    /// caller is not Teams, so Teams is told to try again, and nothing is read.
    #[tokio::test]
    async fn a_token_that_cannot_be_checked_for_want_of_keys_is_503() {
        let teams = Some(Ok(teams()));
        let response = handle(
            teams.as_ref(),
            &headers(Some("Bearer not.a.jwt")),
            &click(),
            unused,
        )
        .await;
        assert_eq!(status_and_body(response).await, (503, String::new()));
    }

    #[tokio::test]
    async fn a_body_no_teams_activity_has_is_refused_before_it_is_read() {
        let teams = Some(Ok(teams()));
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        let response = handle(teams.as_ref(), &headers(Some("Bearer x")), &body, unused).await;
        assert_eq!(status_and_body(response).await.0, 413);
    }

    #[tokio::test]
    async fn a_misconfigured_bot_is_503() {
        let broken = Some(Err(HitlError::Config("TEAMS_BOT_TENANT_ID".into())));
        let response = handle(broken.as_ref(), &headers(None), &click(), unused).await;
        assert_eq!(status_and_body(response).await, (503, String::new()));
    }

    #[test]
    fn a_refused_answer_is_universal_actions_error_response() {
        let body = error_response("The answer must be at most 500 characters.");
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["type"], "application/vnd.microsoft.error");
        assert_eq!(
            body["value"]["message"],
            "The answer must be at most 500 characters."
        );
    }

    /// A bot card of a request with a quorum (both of two), one vote counted, the card showing
    /// none yet.
    async fn voted_card() -> approvals::testing::FakeStore {
        use approvals::ports::ApprovalStore;
        use approvals::{Channel, DecidedBy, Decision, RecordedDecision, TeamsUser};
        let (store, at) = (approvals::testing::FakeStore::default(), now());
        let person = |oid: &str| TeamsUser {
            object_id: oid.into(),
            name: oid.into(),
            user_principal_name: None,
            tenant_id: "tenant-1".into(),
        };
        let mut record =
            approvals::ApprovalRecord::new("a-1", "t".into(), Channel::Teams, at, at + 3600, 1);
        record.task_token = Some("tok".into());
        record.teams_approvers = vec![person("oid-1"), person("oid-2")];
        record.quorum = Some(approvals::quorum::Quorum {
            approvals: 2,
            rejections: 1,
        });
        record.message = Some(approvals::MessageRef {
            channel: "19:a@thread.tacv2".into(),
            ts: "1700000000001".into(),
        });
        let decision = RecordedDecision {
            decision: Decision::Approve,
            decided_by: DecidedBy {
                id: "oid-1".into(),
                name: "oid-1".into(),
                channel: Channel::Teams,
            },
            decided_at: at,
            comment: None,
            source_ip: None,
            user_agent: None,
            slack_user: None,
            teams_user: Some(person("oid-1")),
            action: None,
            submission_id: None,
            follow_up: None,
        };
        record.votes = vec![approvals::quorum::Vote {
            slot: "oid-1".into(),
            decision,
        }];
        store.create(&record).await.unwrap();
        store
    }

    /// A counted vote hands the card to the relay: due now, not at its expiry an hour away.
    /// With no time left to answer in, the click's answer comes first.
    #[tokio::test]
    async fn a_counted_vote_makes_the_card_due_for_the_relay_in_the_time_left() {
        let id = ApprovalId::from("a-1");
        let store = voted_card().await;
        let long_ago = Instant::now() - TEAMS_ANSWER_WITHIN;
        progress_to_relay(&store, &id, long_ago).await;
        assert!(store
            .due_for_relay(now() + 60, 10)
            .await
            .unwrap()
            .is_empty());

        progress_to_relay(&store, &id, Instant::now()).await;
        assert_eq!(store.due_for_relay(now() + 60, 10).await.unwrap(), [id]);
    }

    /// The catalog's budget for a Teams click counts the key fetch at the verifier's limit.
    #[test]
    fn the_key_fetch_budget_is_the_one_the_catalog_counts() {
        assert_eq!(
            saas_adapters::teams::bot_keys::KEYS_BUDGET,
            aws_adapters::timeouts::TEAMS_BOT_KEYS
        );
    }
}
