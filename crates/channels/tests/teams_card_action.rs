//! What the bot's messaging endpoint reads from a verified Teams activity: a click on our
//! card (who, where, which request, which choice, what was typed), nothing for activities
//! that are not ours, a named refusal for a malformed one, and never a panic. Built on
//! Microsoft's own `adaptiveCard/action` example and Teams envelopes
//! (tests/fixtures/vendors/botframework).

use approvals::use_cases::teams_card::CardVerb;
use channels::teams::card_action::{conversation_installed, invoke_response, parse_card_action};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/vendors/botframework/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Microsoft's invoke example laid over a published Teams envelope (the example leaves the
/// envelope out), answering the card it was sent on.
fn microsofts_invoke() -> Value {
    let mut activity = fixture("message-received.json");
    let invoke = fixture("adaptive-card-action-invoke.json");
    for (key, value) in invoke.as_object().unwrap() {
        activity[key] = value.clone();
    }
    activity.as_object_mut().unwrap().remove("text");
    activity["replyToId"] = json!("1:card-activity");
    activity
}

/// A click on one of our buttons: Microsoft's invoke with our verb and data.
fn click(data: Value) -> Value {
    let mut activity = microsofts_invoke();
    activity["value"]["action"]["verb"] = json!("decide");
    activity["value"]["action"]["data"] = data;
    activity
}

fn ours() -> Value {
    click(json!({"approvalId": "a-1", "value": "approve", "followUp": "CHG-42"}))
}

fn refused(activity: &Value) -> String {
    let err = parse_card_action(activity, TENANT).unwrap_err();
    assert_eq!(err.name(), "Hitl.InvalidInput", "{err}");
    err.to_string()
}

#[test]
fn a_click_names_the_request_the_choice_the_answer_and_the_clicker() {
    let action = parse_card_action(&ours(), TENANT).unwrap().expect("ours");
    assert_eq!(action.approval_id, "a-1");
    assert_eq!(
        action.verb,
        CardVerb::Decide {
            value: "approve".into()
        }
    );
    let mut inputs = Map::new();
    inputs.insert("followUp".into(), json!("CHG-42"));
    assert_eq!(action.inputs, inputs, "only the inputs, not our own keys");
    assert_eq!(
        action.user.object_id,
        "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"
    );
    assert_eq!(action.user.name, "Megan Bowen");
    assert_eq!(action.user.tenant_id, TENANT);
    assert_eq!(action.user.user_principal_name, None);
    assert!(action.conversation_id.starts_with("a:17I0kl9EkpE1O9PH5"));
    assert_eq!(action.card_activity_id.as_deref(), Some("1:card-activity"));
}

#[test]
fn the_tenant_is_the_verified_one_not_what_the_activity_claims() {
    let mut activity = ours();
    activity["channelData"]["tenant"]["id"] = json!("someone-elses");
    activity["conversation"]["tenantId"] = json!("someone-elses");
    let action = parse_card_action(&activity, TENANT).unwrap().unwrap();
    assert_eq!(action.user.tenant_id, TENANT);
}

#[test]
fn a_refresh_needs_no_value_and_a_missing_name_or_reply_id_is_not_fatal() {
    let mut activity = click(json!({"approvalId": "a-1"}));
    activity["value"]["action"]["verb"] = json!("refresh");
    activity["from"].as_object_mut().unwrap().remove("name");
    activity.as_object_mut().unwrap().remove("replyToId");
    let action = parse_card_action(&activity, TENANT).unwrap().unwrap();
    assert_eq!(action.verb, CardVerb::Refresh);
    assert!(action.inputs.is_empty());
    assert_eq!(action.user.name, action.user.object_id, "named by the id");
    assert_eq!(action.card_activity_id, None);
}

#[test]
fn activities_that_are_not_card_actions_are_none_of_ours() {
    let mut other_invoke = ours();
    other_invoke["name"] = json!("composeExtension/query");
    let mut unnamed = ours();
    unnamed.as_object_mut().unwrap().remove("name");
    for activity in [
        fixture("message-received.json"),
        fixture("conversation-update-team-install.json"),
        fixture("conversation-update-personal-install.json"),
        other_invoke,
        unnamed,
        json!(null),
        json!([]),
    ] {
        assert_eq!(
            parse_card_action(&activity, TENANT).unwrap(),
            None,
            "{activity}"
        );
    }
}

#[test]
fn microsofts_own_example_is_read_and_refused_as_not_one_of_our_cards() {
    // Its data has no approvalId: a card of some other app's.
    let message = refused(&microsofts_invoke());
    assert!(
        message.contains("value.action.data.approvalId"),
        "{message}"
    );
}

/// A change that breaks one field of a click.
type Breaker = Box<dyn Fn(&mut Value)>;

#[test]
fn each_malformed_field_is_refused_by_name() {
    let cases: Vec<(&str, Breaker)> = vec![
        ("value.action", Box::new(|a| a["value"] = json!("x"))),
        (
            "value.action.type",
            Box::new(|a| a["value"]["action"]["type"] = json!("Action.Submit")),
        ),
        (
            "value.action.data",
            Box::new(|a| a["value"]["action"]["data"] = json!("a-1")),
        ),
        (
            "value.action.verb",
            Box::new(|a| a["value"]["action"]["verb"] = json!("saveCommand")),
        ),
        (
            "value.action.data.value",
            Box::new(|a| a["value"]["action"]["data"]["value"] = json!(1)),
        ),
        (
            "value.action.data.value",
            Box::new(|a| a["value"]["action"]["data"]["value"] = json!("v".repeat(65))),
        ),
        (
            "value.action.data.approvalId",
            Box::new(|a| a["value"]["action"]["data"]["approvalId"] = json!("a 1")),
        ),
        (
            "value.action.data.approvalId",
            Box::new(|a| a["value"]["action"]["data"]["approvalId"] = json!("a".repeat(65))),
        ),
        (
            "from.aadObjectId",
            Box::new(|a| {
                a["from"].as_object_mut().unwrap().remove("aadObjectId");
            }),
        ),
        (
            "from.aadObjectId",
            Box::new(|a| a["from"]["aadObjectId"] = json!("<script>")),
        ),
        (
            "from.name",
            Box::new(|a| a["from"]["name"] = json!(["Megan"])),
        ),
        (
            "conversation.id",
            Box::new(|a| a["conversation"]["id"] = json!("")),
        ),
        (
            "conversation.id",
            Box::new(|a| {
                a.as_object_mut().unwrap().remove("conversation");
            }),
        ),
        ("replyToId", Box::new(|a| a["replyToId"] = json!(7))),
    ];
    for (field, break_it) in cases {
        let mut activity = ours();
        break_it(&mut activity);
        let message = refused(&activity);
        assert!(message.contains(field), "{field}: {message}");
    }
}

#[test]
fn the_invoke_is_answered_with_the_card_as_an_adaptive_card_response() {
    let card = json!({"type": "AdaptiveCard", "version": "1.4", "body": []});
    assert_eq!(
        invoke_response(&card),
        json!({"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card})
    );
}

#[test]
fn the_conversation_the_bot_was_added_to_is_found_for_the_operator() {
    let team = conversation_installed(&fixture("conversation-update-team-install.json"));
    assert_eq!(
        team,
        Some((
            "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2".into(),
            "channel".into()
        ))
    );
    // Microsoft's personal example writes the bot's id as two different placeholders
    // (`28:f5d4…` added, `28:<BOT ID>` receiving): in Teams they are the same id.
    let mut personal = fixture("conversation-update-personal-install.json");
    assert_eq!(conversation_installed(&personal), None, "another bot added");
    personal["recipient"]["id"] = personal["membersAdded"][0]["id"].clone();
    let personal = conversation_installed(&personal);
    assert_eq!(personal, Some(("***".into(), "personal".into())));
    // Someone else joining is not the bot being installed; nor is a message.
    let mut someone = fixture("conversation-update-team-install.json");
    someone["membersAdded"] = json!([{"id": "29:someone", "aadObjectId": "x"}]);
    assert_eq!(conversation_installed(&someone), None);
    assert_eq!(
        conversation_installed(&fixture("message-received.json")),
        None
    );
    assert_eq!(conversation_installed(&ours()), None);
}

// ---------------------------------------------------------------------------------------------
// Properties

/// JSON shaped like activities: our keys and values are likely, so deep paths are reached.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_string()),
        Just("name".to_string()),
        Just("value".to_string()),
        Just("action".to_string()),
        Just("verb".to_string()),
        Just("data".to_string()),
        Just("approvalId".to_string()),
        Just("from".to_string()),
        Just("aadObjectId".to_string()),
        Just("conversation".to_string()),
        Just("id".to_string()),
        Just("replyToId".to_string()),
        "[a-zA-Z]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("invoke"),
            Just("adaptiveCard/action"),
            Just("Action.Execute"),
            Just("decide"),
            Just("refresh"),
            Just("a-1"),
        ]
        .prop_map(Value::from),
        ".{0,80}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            pointers(
                v,
                format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}

/// Whether `id` is one of our approval ids (1 to 64 letters, digits, `-`, `_`, `.`).
fn plausible(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn an_approval_id_is_taken_exactly_when_it_could_be_ours(
        id in prop_oneof![".{0,80}", "[a-zA-Z0-9._-]{0,70}"],
    ) {
        let mut activity = ours();
        activity["value"]["action"]["data"]["approvalId"] = json!(id);
        match parse_card_action(&activity, TENANT) {
            Ok(Some(action)) => {
                prop_assert!(plausible(&id), "{id:?} taken");
                prop_assert_eq!(action.approval_id.as_str(), id.as_str());
            }
            Ok(None) => prop_assert!(false, "our click ignored"),
            Err(err) => {
                prop_assert!(!plausible(&id), "{id:?} refused: {err}");
                prop_assert!(err.to_string().contains("approvalId"));
            }
        }
    }

    #[test]
    fn the_clicker_is_taken_only_with_an_object_id(
        oid in prop_oneof![
            ".{0,80}",
            "[0-9a-f-]{0,70}",
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        ],
    ) {
        let mut activity = ours();
        activity["from"]["aadObjectId"] = json!(oid);
        // An Entra object id is a GUID: 36 characters, dashes at 8, 13, 18 and 23, hex elsewhere.
        let looks_like_one = oid.len() == 36
            && oid.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        match parse_card_action(&activity, TENANT) {
            Ok(Some(action)) => {
                prop_assert!(looks_like_one, "{oid:?} taken");
                prop_assert_eq!(action.user.object_id, oid);
            }
            Ok(None) => prop_assert!(false, "our click ignored"),
            Err(err) => {
                prop_assert!(!looks_like_one, "{oid:?} refused: {err}");
                prop_assert!(err.to_string().contains("from.aadObjectId"));
            }
        }
    }

    #[test]
    fn any_json_is_read_or_refused_never_a_panic(activity in arb_json()) {
        let _ = parse_card_action(&activity, TENANT);
        let _ = conversation_installed(&activity);
    }

    #[test]
    fn a_changed_click_is_read_or_refused_never_a_panic(
        pick in any::<prop::sample::Index>(),
        replacement in arb_json(),
        remove in any::<bool>(),
    ) {
        let mut activity = ours();
        let mut all = Vec::new();
        pointers(&activity, String::new(), &mut all);
        let at = &all[pick.index(all.len())];
        if remove && !at.is_empty() {
            let (parent, key) = at.rsplit_once('/').unwrap();
            match activity.pointer_mut(parent) {
                Some(Value::Object(map)) => { map.remove(&key.replace("~1", "/").replace("~0", "~")); }
                Some(Value::Array(items)) => { items.remove(key.parse::<usize>().unwrap()); }
                _ => {}
            }
        } else {
            *activity.pointer_mut(at).unwrap() = replacement;
        }
        if let Ok(Some(action)) = parse_card_action(&activity, TENANT) {
            // What is accepted is still a well-formed click of ours.
            prop_assert!(plausible(action.approval_id.as_str()));
            prop_assert!(!action.user.object_id.is_empty());
            prop_assert_eq!(action.user.tenant_id.as_str(), TENANT);
            prop_assert!(!action.conversation_id.is_empty());
            prop_assert!(!action.inputs.contains_key("approvalId"));
        }
    }
}
