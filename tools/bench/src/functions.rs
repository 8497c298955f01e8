//! The functions the bench runs from its release build, as `function_catalog` names them:
//! `make bench` builds exactly these (`hitl-bench-functions` lists them), and the bench refuses
//! to start without them.

use function_catalog::{Function, CREATE_APPROVAL_LINKS, DECISION_API, SLACK_REQUEST_ACTION};

/// Create Approval Links: measured (the Task case), and the helper that makes the links.
pub const CREATE: &Function = &CREATE_APPROVAL_LINKS;
/// The Decision API: measured (a link's GET and POST, the Slack click).
pub const DECISION: &Function = &DECISION_API;
/// Slack Request Action: the helper that posts the messages the click case clicks.
pub const SLACK_REQUEST: &Function = &SLACK_REQUEST_ACTION;

/// Every function the bench runs, each once.
pub const ALL: [&Function; 3] = [CREATE, DECISION, SLACK_REQUEST];
