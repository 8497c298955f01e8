//! slack-request-action: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("slack-request-action is not implemented yet");
    std::process::exit(1);
}
