//! `views.open`: the follow-up question's modal.

use super::*;
use crate::testing::{answer, serve};

#[tokio::test]
async fn a_view_is_opened_with_the_trigger_and_an_expired_trigger_is_named() {
    let expired = r#"{"ok": false, "error": "expired_trigger_id"}"#;
    let server = serve(vec![answer(200, r#"{"ok": true}"#), answer(200, expired)]).await;
    let slack = SlackWebApi::new(&server.url, "xoxb-1");
    let view = json!({"type": "modal", "blocks": []});
    slack.open_view("123.456.abc", &view).await.unwrap();
    let err = slack.open_view("123.456.abc", &view).await.unwrap_err();
    assert_eq!(err.name(), "Slack.ApiError");
    assert!(err.to_string().contains("within 3 seconds"), "{err}");
    assert_eq!(server.paths(), ["/views.open"; 2]);
}
