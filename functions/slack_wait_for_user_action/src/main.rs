//! slack-wait-for-user-action: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("slack-wait-for-user-action is not implemented yet");
    std::process::exit(1);
}
