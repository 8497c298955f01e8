//! Microsoft's own published Teams activities (tests/fixtures/vendors/botframework, sources in
//! that folder's README), read into the fields a Teams bot's click handler needs: the
//! `adaptiveCard/action` invoke of a Universal Actions (`Action.Execute`) button, and who sent
//! it from where. The struct is the test's own until the bot receives clicks; it pins down
//! where Teams puts each field before our parser is written against our own reading.
//!
//! What Microsoft's examples show: the invoke example omits the envelope ("other properties
//! omitted for brevity"), and the envelope is the same on every activity; the tenant is in
//! `conversation.tenantId` only in the channel example, while personal-chat examples carry it
//! in `channelData.tenant.id` alone. A parser must read either.

use serde::Deserialize;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/vendors/botframework/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Activity {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    value: Option<InvokeValue>,
    service_url: Option<String>,
    from: Option<Account>,
    conversation: Option<Conversation>,
    channel_data: Option<ChannelData>,
}

#[derive(Debug, Deserialize)]
struct InvokeValue {
    action: CardAction,
}

#[derive(Debug, Deserialize)]
struct CardAction {
    #[serde(rename = "type")]
    kind: String,
    verb: String,
    data: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    aad_object_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Conversation {
    tenant_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChannelData {
    tenant: Option<Tenant>,
}

#[derive(Debug, Deserialize)]
struct Tenant {
    id: String,
}

impl Activity {
    fn read(value: Value) -> Activity {
        serde_json::from_value(value).expect("a Teams activity")
    }

    /// The sender's Entra object id.
    fn aad_object_id(&self) -> Option<&str> {
        self.from.as_ref()?.aad_object_id.as_deref()
    }

    /// The tenant: `conversation.tenantId`, else `channelData.tenant.id`.
    fn tenant(&self) -> Option<&str> {
        let conversation = self
            .conversation
            .as_ref()
            .and_then(|c| c.tenant_id.as_deref());
        let channel_data = self.channel_data.as_ref().and_then(|d| d.tenant.as_ref());
        conversation.or(channel_data.map(|t| t.id.as_str()))
    }
}

/// `invoke`'s own fields laid over another published activity's envelope: Teams sends the same
/// envelope with every activity, and Microsoft's invoke example leaves it out.
fn invoke_in_envelope_of(envelope: &str) -> Value {
    let mut activity = fixture(envelope);
    for (key, value) in fixture("adaptive-card-action-invoke.json")
        .as_object()
        .unwrap()
    {
        activity[key] = value.clone();
    }
    activity
}

#[test]
fn the_published_action_execute_invoke_gives_its_verb_and_data() {
    let invoke = Activity::read(fixture("adaptive-card-action-invoke.json"));
    assert_eq!(invoke.kind, "invoke");
    assert_eq!(invoke.name.as_deref(), Some("adaptiveCard/action"));
    let action = invoke.value.expect("value.action").action;
    assert_eq!(action.kind, "Action.Execute");
    assert_eq!(action.verb, "saveCommand");
    assert_eq!(action.data["firstName"], "Jeff");
    assert_eq!(action.data["lastName"], "Derstadt");
}

#[test]
fn a_click_in_a_personal_chat_names_its_sender_tenant_and_service_url() {
    let click = Activity::read(invoke_in_envelope_of("message-received.json"));
    assert_eq!(click.kind, "invoke");
    assert_eq!(click.value.as_ref().unwrap().action.verb, "saveCommand");
    assert_eq!(
        click.aad_object_id(),
        Some("7faf8ab2-3d56-4244-b585-20c8a42ed2b8")
    );
    assert_eq!(
        click.service_url.as_deref(),
        Some("https://smba.trafficmanager.net/amer/")
    );
    // Personal chat: no conversation.tenantId in Microsoft's example, only channelData's.
    assert!(click.conversation.as_ref().unwrap().tenant_id.is_none());
    assert_eq!(click.tenant(), Some("72f988bf-86f1-41af-91ab-2d7cd011db47"));
}

#[test]
fn the_install_activities_carry_the_same_envelope() {
    let personal = Activity::read(fixture("conversation-update-personal-install.json"));
    assert_eq!(personal.kind, "conversationUpdate");
    assert_eq!(personal.aad_object_id(), Some("***"));
    assert_eq!(personal.tenant(), Some("<TENANT ID>"));
    assert!(personal.service_url.is_some());

    let team = Activity::read(fixture("conversation-update-team-install.json"));
    let in_conversation = team.conversation.as_ref().unwrap().tenant_id.as_deref();
    let in_channel_data = team.channel_data.as_ref().unwrap().tenant.as_ref().unwrap();
    assert_eq!(in_conversation, Some(in_channel_data.id.as_str()));
    assert_eq!(team.tenant(), Some("b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"));
}
