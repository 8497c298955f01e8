//! The message SMTP carries (headers, parts, envelope), and the named error for each way a
//! server or a connection fails, against a scripted server on loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;

fn email() -> OutgoingEmail {
    OutgoingEmail {
        from: "Approvals@Corp.com".into(),
        from_name: Some("Cloud Ops".into()),
        to: vec!["a@corp.com".into()],
        cc: vec!["b@corp.com".into()],
        bcc: vec!["secret@corp.com".into()],
        reply_to: vec!["help@corp.com".into()],
        subject: "Deploy done".into(),
        text: "All good".into(),
        html: "<p>All <b>good</b></p>".into(),
    }
}

#[test]
fn the_message_has_every_header_both_parts_and_bcc_only_in_its_envelope() {
    let (message, id) = smtp_message(&email()).unwrap();
    let raw = String::from_utf8(message.formatted()).unwrap();
    assert!(
        raw.contains("From: \"Cloud Ops\" <Approvals@Corp.com>\r\n"),
        "{raw}"
    );
    assert!(raw.contains("To: a@corp.com\r\n"), "{raw}");
    assert!(raw.contains("Cc: b@corp.com\r\n"), "{raw}");
    assert!(raw.contains("Reply-To: help@corp.com\r\n"), "{raw}");
    assert!(raw.contains(&format!("Message-ID: <{id}>\r\n")), "{raw}");
    assert!(id.ends_with("@Corp.com"), "{id}");
    assert!(
        !raw.contains("secret@corp.com"),
        "Bcc leaks into the headers: {raw}"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
    assert!(
        raw.contains("Content-Type: text/html; charset=utf-8"),
        "{raw}"
    );
    let envelope: Vec<String> = message
        .envelope()
        .to()
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(envelope, ["a@corp.com", "b@corp.com", "secret@corp.com"]);

    let html_only = OutgoingEmail {
        text: String::new(),
        from_name: Some("Équipe".into()),
        ..email()
    };
    let raw = String::from_utf8(smtp_message(&html_only).unwrap().0.formatted()).unwrap();
    assert!(!raw.contains("multipart"), "{raw}");
    assert!(
        raw.contains("Content-Type: text/html; charset=utf-8"),
        "{raw}"
    );
    assert!(
        raw.contains("From: =?utf-8?b?"),
        "a non-ASCII name is encoded: {raw}"
    );
}

/// How the scripted server answers a command (`None`: as a willing server would).
type Script = fn(&str) -> Option<&'static str>;

/// A server on loopback that answers each command as `reply` says (`None`: the default
/// answer) and records what it was sent.
async fn scripted(reply: Script) -> (u16, Arc<Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(String::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 scripted ESMTP\r\n").await.unwrap();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                log.lock().unwrap().push_str(&format!("{line}\n"));
                let command = if in_data && line != "." {
                    continue;
                } else if in_data {
                    "."
                } else {
                    line.as_str()
                };
                let answer = match (reply(command), command.split(' ').next().unwrap_or("")) {
                    (Some(answer), _) => answer,
                    (None, "EHLO") => "250-scripted\r\n250 AUTH PLAIN LOGIN",
                    (None, "AUTH") => "235 2.7.0 Authentication successful",
                    (None, "DATA") => "354 go ahead",
                    (None, "QUIT") => "221 bye",
                    (None, _) => "250 OK",
                };
                in_data = command == "DATA" && answer.starts_with("354");
                if answer == "hang" {
                    continue;
                }
                write
                    .write_all(format!("{answer}\r\n").as_bytes())
                    .await
                    .unwrap();
            }
        }
    });
    (port, seen)
}

async fn send_to(port: u16, login: Option<(&str, &str)>) -> Result<String, HitlError> {
    SmtpSender::clear_text("127.0.0.1", port, login)
        .with_budget(Duration::from_millis(1500))
        .send(&email())
        .await
}

#[tokio::test]
async fn an_accepted_message_goes_to_every_recipient_with_its_login() {
    let (port, seen) = scripted(|_| None).await;
    let id = send_to(port, Some(("bot", "pw"))).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains("AUTH PLAIN"), "{seen}");
    for rcpt in ["a@corp.com", "b@corp.com", "secret@corp.com"] {
        assert!(seen.contains(&format!("RCPT TO:<{rcpt}>")), "{seen}");
    }
    assert!(seen.contains(&format!("Message-ID: <{id}>")), "{seen}");
}

#[tokio::test]
async fn each_failure_has_its_name() {
    let cases: [(Script, &str); 4] = [
        (
            |c| {
                c.starts_with("AUTH")
                    .then_some("535 5.7.8 Authentication credentials invalid")
            },
            "Smtp.Unauthorized",
        ),
        (
            |c| c.starts_with("RCPT").then_some("550 5.1.1 No such user"),
            "Hitl.EmailRejected",
        ),
        (
            |c| (c == ".").then_some("451 4.3.0 Try again later"),
            "Smtp.Unavailable",
        ),
        (|c| (c == ".").then_some("hang"), "Smtp.Unconfirmed"),
    ];
    for (reply, name) in cases {
        let (port, _) = scripted(reply).await;
        let err = send_to(port, Some(("bot", "pw"))).await.unwrap_err();
        assert_eq!(err.name(), name, "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
    }
    // Nobody listening: nothing was sent.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = send_to(port, None).await.unwrap_err();
    assert_eq!(err.name(), "Smtp.Unavailable", "{err}");
}

/// (The connection pool lives on the runtime, as in a function.)
#[tokio::test]
async fn a_login_needs_both_halves() {
    let settings = SmtpSettings {
        host: "smtp.corp.com".into(),
        port: 587,
        security: SmtpSecurity::StartTls,
        username: Some("bot".into()),
    };
    assert_eq!(
        SmtpSender::new(&settings, None).unwrap_err().name(),
        "Hitl.Config"
    );
    let password = SecretString::from("pw");
    let anonymous = SmtpSettings {
        username: None,
        ..settings.clone()
    };
    assert_eq!(
        SmtpSender::new(&anonymous, Some(&password))
            .unwrap_err()
            .name(),
        "Hitl.Config"
    );
    assert!(SmtpSender::new(&settings, Some(&password)).is_ok());
}
