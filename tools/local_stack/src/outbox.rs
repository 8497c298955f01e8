//! Every email sent through SESv2 while the local stack runs, for the local page and tests.

use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEmail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: String,
}

#[derive(Default)]
pub struct Outbox {
    emails: Mutex<Vec<SentEmail>>,
}

impl Outbox {
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
        let email = SentEmail {
            id: id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect(),
            from: req["FromEmailAddress"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            to: req["Destination"]["ToAddresses"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            subject: text(&simple["Subject"]),
            text: text(&simple["Body"]["Text"]),
            html: text(&simple["Body"]["Html"]),
            sent_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        };
        self.emails.lock().unwrap().push(email);
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
