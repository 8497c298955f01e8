//! teams-send-chat-message: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("teams-send-chat-message is not implemented yet");
    std::process::exit(1);
}
