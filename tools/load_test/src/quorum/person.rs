//! One approver voting from their personal email as a person does: opens the link (the
//! confirmation page), presses the button at the same moment as the request's other two
//! approvers, reads the page that comes back. A page that could not say whether the vote was
//! taken (a 5xx from a process that died, "not confirmed") is answered by submitting the same
//! form again, as the page and a browser's resubmit offer; "not taken" by opening the link again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Barrier;

use super::Plan;
use crate::burst::clients::{timed, Answer};
use crate::burst::form;
use crate::{email, Request};

/// Times a person opens their link, and submits one form, before giving up.
const OPENS: usize = 4;
const SUBMITS: usize = 4;
/// A person's pause before trying again.
const PAUSE: Duration = Duration::from_secs(2);

/// What the last page a person saw told them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// "Your approval is counted": the request stays open.
    Counted,
    /// "Your vote is recorded and settles the request"; `delivered`: the workflow has it.
    Recorded { delivered: bool },
    /// "You voted already" (their earlier vote stands).
    AlreadyVoted,
    /// "This request was already decided": the vote came after the settlement.
    AlreadyDecided,
    /// "Your vote cannot count on this request", or not asked at all: the requester.
    NoSlot,
    /// "We couldn't confirm your decision": submit the same form again.
    Unconfirmed,
    /// "Your click was not taken": open the link again.
    NotTaken,
    /// Anything else: the status (0: no answer).
    Failed(u16),
}

impl Told {
    /// Whether the page settled what happened to the vote (no reason to try again).
    pub fn is_final(&self) -> bool {
        !matches!(self, Told::Unconfirmed | Told::NotTaken | Told::Failed(_))
    }

    /// Whether the person was told their vote counts.
    pub fn counted(&self) -> bool {
        matches!(self, Told::Counted | Told::Recorded { .. })
    }
}

/// What a page says, read as its person reads it.
pub fn told(status: u16, body: &str) -> Told {
    match status {
        200 if body.contains("id=\"counted\"") => Told::Counted,
        200 if body.contains("settles the request") => Told::Recorded {
            delivered: body.contains("has been told"),
        },
        409 if body.contains("id=\"already-voted\"") => Told::AlreadyVoted,
        409 if body.contains("already decided") => Told::AlreadyDecided,
        403 if body.contains("id=\"no-slot\"") => Told::NoSlot,
        503 if body.contains("id=\"unconfirmed\"") => Told::Unconfirmed,
        503 if body.contains("id=\"not-taken\"") => Told::NotTaken,
        status => Told::Failed(status),
    }
}

/// One approver of one request and what became of their vote.
#[derive(Debug, Clone)]
pub struct Person {
    pub who: &'static str,
    pub approve: bool,
    pub told: Told,
    /// Every form they submitted, timed.
    pub posts: Vec<Answer>,
    /// Times they opened the link.
    pub opens: usize,
}

/// a, b and c of `request` vote as `plan` says, at once.
pub async fn three_vote(http: &reqwest::Client, request: &Request, plan: &Plan) -> Vec<Person> {
    let barrier = Arc::new(Barrier::new(3));
    let person = |i: usize| {
        let who = email::APPROVERS[i];
        let approve = plan.votes[i];
        let link = request
            .links
            .iter()
            .find(|(to, _, _)| to == who)
            .map(|(_, yes, no)| if approve { yes.clone() } else { no.clone() });
        let (http, barrier) = (http.clone(), barrier.clone());
        async move {
            let mut person = Person {
                who,
                approve,
                told: Told::Failed(0),
                posts: Vec::new(),
                opens: 0,
            };
            match link {
                Some(link) => vote(&http, &link, &barrier, &mut person).await,
                // Not emailed: the requester, who has no vote.
                None => {
                    person.told = Told::NoSlot;
                    _ = barrier.wait().await
                }
            }
            person
        }
    };
    let (a, b, c) = tokio::join!(person(0), person(1), person(2));
    vec![a, b, c]
}

/// Opens `link`, waits for the others at `barrier` (once), submits its form until a page says
/// what became of the vote.
async fn vote(http: &reqwest::Client, link: &str, barrier: &Barrier, person: &mut Person) {
    let mut page = timed(http.get(link)).await;
    barrier.wait().await;
    for open in 0..OPENS {
        if open > 0 {
            tokio::time::sleep(PAUSE).await;
            page = timed(http.get(link)).await;
        }
        person.opens += 1;
        let form = form::parse(link, &page.body).filter(|_| page.status == 200);
        let Some(form) = form else {
            // No form: the page says why (voted already, decided, no vote), or failed.
            person.told = told(page.status, &page.body);
            if person.told.is_final() {
                return;
            }
            continue;
        };
        for submit in 0..SUBMITS {
            if submit > 0 {
                tokio::time::sleep(PAUSE).await;
            }
            let post = http
                .post(&form.action)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.body());
            let answer = timed(post).await;
            person.told = told(answer.status, &answer.body);
            person.posts.push(answer);
            match person.told {
                ref t if t.is_final() => return,
                Told::NotTaken => break,
                // Not confirmed, or no answer: the same form again is the same vote.
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_by_what_a_person_sees() {
        let counted = r#"<h1 id="counted">Your approval is counted</h1>"#;
        assert_eq!(told(200, counted), Told::Counted);
        let settled = "Thank you, your vote is recorded and settles the request. The workflow has been told and continues now.";
        assert_eq!(told(200, settled), Told::Recorded { delivered: true });
        let pending = "your vote is recorded and settles the request. Your decision is saved.";
        assert_eq!(told(200, pending), Told::Recorded { delivered: false });
        assert_eq!(told(409, r#"<h1 id="already-voted">"#), Told::AlreadyVoted);
        assert_eq!(
            told(409, "This request was already decided"),
            Told::AlreadyDecided
        );
        assert_eq!(told(403, r#"<h1 id="no-slot">"#), Told::NoSlot);
        assert_eq!(told(503, r#"<h1 id="unconfirmed">"#), Told::Unconfirmed);
        assert_eq!(told(503, r#"<h1 id="not-taken">"#), Told::NotTaken);
        assert_eq!(told(502, "Bad Gateway"), Told::Failed(502));
        assert!(!told(200, "something else").is_final());
        assert!(Told::Recorded { delivered: false }.counted() && !Told::AlreadyVoted.counted());
    }
}
