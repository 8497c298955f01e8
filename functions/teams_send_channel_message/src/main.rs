//! teams-send-channel-message: not built yet (placeholder so the workspace compiles while it is written).

fn main() {
    eprintln!("teams-send-channel-message is not implemented yet");
    std::process::exit(1);
}
