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

#[tokio::test]
async fn a_person_approves_from_the_email_in_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let (Some(chromium), true) = (
        chromium,
        std::path::Path::new("/usr/bin/chromedriver").exists(),
    ) else {
        panic!("Chromium and ChromeDriver are needed: apt-get install chromium chromium-driver (.ci/run does)");
    };

    let title = unique("Stop db-browser");
    let arn = start_execution(
        "EmailApprovalStateMachine",
        json!({"title": title, "to": ["owner@example.com"]}),
    )
    .await;
    let email = emails_matching(&title, 1).await.remove(0);

    let port = free_port();
    let _driver = Driver(
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
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let browser = client.expect("ChromeDriver did not accept a session");

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
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(profile);
    result.expect("browser flow");

    let end = wait_for_end(&arn, Duration::from_secs(60)).await;
    assert_eq!(end.output["outcome"], "approved", "{end:?}");
    assert_eq!(
        end.output["decision"]["decidedBy"]["name"],
        "Chris in Chromium"
    );
}
