//! A person's path in a real headless Chromium: the email as a mail client shows it -> the
//! Approve button -> the confirmation page -> Approve -> the decision, and the workflow ends
//! on its approved branch.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use e2e_tests::*;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A headless Chromium under ChromeDriver, closed (with its profile) by `close`.
struct Browser {
    client: fantoccini::Client,
    profile: std::path::PathBuf,
    _driver: Driver,
}

impl Browser {
    async fn start() -> Browser {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let (Some(chromium), true) = (
            chromium,
            std::path::Path::new("/usr/bin/chromedriver").exists(),
        ) else {
            panic!("Chromium and ChromeDriver are needed: apt-get install chromium chromium-driver (.ci/run does)");
        };
        let port = free_port();
        let driver = Driver(
            Command::new("/usr/bin/chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        let profile = std::env::temp_dir().join(unique("chromium-profile"));
        let caps = json!({"goog:chromeOptions": {"binary": chromium, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display())]}});
        let caps: serde_json::Map<String, serde_json::Value> = caps.as_object().unwrap().clone();
        for _ in 0..50 {
            if let Ok(client) = ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                return Browser {
                    client,
                    profile,
                    _driver: driver,
                };
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("ChromeDriver did not accept a session");
    }

    async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[tokio::test]
async fn a_person_approves_from_the_email_in_chromium() {
    let title = unique("Stop db-browser");
    let arn = start_execution(
        "EmailApprovalStateMachine",
        json!({"title": title, "to": ["owner@example.com"]}),
    )
    .await;
    let email = emails_matching(&title, 1).await.remove(0);
    let session = Browser::start().await;
    let browser = &session.client;

    let result = async {
        browser
            .goto(&format!("{}/_local/emails/{}", endpoints().api, email.id))
            .await?;
        browser
            .find(Locator::LinkText("Approve"))
            .await?
            .click()
            .await?;
        // The confirmation page: nothing is decided yet.
        let confirm = browser.wait().for_element(Locator::Id("confirm")).await?;
        assert_eq!(
            browser
                .find(Locator::Id("request-title"))
                .await?
                .text()
                .await?,
            title
        );
        assert_eq!(execution_status(&arn).await, "RUNNING");
        browser
            .find(Locator::Id("name"))
            .await?
            .send_keys("Chris in Chromium")
            .await?;
        confirm.click().await?;
        let decision = browser.wait().for_element(Locator::Id("decision")).await?;
        assert_eq!(
            decision.attr("data-decision").await?.as_deref(),
            Some("approve")
        );
        assert!(decision
            .text()
            .await?
            .contains("Approved by Chris in Chromium"));
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    session.close().await;
    result.expect("browser flow");

    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    assert_eq!(
        end.output["decision"]["decidedBy"]["name"],
        "Chris in Chromium"
    );
}

#[tokio::test]
async fn a_slack_button_on_the_local_page_decides_as_slack_would() {
    let tag = unique("browser-slack");
    let arn = start_execution(
        "SlackApprovalStateMachine",
        json!({"channel": "#approvals", "text": format!("Resize {tag}?"), "allowedUsers": ["U0BOB"]}),
    )
    .await;
    let message = slack_message_with(&tag).await;
    let ts = message["ts"].as_str().unwrap().to_string();
    let session = Browser::start().await;
    let browser = &session.client;
    let result = async {
        browser
            .goto(&format!("{}/_local/", endpoints().api))
            .await?;
        // The form of this message: click as bob, on Approve.
        let form = browser
            .find(Locator::Css(&format!(
                "form.slack-actions:has(input[name=ts][value=\"{ts}\"])"
            )))
            .await?;
        form.find(Locator::Css("select[name=user] option[value=U0BOB]"))
            .await?
            .click()
            .await?;
        form.find(Locator::Css("button[value=\"0\"]"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_url(
                &format!("{}/_local/#slack", endpoints().api)
                    .parse()
                    .unwrap(),
            )
            .await?;
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    session.close().await;
    result.expect("browser flow");

    let end = wait_for_end(&arn, Duration::from_secs(30)).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    assert_eq!(end.output["decision"]["slackUser"]["id"], "U0BOB");
    let updated = slack_message(message["channel"].as_str().unwrap(), &ts).await;
    assert!(updated.to_string().contains("<@U0BOB>"), "{updated}");
}
