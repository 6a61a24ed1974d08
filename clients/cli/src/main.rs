//! `kamctl`: the command-line client of the KAM gRPC API (package `kam.v1`).
//!
//! This file only parses the command line, dispatches to the command modules and turns the outcome
//! into an exit code: 0 on success, 1 on any failure (including a health check that is not SERVING and
//! a handover that breaks team rules), 2 on a usage error.

mod account_health;
mod accounts;
mod audit;
mod board;
mod brief;
mod client;
mod competitors;
mod contacts;
mod coverage;
mod departments;
mod enums;
mod error;
mod feedback;
mod funnel;
mod group;
mod handover;
mod health;
mod keys;
mod mask;
mod money;
mod opportunities;
mod output;
mod pipelines;
mod plan_actions;
mod plans;
mod retry;
mod revenue;
mod revenue_report;
mod roles;
mod segments;
mod sla_config;
mod staff;
mod team;
mod tickets;
mod tiers;
mod whoami;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tonic::transport::Endpoint;

use crate::error::Error;

/// Command-line client of the KAM key-account-management server.
#[derive(Debug, Parser)]
#[command(name = "kamctl", version)]
pub struct Cli {
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
        value_parser = client::parse_addr,
    )]
    pub addr: Endpoint,

    /// Print the server's answer as canonical proto3 JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    /// Deadline of each call, in seconds (fractions allowed).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value = "10",
        value_parser = client::parse_timeout,
    )]
    pub timeout: Duration,

    /// Read the API key from this file (surrounding whitespace trimmed). `KAM_API_KEY`, holding the key
    /// itself, takes precedence; without either, a server on this machine gets `./kam-admin.key` if
    /// that exists. There is no flag for the key itself: command lines show in `ps`.
    #[arg(long, global = true, env = "KAM_API_KEY_FILE", value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check whether the server (or one of its services) is serving; or, with a subcommand, how
    /// healthy the accounts are: `health account <ID>`, `health at-risk`.
    Health(health::HealthArgs),
    /// Manage accounts, the customer companies.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// Manage industries, the tree of branches accounts are classified under.
    #[command(subcommand)]
    Industries(segments::IndustriesCommand),
    /// Manage regions, the tree of sales regions, countries, provinces and cities accounts are in.
    #[command(subcommand)]
    Regions(segments::RegionsCommand),
    /// Show a group company as one customer: its members as a tree, revenue, pipeline, SLA,
    /// health, coverage and tiers rolled up.
    Group(group::GroupArgs),
    /// Manage contacts, the people at an account.
    #[command(subcommand)]
    Contacts(contacts::ContactsCommand),
    /// Manage our departments.
    #[command(subcommand)]
    Departments(departments::DepartmentsCommand),
    /// Manage our staff, the people who serve the accounts.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Manage account teams: who serves an account in which role.
    #[command(subcommand)]
    Team(team::TeamCommand),
    /// Show the accounts that lack the team roles or department liaisons their tier requires.
    Coverage(coverage::CoverageArgs),
    /// Show how many accounts and how much open work each person has.
    Workload(workload::WorkloadArgs),
    /// Hand a person's responsibilities over to another person.
    Handover(handover::HandoverArgs),
    /// Manage pipelines, the ordered stages opportunities move through.
    #[command(subcommand)]
    Pipelines(pipelines::PipelinesCommand),
    /// Manage opportunities, the possible sales to an account, and move them through the funnel.
    #[command(subcommand, visible_alias = "opportunities")]
    Opps(opportunities::OppsCommand),
    /// Manage competitors, the companies deals are fought against, and report how we fare against
    /// each.
    #[command(subcommand)]
    Competitors(competitors::CompetitorsCommand),
    /// Show the funnel of a pipeline, or (with a subcommand) its conversion, velocity, forecast or
    /// stalled opportunities.
    Funnel(funnel::FunnelArgs),
    /// Manage service requests (tickets) and follow their SLA clocks.
    #[command(subcommand)]
    Tickets(tickets::TicketsCommand),
    /// Show the business calendars SLA clocks count in.
    #[command(subcommand)]
    Calendars(sla_config::CalendarsCommand),
    /// Show the SLA policies: targets per priority, pauses and escalation steps.
    #[command(subcommand)]
    Policies(sla_config::PoliciesCommand),
    /// Service level views: `sla board`, the requests due soon, at risk and breached.
    #[command(subcommand)]
    Sla(board::SlaCommand),
    /// Manage revenue records from the ERP: import a CSV file, list them, show monthly totals.
    #[command(subcommand)]
    Revenue(revenue::RevenueCommand),
    /// Rank the accounts by revenue share and show (or, with --apply, store) their tiers; or (with a
    /// subcommand) the tier history and manual overrides.
    Tiers(tiers::TiersArgs),
    /// Manage account plans (objectives, SWOT, competitors, whitespace), their actions and scorecards.
    #[command(subcommand)]
    Plan(plans::PlanCommand),
    /// Show an account's visit brief: team, key people, key dates, deals, service requests, health,
    /// plan and actions due, recent interactions, overdue cadence and revenue trend, in one call.
    Brief(brief::BriefArgs),
    /// Record the customer's feedback on the team, list the rounds, and report per person or
    /// department over time.
    #[command(subcommand)]
    Feedback(feedback::FeedbackCommand),
    /// Show who the credentials in use belong to: staff member, roles and credential.
    Whoami,
    /// Manage API keys, the credentials of scripts and machines.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Show or replace the roles of a staff member.
    #[command(subcommand)]
    Roles(roles::RolesCommand),
    /// List the audit trail: who changed what, newest first (ADMIN only).
    Audit(audit::AuditArgs),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(err) => err.report(),
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    let global = &cli.global;
    match cli.command {
        Command::Health(args) => health::run(args, global).await,
        Command::Accounts(command) => accounts::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Industries(command) => segments::run_industries(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Regions(command) => segments::run_regions(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Group(args) => group::run(args, global).await.map(|()| ExitCode::SUCCESS),
        Command::Contacts(command) => contacts::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Departments(command) => departments::run(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Staff(command) => staff::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Team(command) => team::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Coverage(args) => coverage::run(args, global).await.map(|()| ExitCode::SUCCESS),
        Command::Workload(args) => workload::run(args, global).await.map(|()| ExitCode::SUCCESS),
        Command::Handover(args) => handover::run(args, global).await,
        Command::Pipelines(command) => pipelines::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Opps(command) => opportunities::run(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Competitors(command) => competitors::run(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Funnel(args) => funnel::run(args, global).await.map(|()| ExitCode::SUCCESS),
        Command::Tickets(command) => tickets::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Calendars(command) => sla_config::run_calendars(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Policies(command) => sla_config::run_policies(command, global)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Sla(command) => board::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Revenue(command) => revenue::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Tiers(args) => tiers::run(args, global).await.map(|()| ExitCode::SUCCESS),
        Command::Plan(command) => plans::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Brief(args) => brief::run(args, global).await.map(|()| ExitCode::SUCCESS),
        Command::Feedback(command) => feedback::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Whoami => whoami::run(global).await.map(|()| ExitCode::SUCCESS),
        Command::Keys(command) => keys::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Roles(command) => roles::run(command, global).await.map(|()| ExitCode::SUCCESS),
        Command::Audit(args) => audit::run(args, global).await.map(|()| ExitCode::SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_are_accepted_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["kamctl", "accounts", "get", "x", "--json", "--timeout", "2.5"]).unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn the_api_key_file_is_a_global_option() {
        let cli = Cli::try_parse_from(["kamctl", "whoami", "--api-key-file", "/etc/kam/key"]).unwrap();
        assert_eq!(cli.global.api_key_file, Some(PathBuf::from("/etc/kam/key")));
    }
}
