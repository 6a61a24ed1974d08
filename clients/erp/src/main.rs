//! `kam-erp`: the ERP connector of KAM. It imports the ERP's master data, revenue, deals and tickets
//! from CSV or JSON-lines files through `kam.v1.IntegrationService`'s streaming imports (resumable,
//! retried, rejects listed by file line), and exports the domain events to a JSON-lines file.
//!
//! This file only parses the command line and dispatches; exit codes: 0 when the run completed (rows
//! the server refused included), 2 for a usage error (nothing was sent), 1 for any other failure.

mod atomic;
mod columns;
mod connection;
mod decimal;
mod error;
mod export;
mod import;
mod paths;
mod progress;
mod resources;
mod retry;
mod source;
mod values;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tonic::transport::Endpoint;

use crate::columns::Need;
use crate::error::Error;
use crate::resources::ResourceName;

/// The ERP connector of the KAM key-account-management server.
#[derive(Debug, Parser)]
#[command(name = "kam-erp", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes, before or after the subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Address of the KAM server; `http://` is assumed when no scheme is given.
    #[arg(
        long,
        global = true,
        env = "KAM_ADDR",
        default_value = "http://127.0.0.1:50051",
        value_parser = connection::parse_addr,
    )]
    pub addr: Endpoint,

    /// Read the API key (of an INTEGRATION or ADMIN staff member) from this file. `KAM_API_KEY`, holding
    /// the key itself, takes precedence. There is no flag for the key itself: command lines show in `ps`.
    #[arg(long, global = true, env = "KAM_API_KEY_FILE", value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,

    /// Retries of a call that failed with UNAVAILABLE or could not connect, waiting 0.2 s, doubling up
    /// to 10 s, between them [default: 8; unlimited for `export events --follow`].
    #[arg(long, global = true, value_name = "N")]
    pub max_retries: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import a CSV or JSON-lines file of accounts, contacts, revenue, opportunities or service requests.
    Import(import::ImportArgs),
    /// Export from KAM: `export events OUT.jsonl`.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// List the columns an import file of a resource can have, and their formats.
    Columns { resource: ResourceName },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = &cli.global;
    let outcome = match cli.command {
        Command::Import(args) => import::run(args, global).await,
        Command::Export(command) => export::run(command, global).await,
        Command::Columns { resource } => {
            print!("{}", columns_table(resource));
            Ok(ExitCode::SUCCESS)
        }
    };
    outcome.unwrap_or_else(Error::report)
}

/// `FIELD  NEED  FORMAT`, one line per column.
fn columns_table(resource: ResourceName) -> String {
    let columns = resource.columns();
    let width = columns.iter().map(|column| column.field.len()).max().unwrap_or(0);
    let mut table = String::new();
    for column in columns {
        let need = match column.need {
            Need::Required => "required".to_owned(),
            Need::Optional => "optional".to_owned(),
            Need::OneOf(group) => {
                let members: Vec<&str> = columns
                    .iter()
                    .filter(|other| other.need == Need::OneOf(group))
                    .map(|other| other.field)
                    .collect();
                format!("{} required", members.join(" or "))
            }
        };
        table += &format!("{:width$}  {need}: {}\n", column.field, column.format);
    }
    table
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_columns_table_names_each_field_and_its_need() {
        let table = columns_table(ResourceName::Revenue);
        assert!(table.starts_with("external_id          required: "), "{table}");
        let line = format!(
            "{:19}  account_external_id or account_id required: the account's KAM id",
            "account_id"
        );
        assert!(table.contains(&line), "{table}");
    }
}
