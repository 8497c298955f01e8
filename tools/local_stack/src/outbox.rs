//! Every email sent while the local stack runs, whichever transport carried it: SESv2 (the
//! edge records what moto accepted), SMTP (the local SMTP server's messages) and Outlook (the
//! Graph stand-in's `sendMail`). The local page and the tests read them from here.

use std::sync::Mutex;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEmail {
    pub id: String,
    /// `ses`, `smtp` or `outlook`.
    pub via: String,
    pub from: String,
    /// The sender's display name, if any.
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: String,
}

#[derive(Default)]
pub struct Outbox {
    emails: Mutex<Vec<SentEmail>>,
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A list of addresses in a JSON request (`["a@x", ...]`).
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `"Name" <address>`, `=?UTF-8?B?…?= <address>` or a bare address, as (name, address).
pub fn split_mailbox(from: &str) -> (Option<String>, String) {
    let Some((name, rest)) = from.rsplit_once('<') else {
        return (None, from.trim().to_string());
    };
    let address = rest.trim_end_matches('>').trim().to_string();
    let name = name.trim();
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        // Adjacent encoded words make one text (RFC 2047).
        None if name.starts_with("=?") => name
            .split(' ')
            .map(|word| decode_word(word).unwrap_or_else(|| word.to_string()))
            .collect(),
        None => name.to_string(),
    };
    (Some(name).filter(|n| !n.is_empty()), address)
}

/// An RFC 2047 `=?UTF-8?B?…?=` word, decoded.
fn decode_word(word: &str) -> Option<String> {
    let encoded = word
        .strip_prefix("=?UTF-8?B?")
        .or_else(|| word.strip_prefix("=?utf-8?b?"))?
        .strip_suffix("?=")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

impl Outbox {
    pub fn record(&self, email: SentEmail) {
        self.emails.lock().unwrap().push(email);
    }

    /// Records a SESv2 SendEmail request (`Content.Simple`) that moto accepted.
    pub fn record_sesv2(&self, request: &[u8], response: &[u8]) {
        let Ok(req) = serde_json::from_slice::<Value>(request) else {
            return;
        };
        let id = serde_json::from_slice::<Value>(response)
            .ok()
            .and_then(|r| r["MessageId"].as_str().map(str::to_string))
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let simple = &req["Content"]["Simple"];
        let text = |v: &Value| v["Data"].as_str().unwrap_or_default().to_string();
        let (from_name, from) = split_mailbox(req["FromEmailAddress"].as_str().unwrap_or_default());
        let destination = &req["Destination"];
        self.record(SentEmail {
            id: id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect(),
            via: "ses".into(),
            from,
            from_name,
            to: strings(&destination["ToAddresses"]),
            cc: strings(&destination["CcAddresses"]),
            bcc: strings(&destination["BccAddresses"]),
            reply_to: strings(&req["ReplyToAddresses"]),
            subject: text(&simple["Subject"]),
            text: text(&simple["Body"]["Text"]),
            html: text(&simple["Body"]["Html"]),
            sent_at: now_rfc3339(),
        });
    }

    /// Newest first.
    pub fn all(&self) -> Vec<SentEmail> {
        self.emails.lock().unwrap().iter().rev().cloned().collect()
    }

    pub fn get(&self, id: &str) -> Option<SentEmail> {
        self.emails
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.id == id)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_is_split_into_its_name_and_address() {
        assert_eq!(split_mailbox("a@x.com"), (None, "a@x.com".into()));
        assert_eq!(
            split_mailbox("\"Cloud \\\"Ops\\\"\" <A@X.com>"),
            (Some("Cloud \"Ops\"".into()), "A@X.com".into())
        );
        assert_eq!(
            split_mailbox("=?UTF-8?B?w4lxdWlwZSBDbG91ZCDimIE=?= <a@x.com>"),
            (Some("Équipe Cloud ☁".into()), "a@x.com".into())
        );
    }
}
