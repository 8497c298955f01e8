//! The adapters' default budgets are the figures `aws_adapters::timeouts` adds up per function.

use aws_adapters::timeouts;

use crate::{jira, outlook, service_calls, slack, smtp, teams};

#[test]
fn default_budgets_are_the_ones_the_function_budgets_count_on() {
    assert_eq!(slack::DEFAULT_BUDGET, timeouts::SLACK_CALL);
    assert_eq!(teams::DEFAULT_BUDGET, timeouts::TEAMS_POST);
    assert_eq!(jira::READ_BUDGET, timeouts::JIRA_READ);
    assert_eq!(jira::WRITE_BUDGET, timeouts::JIRA_WRITE);
    assert_eq!(smtp::SEND_BUDGET, timeouts::SMTP_SEND);
    assert_eq!(outlook::SEND_BUDGET, timeouts::OUTLOOK_SEND);
    assert!(service_calls::DEFAULT_BUDGET <= timeouts::SLACK_CALL);
    assert!(timeouts::SLACK_CLICK_CALL >= service_calls::MIN_ATTEMPT * 2);
}

#[test]
fn clients_are_built_with_those_budgets() {
    let slack = slack::SlackWebApi::new("https://slack.example/api", "xoxb-1");
    assert_eq!(slack.budget(), timeouts::SLACK_CALL);
    let click = slack.with_budget(timeouts::SLACK_CLICK_CALL);
    assert_eq!(click.budget(), timeouts::SLACK_CLICK_CALL);
    let teams = teams::TeamsClient::new("https://teams.example/w?sig=1").unwrap();
    assert_eq!(teams.budget(), timeouts::TEAMS_POST);
}
