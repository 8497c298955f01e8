//! `conversationId`: the bot's card to a channel or group chat, checked before anything is
//! stored, and the approvers it allows (addresses, user principal names, object ids).

use super::*;

fn ask(extra: Value) -> Result<approvals::use_cases::teams::TeamsRequest, HitlError> {
    let mut json = json!({"title": "Stop db-1?", "taskToken": "tok"});
    json.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    request(json).validate()
}

#[test]
fn a_channel_or_group_chat_id_is_taken() {
    for id in [
        "19:ab12CD_x-y@thread.tacv2",
        "19:meeting_Nzk2@thread.v2",
        "19:0c8f@thread.skype",
    ] {
        let checked = ask(json!({"conversationId": format!(" {id} ")})).unwrap();
        assert_eq!(checked.conversation_id.as_deref(), Some(id));
    }
    assert_eq!(ask(json!({})).unwrap().conversation_id, None);
    assert_eq!(
        ask(json!({"conversationId": null}))
            .unwrap()
            .conversation_id,
        None
    );
}

#[test]
fn anything_else_is_refused_by_name() {
    let long = format!("19:{}@thread.v2", "a".repeat(300));
    for bad in [
        json!("general"),
        json!("19:abc@thread.tacv2;messageid=1700000000001"),
        json!("29:abc@thread.v2"),
        json!("19:a b@thread.v2"),
        json!("19:a;messageid=1@thread.v2"),
        json!("19:@thread.v2"),
        json!("19:abc@thread."),
        json!("19:abc@thread.V2"),
        json!(long),
        json!(19),
        json!(["19:abc@thread.v2"]),
    ] {
        let err = ask(json!({"conversationId": bad})).unwrap_err();
        assert_eq!(err.name(), "Hitl.InvalidInput");
        assert!(
            err.to_string().starts_with("conversationId must be"),
            "{err}"
        );
    }
    let misspelled = json!({"title": "t", "taskToken": "tok", "conversationIds": "19:a@thread.v2"});
    let err = serde_json::from_value::<TeamsRequestActionInput>(misspelled).unwrap_err();
    assert!(
        err.to_string().contains("unknown field `conversationIds`"),
        "{err}"
    );
}

#[test]
fn not_with_user() {
    let both = json!({"conversationId": "19:abc@thread.v2", "user": "alice@corp.example"});
    let err = ask(both).unwrap_err();
    assert!(
        err.to_string().contains("either conversationId or user"),
        "{err}"
    );
}

#[test]
fn with_a_conversation_approvers_may_be_object_ids() {
    let oid = "0B7E8C2A-0000-4000-8000-00000000000A";
    let checked = ask(json!({
        "conversationId": "19:abc@thread.v2",
        "approvers": ["Alice@Corp.example", oid, oid.to_lowercase()],
    }))
    .unwrap();
    assert_eq!(checked.approvers, vec!["alice@corp.example"]);
    assert_eq!(checked.approver_ids, vec![oid.to_lowercase()]);

    // Without the bot's card, an approver is an address (their personal link is emailed).
    let err = ask(json!({"approvers": [oid]})).unwrap_err();
    assert!(err.to_string().contains("is not an email address"), "{err}");
}
