//! slack-send-message: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("slack-send-message is not implemented yet");
    std::process::exit(1);
}
