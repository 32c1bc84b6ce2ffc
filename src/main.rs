//! The `shelfsync` command: parse the CLI, start logging, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use shelfsync::config::{Cli, Command};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let outcome = match Cli::parse().into_command() {
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
            eprintln!("shelfsync: {error}");
            ExitCode::FAILURE
        }
    }
}
