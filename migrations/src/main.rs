//! `kam-migrate`: apply, inspect or roll back the KAM schema without starting the server.

use clap::{Parser, Subcommand};
use kam_migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::Database;

#[derive(Parser)]
#[command(name = "kam-migrate", about = "Apply or inspect KAM database migrations")]
struct Cli {
    /// `sqlite://kam.db?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "KAM_DATABASE_URL", default_value = "sqlite://kam.db?mode=rwc")]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply every pending migration.
    Up,
    /// Roll back the last `n` migrations.
    Down {
        #[arg(default_value_t = 1)]
        n: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let db = Database::connect(&cli.database_url).await?;
    match cli.command {
        Command::Up => Migrator::up(&db, None).await?,
        Command::Down { n } => Migrator::down(&db, Some(n)).await?,
        Command::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!("{:<40} {}", migration.name(), migration.status());
            }
        }
    }
    Ok(())
}
