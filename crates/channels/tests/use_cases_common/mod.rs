//! What the approval use-case tests share: a world of in-memory adapters with a fixed clock,
//! and the links it creates and clicks.
#![allow(dead_code)] // each test file uses its own part

use approvals::testing::{FakeResumer, FakeStore};
use approvals::use_cases::TaskStatus;
use approvals::use_cases::{self, ClientInfo, LinkSettings, LinkView, WaitInput};
use approvals::{CreateLinksInput, CreateLinksOutput, HitlError, LinkSigner};

pub const NOW: i64 = 1_800_000_000;
pub const BASE: &str = "https://api.example.com";

pub struct World {
    pub signer: LinkSigner,
    pub store: FakeStore,
    pub resumer: FakeResumer,
}

impl World {
    pub fn new() -> Self {
        World {
            signer: LinkSigner::from_config("k1:0123456789abcdef0123456789abcdef").unwrap(),
            store: FakeStore::default(),
            resumer: FakeResumer::default(),
        }
    }

    pub async fn create(&self, input: serde_json::Value) -> CreateLinksOutput {
        self.try_create(input).await.unwrap()
    }

    pub async fn try_create(
        &self,
        input: serde_json::Value,
    ) -> Result<CreateLinksOutput, HitlError> {
        let settings = LinkSettings {
            signer: &self.signer,
            base_url: BASE,
            retention_days: 30,
            origin: approvals::Channel::Email,
        };
        let input: CreateLinksInput = serde_json::from_value(input).unwrap();
        use_cases::create_approval_links(input, &settings, &self.store, "appr-1".into(), NOW).await
    }

    pub async fn wait(&self, token: &str) -> Result<TaskStatus, HitlError> {
        let input = WaitInput {
            approval_id: Some("appr-1".into()),
            task_token: Some(token.into()),
            execution_arn: None,
        };
        use_cases::wait_for_approval(input, &self.store, &self.resumer, NOW + 1)
            .await
            .map(|o| o.status)
    }

    pub async fn get(&self, url: &str, now: i64) -> LinkView {
        let (id, query) = split(url);
        use_cases::view_link(&id, &query, &self.signer, &self.store, now).await
    }

    pub async fn post(&self, url: &str, extra: &str, now: i64) -> LinkView {
        let (id, query) = split(url);
        let body = format!("{query}{extra}");
        let client = ClientInfo {
            source_ip: Some("203.0.113.7".into()),
            user_agent: Some("test".into()),
        };
        use_cases::decide(
            &id,
            &body,
            client,
            &self.signer,
            &self.store,
            &self.resumer,
            now,
        )
        .await
    }

    pub fn resumes(&self) -> Vec<(String, approvals::DecisionOutput)> {
        self.resumer.resumed.lock().unwrap().clone()
    }
}

fn split(url: &str) -> (String, String) {
    let (path, query) = url.split_once('?').unwrap();
    (
        path.rsplit('/').next().unwrap().to_string(),
        query.to_string(),
    )
}
