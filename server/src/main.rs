//! The `riskmap` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use riskmap::config::{Cli, Command};
use riskmap::engine::EngineConfig;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Summary { dir, h3_resolution } => {
            let Ok(resolution) = h3o::Resolution::try_from(h3_resolution) else {
                eprintln!("error: --h3-resolution must be 0 to 15, got {h3_resolution}");
                return ExitCode::from(2);
            };
            let config = EngineConfig {
                h3_resolution: resolution,
                ..EngineConfig::default()
            };
            match riskmap::summary::run(&dir, config) {
                Ok(report) => {
                    print!("{report}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
