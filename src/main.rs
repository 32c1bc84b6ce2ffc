//! The `shelfsync` command: parse the CLI, start logging, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use shelfsync::config::{Cli, Command};
use shelfsync::logging::{self, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_format = cli.log_format;
    logging::init(log_format);
    let outcome = match cli.into_command() {
        Command::Serve(args) => shelfsync::startup::serve(args),
        Command::Migrate(args) => shelfsync::startup::migrate(&args),
        Command::Demo(args) => shelfsync::startup::create_demo(&args),
        Command::Token(command) => shelfsync::startup::token(command),
        Command::Webhook(command) => shelfsync::startup::webhook(command),
        Command::Merchant(command) => shelfsync::startup::merchant(command),
        Command::Staff(command) => shelfsync::startup::staff(command),
        Command::Check(args) => shelfsync::startup::check(&args),
        Command::Export(args) => shelfsync::catalog_commands::export(&args),
        Command::Import(args) => shelfsync::catalog_commands::import(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // A log shipper reads the failure as one more JSON line.
            match log_format {
                LogFormat::Json => log::error!("shelfsync: {error}"),
                LogFormat::Human => eprintln!("shelfsync: {error}"),
            }
            ExitCode::FAILURE
        }
    }
}
