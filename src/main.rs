//! The `kddstat` binary: parses the command line, runs the subcommand, maps errors to exit codes
//! (1 for errors, 2 for usage) and prints them as one line.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() {
    let cli = match kddstat::cmd::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors to stderr with status 2.
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    kddstat::output::install_interrupt_cleanup();
    if let Err(e) = kddstat::cmd::run(cli) {
        if e.is_broken_pipe() {
            std::process::exit(0);
        }
        eprintln!(
            "kddstat: error: {}",
            kddstat::error::one_line(&e.to_string())
        );
        std::process::exit(e.exit_code());
    }
}
