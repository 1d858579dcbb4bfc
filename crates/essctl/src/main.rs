//! Entry point of `essctl`: parse the command line, start telemetry, run the command, print the
//! answer (stdout) or the failure report (stderr; `health` prints its lines on stdout as well),
//! and flush the spans before exiting.

use std::{io::Write as _, process::ExitCode};

use clap::Parser as _;
use essctl::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    // Usage errors end here with clap's message and exit code 2.
    let cli = Cli::parse();
    let guard = match platform::telemetry::init(&cli.telemetry(), "essctl") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = essctl::run(&cli).await;
    // Written before the flush so the answer does not wait on the trace exporter. A closed pipe
    // (`essctl ... | head`) is not an error worth a panic.
    let code = match outcome {
        Ok(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            if let Some(text) = failure.answer() {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
            let _ = std::io::stderr().lock().write_all(failure.report().as_bytes());
            ExitCode::FAILURE
        }
    };
    guard.shutdown().await;
    code
}
