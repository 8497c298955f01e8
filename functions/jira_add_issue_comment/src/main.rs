//! jira-add-issue-comment: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("jira-add-issue-comment is not implemented yet");
    std::process::exit(1);
}
