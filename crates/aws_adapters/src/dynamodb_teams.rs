//! How a request's Teams identities are laid out as DynamoDB attributes: `teamsApprovers`, a
//! list of `{objectId, name, userPrincipalName?, tenantId}` maps (absent when the request named
//! nobody or was not sent by the bot), and the Teams user of a decision made on a bot card as
//! flat attributes beside the decision (`teamsUserObjectId`, `teamsUserName`,
//! `teamsUserPrincipalName`, `teamsTenantId`), like `slackUserId`.

use approvals::{HitlError, TeamsUser};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb_item::{corrupt, get_s, s, Item};

/// `objectId`, `name`, `userPrincipalName` (when known), `tenantId`, under `prefix`
/// (`teamsUser`: `teamsUserObjectId`...; none inside a list's map).
fn user_attributes(user: &TeamsUser, names: &Names) -> Item {
    let mut item = Item::from([
        (names.object_id.to_string(), s(&user.object_id)),
        (names.name.to_string(), s(&user.name)),
        (names.tenant_id.to_string(), s(&user.tenant_id)),
    ]);
    if let Some(upn) = &user.user_principal_name {
        item.insert(names.upn.to_string(), s(upn));
    }
    item
}

fn user_from(item: &Item, names: &Names) -> Result<Option<TeamsUser>, HitlError> {
    let Some(object_id) = get_s(item, names.object_id) else {
        return Ok(None);
    };
    Ok(Some(TeamsUser {
        object_id,
        name: get_s(item, names.name).ok_or_else(|| corrupt(names.name))?,
        user_principal_name: get_s(item, names.upn),
        tenant_id: get_s(item, names.tenant_id).ok_or_else(|| corrupt(names.tenant_id))?,
    }))
}

/// The attribute names of one Teams user.
struct Names {
    object_id: &'static str,
    name: &'static str,
    upn: &'static str,
    tenant_id: &'static str,
}

const IN_LIST: Names = Names {
    object_id: "objectId",
    name: "name",
    upn: "userPrincipalName",
    tenant_id: "tenantId",
};

const ON_DECISION: Names = Names {
    object_id: "teamsUserObjectId",
    name: "teamsUserName",
    upn: "teamsUserPrincipalName",
    tenant_id: "teamsTenantId",
};

/// `teamsApprovers` (nothing when there are none).
pub fn approvers_attributes(approvers: &[TeamsUser]) -> Item {
    if approvers.is_empty() {
        return Item::new();
    }
    let list = approvers
        .iter()
        .map(|a| AttributeValue::M(user_attributes(a, &IN_LIST)))
        .collect();
    Item::from([("teamsApprovers".to_string(), AttributeValue::L(list))])
}

pub fn approvers_from(item: &Item) -> Result<Vec<TeamsUser>, HitlError> {
    let Some(list) = item.get("teamsApprovers") else {
        return Ok(Vec::new());
    };
    let list = list.as_l().map_err(|_| corrupt("teamsApprovers"))?;
    list.iter()
        .map(|a| {
            let m = a.as_m().map_err(|_| corrupt("teamsApprovers"))?;
            user_from(m, &IN_LIST)?.ok_or_else(|| corrupt("teamsApprovers.objectId"))
        })
        .collect()
}

/// The Teams user of a decision (nothing for other decisions).
pub fn decision_user_attributes(user: Option<&TeamsUser>) -> Item {
    user.map(|u| user_attributes(u, &ON_DECISION))
        .unwrap_or_default()
}

pub fn decision_user_from(item: &Item) -> Result<Option<TeamsUser>, HitlError> {
    user_from(item, &ON_DECISION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> TeamsUser {
        TeamsUser {
            object_id: "oid-1".into(),
            name: "Alice".into(),
            user_principal_name: Some("alice@corp.example".into()),
            tenant_id: "tid".into(),
        }
    }

    #[test]
    fn teams_users_round_trip_and_a_malformed_one_is_a_named_error() {
        let bob = TeamsUser {
            user_principal_name: None,
            ..alice()
        };
        let approvers = vec![alice(), bob];
        assert_eq!(
            approvers_from(&approvers_attributes(&approvers)).unwrap(),
            approvers
        );
        assert!(approvers_attributes(&[]).is_empty());
        let on_decision = decision_user_attributes(Some(&alice()));
        assert_eq!(decision_user_from(&on_decision).unwrap(), Some(alice()));
        assert_eq!(decision_user_from(&Item::new()).unwrap(), None);

        let mut broken = approvers_attributes(&[alice()]);
        let AttributeValue::L(list) = broken.get_mut("teamsApprovers").unwrap() else {
            panic!("a list")
        };
        let AttributeValue::M(first) = &mut list[0] else {
            panic!("a map")
        };
        first.remove("tenantId");
        assert_eq!(
            approvers_from(&broken).unwrap_err().name(),
            "Hitl.DependencyFailed"
        );
    }
}
