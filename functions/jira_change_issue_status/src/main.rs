//! jira-change-issue-status: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("jira-change-issue-status is not implemented yet");
    std::process::exit(1);
}
