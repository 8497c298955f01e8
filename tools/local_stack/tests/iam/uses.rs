//! `USES`: the port calls each function makes, written down for review.

/// The port methods each function's use cases call (`approvals`), by logical id. Functions not
/// listed call none. Secrets are checked apart (`secrets_are_read_only_by_the_functions_that_name_them`).
pub const USES: &[(&str, &[&str])] = &[
    // service::create_approval_links
    ("CreateApprovalLinksFunction", &["create"]),
    // service::wait_for_approval (+ delivery::deliver_decision when already decided)
    ("WaitForApprovalFunction", WAIT),
    ("SlackWaitForUserActionFunction", WAIT),
    // email::send_email
    ("SendEmailFunction", &["send"]),
    // service::view_link, service::decide, slack_click::record_click and ::decided
    (
        "DecisionApiFunction",
        &[
            "get",
            "record_decision",
            "claim_delivery",
            "finish_delivery",
            "release_lease",
            "settle",
            "resume",
            "message_updated",
        ],
    ),
    // slack::request_action (create_or_resume)
    (
        "SlackRequestActionFunction",
        &["create", "get", "attach_task_token", "attach_message"],
    ),
    // slack::send_message (create_or_resume with a requestKey)
    (
        "SlackSendMessageFunction",
        &["create", "get", "attach_task_token", "attach_message"],
    ),
    // slack::close_expired_messages_while
    (
        "SlackExpirySweeperFunction",
        &[
            "expired_open_messages",
            "claim_message_close",
            "release_message_close",
        ],
    ),
    // delivery::relay_while (deliver_decision, fail_expired, update_message, settle)
    (
        "DecisionRelayFunction",
        &[
            "due_for_relay",
            "get",
            "claim_delivery",
            "finish_delivery",
            "release_lease",
            "settle",
            "reschedule",
            "resume",
            "claim_expiry",
            "fail",
            "finish_expiry",
            "message_updated",
            "message_update_failed",
            "give_up_message_update",
        ],
    ),
    // teams::request_action (create_approval_links, email::send_email, post_once)
    (
        "TeamsRequestActionFunction",
        &[
            "get",
            "create",
            "attach_message",
            "attach_task_token",
            "send",
        ],
    ),
];

const WAIT: &[&str] = &[
    "attach_task_token",
    "claim_delivery",
    "finish_delivery",
    "release_lease",
    "settle",
    "resume",
];

/// What `USES` declares for `function` (nothing when it is not listed).
pub fn declared(function: &str) -> &'static [&'static str] {
    USES.iter()
        .find(|(f, _)| *f == function)
        .map_or(&[][..], |(_, m)| *m)
}
