//! The input of a chat channel's Request Action given `approvalId`: it posts the request Create
//! Approval Links made instead of making one (Slack and Teams alike), so what belongs to the
//! request, and the wait's task token, are refused by name.

use crate::ids::{plausible_approval_id, MAX_APPROVAL_ID_CHARS};
use crate::HitlError;

/// The `approvalId` of a Request Action that posts an existing request, checked, with
/// `taskToken` and each of `request_fields` (the input's name, and whether it was given)
/// refused by name. `function` names the Request Action in the messages.
pub fn posted_request_id(
    function: &str,
    approval_id: Option<String>,
    task_token_given: bool,
    request_fields: &[(&str, bool)],
) -> Result<String, HitlError> {
    let id = super::non_blank(approval_id).ok_or_else(|| {
        HitlError::invalid_input(
            "approvalId is blank: give Create Approval Links' approvalId (\"approvalId.$\": \"$.approval.approvalId\")",
        )
    })?;
    if !plausible_approval_id(&id) {
        return Err(HitlError::invalid_input(format!(
            "approvalId is Create Approval Links' approvalId (1 to {MAX_APPROVAL_ID_CHARS} letters, digits, `-`, `_`, `.`); pass it as \"approvalId.$\": \"$.approval.approvalId\""
        )));
    }
    if task_token_given {
        return Err(HitlError::invalid_input(format!(
            "with `approvalId` the wait is Wait For Approval's: call {function} without .waitForTaskToken and leave out taskToken"
        )));
    }
    match request_fields.iter().find(|(_, given)| *given) {
        Some((field, _)) => Err(HitlError::invalid_input(format!(
            "`{field}` comes from the request Create Approval Links made (approvalId); leave it out here"
        ))),
        None => Ok(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_checked_and_the_request_s_fields_and_the_token_refused_by_name() {
        let ok = posted_request_id("Slack Request Action", Some("a-1".into()), false, &[]);
        assert_eq!(ok.unwrap(), "a-1");
        for bad in ["", "  ", "a b", &"x".repeat(65)] {
            let err = posted_request_id("S", Some(bad.into()), false, &[]).unwrap_err();
            assert!(err.to_string().contains("approvalId"), "{err}");
        }
        let err = posted_request_id("Teams Request Action", Some("a".into()), true, &[]);
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains("call Teams Request Action without .waitForTaskToken"),
            "{err}"
        );
        let fields = [("quorum", false), ("buttons", true)];
        let err = posted_request_id("S", Some("a".into()), false, &fields).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`buttons` comes from the request"),
            "{err}"
        );
    }
}
