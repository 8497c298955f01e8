//! The email flow under load: three approvers, each with a personal email whose links decide.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::{Click, Request, Target, Verdict, EMAIL_FLOW};

pub const APPROVERS: [&str; 3] = ["a@example.com", "b@example.com", "c@example.com"];

/// Starts one execution titled `tag` (no `name`: the stack names it, as AWS would).
pub async fn start(target: &Target, tag: &str) -> anyhow::Result<String> {
    let input = json!({"title": tag, "to": APPROVERS, "approvers": APPROVERS});
    target
        .start_execution(&Target::state_machine_arn(EMAIL_FLOW), &input)
        .await
}

/// The approve and reject URLs in an email's text body (`Approve: …`, `Reject: …` lines).
pub fn links_of(text: &str) -> Option<(String, String)> {
    let find = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|l| l.trim().to_string())
    };
    Some((find("Approve: ")?, find("Reject: ")?))
}

/// The approval id in a link: `…/decisions/{approvalId}?…`.
pub fn approval_id_of(url: &str) -> Option<String> {
    let path = url.split('?').next()?;
    let id = path.rsplit_once("/decisions/")?.1;
    (!id.is_empty()).then(|| id.to_string())
}

/// Attaches the captured emails to the requests whose tag is in the subject; `true` when
/// every email request has its personal emails (three, or two beside a requester).
pub async fn attach_emails(target: &Target, requests: &mut [Request]) -> anyhow::Result<bool> {
    let emails: Vec<Value> = target.get_json("/_local/api/emails").await?;
    let mut by_tag: HashMap<&str, Vec<(String, String, String)>> = HashMap::new();
    for email in &emails {
        let subject = email["subject"].as_str().unwrap_or_default();
        let Some(tag) = tag_in(subject) else { continue };
        let to = email["to"][0].as_str().unwrap_or_default().to_string();
        if let Some((approve, reject)) = links_of(email["text"].as_str().unwrap_or_default()) {
            by_tag.entry(tag).or_default().push((to, approve, reject));
        }
    }
    let mut complete = true;
    for request in requests.iter_mut().filter(|r| r.flow == super::Flow::Email) {
        if let Some(mut links) = by_tag.remove(request.tag.as_str()) {
            links.sort();
            links.dedup_by(|a, b| a.0 == b.0);
            request.approval_id = links.first().and_then(|l| approval_id_of(&l.1));
            request.links = links;
        }
        complete &= request.links.len() == request.emailed;
    }
    Ok(complete)
}

/// `load-<run>-<n>` inside a subject.
fn tag_in(subject: &str) -> Option<&str> {
    let start = subject.find("load-")?;
    let rest = &subject[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// a approves, b rejects, c approves: all at once, each from their own email.
pub async fn click_three(target: &Target, request: &Request) -> Vec<Click> {
    let link = |who: &str, approve: bool| {
        request
            .links
            .iter()
            .find(|(to, _, _)| to == who)
            .map(|(_, a, r)| if approve { a.clone() } else { r.clone() })
    };
    let plan = [
        (APPROVERS[0], "approve", link(APPROVERS[0], true)),
        (APPROVERS[1], "reject", link(APPROVERS[1], false)),
        (APPROVERS[2], "approve", link(APPROVERS[2], true)),
    ];
    let click = |(who, choice, url): (&'static str, &'static str, Option<String>)| async move {
        let (status, verdict) = match url {
            Some(url) => confirm(target, &url).await,
            None => (0, Verdict::Failed),
        };
        Click {
            who: who.to_string(),
            choice: choice.to_string(),
            status,
            verdict,
            answered_at: SystemTime::now(),
        }
    };
    let [a, b, c] = plan;
    let first = a.clone();
    let (a, b, c) = tokio::join!(click(a), click(b), click(c));
    let mut clicks = vec![a, b, c];
    // The page tells a failed click to its clicker, who clicks again, as a person would.
    for _ in 0..3 {
        if clicks.iter().any(|c| c.verdict != Verdict::Failed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        clicks.push(click(first.clone()).await);
    }
    clicks
}

/// Submits a link's confirmation form: a POST of the link's query to its path.
pub async fn confirm(target: &Target, url: &str) -> (u16, Verdict) {
    let Some((path, query)) = url.split_once('?') else {
        return (0, Verdict::Failed);
    };
    let sent = target
        .http
        .post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query.to_string())
        .send()
        .await;
    let Ok(response) = sent else {
        return (0, Verdict::Failed);
    };
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    (status, verdict(status, &body))
}

/// What a confirmation page says.
pub fn verdict(status: u16, body: &str) -> Verdict {
    match status {
        200 if body.contains("decision is recorded") => Verdict::Recorded {
            delivered: body.contains("has been told"),
        },
        409 => Verdict::AlreadyDecided,
        _ => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_tags_and_verdicts_are_read_from_what_a_person_sees() {
        let text = "Hello\nApprove: http://h/decisions/ab-1?d=approve&sig=x\nReject: http://h/decisions/ab-1?d=reject\n";
        let (approve, reject) = links_of(text).unwrap();
        assert_eq!(approval_id_of(&approve).as_deref(), Some("ab-1"));
        assert!(reject.ends_with("d=reject"));
        assert_eq!(
            tag_in("Approval needed: load-1a2b3c4d-00042"),
            Some("load-1a2b3c4d-00042")
        );
        assert_eq!(tag_in("Approval needed: other"), None);
        assert_eq!(
            verdict(200, "your decision is recorded. The workflow has been told"),
            Verdict::Recorded { delivered: true }
        );
        assert_eq!(
            verdict(200, "decision is recorded; will be told shortly"),
            Verdict::Recorded { delivered: false }
        );
        assert_eq!(verdict(409, "already decided"), Verdict::AlreadyDecided);
        assert_eq!(verdict(500, "Internal Server Error"), Verdict::Failed);
    }
}
