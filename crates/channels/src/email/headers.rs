//! Who a message goes to and who it says it is from: `to`, `cc`, `bcc`, `replyTo` and the
//! sender's display name, checked and normalized before anything is sent.

use approvals::approval::normalize_email;
use approvals::HitlError;

use super::Recipients;

/// SES accepts at most 50 recipients (to, cc and bcc together) per message.
pub const MAX_RECIPIENTS: usize = 50;
pub const MAX_REPLY_TO: usize = 10;
pub const MAX_SENDER_NAME_CHARS: usize = 100;

/// A message's addresses besides its `to`, and the sender's display name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    pub from_name: Option<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Vec<String>,
}

impl Addressing {
    pub(super) fn new(
        sender_name: Option<String>,
        cc: Option<Recipients>,
        bcc: Option<Recipients>,
        reply_to: Option<Recipients>,
    ) -> Result<Self, HitlError> {
        let addressing = Addressing {
            from_name: sender_name_of(sender_name)?,
            cc: addresses("cc", cc)?,
            bcc: addresses("bcc", bcc)?,
            reply_to: addresses("replyTo", reply_to)?,
        };
        if addressing.reply_to.len() > MAX_REPLY_TO {
            return Err(HitlError::invalid_input(format!(
                "replyTo: at most {MAX_REPLY_TO} addresses"
            )));
        }
        Ok(addressing)
    }

    /// Anybody besides `to` receives the message.
    pub(super) fn has_copies(&self) -> bool {
        !self.cc.is_empty() || !self.bcc.is_empty()
    }

    /// The copies for a message to `to`: nobody gets it twice (an address in `to` is left out
    /// of `cc` and `bcc`, one in `cc` out of `bcc`).
    pub(super) fn copies_for(&self, to: &[String]) -> (Vec<String>, Vec<String>) {
        let cc: Vec<String> = self
            .cc
            .iter()
            .filter(|a| !to.contains(a))
            .cloned()
            .collect();
        let bcc = self
            .bcc
            .iter()
            .filter(|a| !to.contains(a) && !cc.contains(a))
            .cloned()
            .collect();
        (cc, bcc)
    }
}

/// One address or a list, each normalized (lowercase, trimmed), without duplicates; empty when
/// absent. An address that is not one is refused naming `field`.
pub(super) fn addresses(field: &str, list: Option<Recipients>) -> Result<Vec<String>, HitlError> {
    let raw = match list {
        None => Vec::new(),
        Some(Recipients::One(one)) => vec![one],
        Some(Recipients::Many(many)) => many,
    };
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for address in &raw {
        let address = normalize_email(address)
            .map_err(|e| HitlError::invalid_input(format!("{field}: {e}")))?;
        if !out.contains(&address) {
            out.push(address);
        }
    }
    Ok(out)
}

/// The sender's display name: one line of at most [`MAX_SENDER_NAME_CHARS`], and no address
/// in it (`"ceo@corp.com" <approvals@corp.com>` is how a display name misleads).
fn sender_name_of(name: Option<String>) -> Result<Option<String>, HitlError> {
    let Some(name) = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    approvals::input::check_one_line("senderName", &name)?;
    if name.chars().count() > MAX_SENDER_NAME_CHARS {
        return Err(HitlError::invalid_input(format!(
            "senderName is longer than {MAX_SENDER_NAME_CHARS} characters"
        )));
    }
    if name.contains(['@', '<', '>']) {
        return Err(HitlError::invalid_input(
            "senderName is a display name: it may not hold an address (@, < or >)",
        ));
    }
    Ok(Some(name))
}

/// One message to everybody in `to` (and the copies) needs somebody, and not too many.
pub(super) fn check_shared_recipients(
    to: &[String],
    addressing: &Addressing,
    missing: &str,
) -> Result<(), HitlError> {
    if to.is_empty() {
        return Err(HitlError::invalid_input(missing.to_string()));
    }
    let (cc, bcc) = addressing.copies_for(to);
    if to.len() + cc.len() + bcc.len() > MAX_RECIPIENTS {
        return Err(HitlError::invalid_input(format!(
            "at most {MAX_RECIPIENTS} recipients (to, cc and bcc together) per email"
        )));
    }
    Ok(())
}
