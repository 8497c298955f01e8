//! `hitl-template`: what the build needs from `template.yaml`, read by the one template
//! reader (the Makefile's function list, instead of a `sed` over the YAML).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sam_template::Template;

#[derive(Parser)]
#[command(
    version,
    about = "Reads template.yaml as the local stack and the tests do"
)]
struct Cli {
    /// The SAM template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every function's binary (Metadata.BuildProperties.Binary), one per line.
    Binaries,
    /// Every function's logical id and binary, tab separated, one per line.
    Functions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lines = Template::read(&cli.template).and_then(|template| {
        let functions = template.functions()?;
        Ok(match cli.command {
            Command::Binaries => functions.into_iter().map(|f| f.binary).collect::<Vec<_>>(),
            Command::Functions => functions
                .into_iter()
                .map(|f| format!("{}\t{}", f.logical_id, f.binary))
                .collect(),
        })
    });
    match lines {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hitl-template: {e}");
            ExitCode::FAILURE
        }
    }
}
