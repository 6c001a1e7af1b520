//! The `riskmap` binary: parse the command line, hand over to the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use riskmap::config::{Cli, Command};
use riskmap_engine::EngineConfig;

/// mimalloc returns freed pages to the system (glibc's malloc kept most of
/// a first start's import resident, from 0.9 to 2.8 GiB at a million staff
/// depending on where in its arenas the last live blocks fell).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Users(command) => offline(riskmap::serve::users::run(command)),
        Command::Departments(command) => offline(riskmap::serve::departments::run(command)),
        Command::Import {
            dir,
            replace,
            store,
        } => offline(riskmap::serve::import::run(&dir, replace, &store)),
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

/// Runs a command on the store without a server; prints what it answers.
fn offline(command: impl Future<Output = Result<String, riskmap::serve::ServeError>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: riskmap::config::ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        // Colour only on a terminal: a log redirected to a file or a journal
        // should read as plain text.
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")
            }),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let demo = args.demo;
        match riskmap::serve::start(args).await {
            Ok(server) => {
                println!(
                    "{}",
                    riskmap::serve::banner(&server, demo, std::io::stdout().is_terminal())
                );
                server.run_until_signal().await;
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                if matches!(e, riskmap::serve::ServeError::DemoCity(_)) {
                    eprintln!("hint: build the demo city first: geodata demo --out data/demo (./scripts/demo.sh does it all)");
                }
                ExitCode::FAILURE
            }
        }
    })
}
