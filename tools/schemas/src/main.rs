//! Writes `docs/schemas/` from the code (run from anywhere in the workspace):
//! `cargo run -p schemas --bin hitl-schemas`. Files that no function describes any more are
//! removed, so the folder holds exactly what the code generates.

use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(schemas::DIR);
    std::fs::create_dir_all(&dir)?;
    let documents = schemas::documents();
    for entry in std::fs::read_dir(&dir)? {
        let path: PathBuf = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !documents.iter().any(|(file, _)| file == name) {
            std::fs::remove_file(&path)?;
            println!("removed {}", path.display());
        }
    }
    for (file, content) in &documents {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            std::fs::write(&path, content)?;
            println!("wrote {}", path.display());
        }
    }
    println!("{} files in {}", documents.len(), schemas::DIR);
    Ok(())
}
