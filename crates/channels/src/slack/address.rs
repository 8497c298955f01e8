//! Where a message goes (`channel`, or `user` as a user id or an email address looked up with
//! `users.lookupByEmail`) and who it appears to come from (`username`, `iconEmoji`,
//! `iconUrl`, which need the `chat:write.customize` scope).

use super::*;
use approvals::input::{check_length, non_blank};
use approvals::use_cases::slack::Destination;

/// `channel` or `user` (exactly one): where to post. `user` is a user id (`U…`) or the
/// person's email address.
pub(crate) fn destination(
    channel: Option<String>,
    user: Option<String>,
) -> Result<Destination, HitlError> {
    match (non_blank(channel), non_blank(user)) {
        (Some(channel), None) => Ok(Destination::Conversation(channel)),
        (None, Some(user)) if is_slack_id(&user) => Ok(Destination::Conversation(user)),
        (None, Some(user)) if is_email(&user) => Ok(Destination::Email(user)),
        (None, Some(user)) => Err(HitlError::invalid_input(format!(
            "user must be a Slack user id such as U0123ABCD or an email address such as alice@corp.com, not {user:?}"
        ))),
        (Some(_), Some(_)) => Err(HitlError::invalid_input(
            "give either channel or user, not both",
        )),
        (None, None) => Err(HitlError::invalid_input(
            "channel (an id such as C0123ABCD or #name) or user (a user id or an email address, for a DM) is required",
        )),
    }
}

/// One `@`, something on each side, no spaces: enough to tell an address from an id or a
/// name (Slack itself says whether anyone has it).
pub(crate) fn is_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && value.len() <= 254
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// Slack's limit for a bot's display name.
pub const MAX_USERNAME_CHARS: usize = 80;

/// `username`, `iconEmoji`, `iconUrl`, checked: one line, an emoji as `:name:`, an https URL.
pub(crate) fn persona(
    username: Option<String>,
    icon_emoji: Option<String>,
    icon_url: Option<String>,
) -> Result<Persona, HitlError> {
    let username = non_blank(username);
    if let Some(name) = &username {
        check_length("username", name, MAX_USERNAME_CHARS)?;
        approvals::input::check_one_line("username", name)?;
    }
    let icon_emoji = non_blank(icon_emoji);
    if let Some(emoji) = &icon_emoji {
        let name = emoji.strip_prefix(':').and_then(|e| e.strip_suffix(':'));
        let valid = name.is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 100
                && n.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '+' | '\''))
        });
        if !valid {
            return Err(HitlError::invalid_input(format!(
                "iconEmoji must be an emoji name between colons such as :robot_face:, not {emoji:?}"
            )));
        }
    }
    let icon_url = non_blank(icon_url);
    if let Some(url) = &icon_url {
        check_length("iconUrl", url, 2000)?;
        let host = url.strip_prefix("https://").unwrap_or_default();
        if host.is_empty() || url.chars().any(|c| c.is_whitespace()) {
            return Err(HitlError::invalid_input(format!(
                "iconUrl must be an https:// URL of an image, not {url:?}"
            )));
        }
    }
    Ok(Persona {
        username,
        icon_emoji,
        icon_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_an_id_or_an_email_address() {
        let user = |u: &str| destination(None, Some(u.into()));
        assert_eq!(
            user("U0ALICE").unwrap(),
            Destination::Conversation("U0ALICE".into())
        );
        assert_eq!(
            user(" alice@corp.com ").unwrap(),
            Destination::Email("alice@corp.com".into())
        );
        for bad in [
            "alice",
            "@alice",
            "alice@corp",
            "a b@corp.com",
            "alice@@corp.com",
        ] {
            let err = user(bad).unwrap_err();
            assert_eq!(err.name(), "Hitl.InvalidInput", "{bad}");
            assert!(err.to_string().contains("email address"), "{err}");
        }
    }

    #[test]
    fn personas_are_checked() {
        let ok = persona(
            Some("Deploy bot".into()),
            Some(":rocket:".into()),
            Some("https://example.com/i.png".into()),
        )
        .unwrap();
        assert_eq!(ok.username.as_deref(), Some("Deploy bot"));
        assert!(persona(None, Some("rocket".into()), None).is_err());
        assert!(persona(None, Some("::".into()), None).is_err());
        assert!(persona(None, None, Some("http://example.com/i.png".into())).is_err());
        assert!(persona(Some("two\nlines".into()), None, None).is_err());
        assert_eq!(persona(None, None, None).unwrap(), Persona::default());
    }
}
