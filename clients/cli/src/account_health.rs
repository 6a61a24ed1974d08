//! `kamctl health account <ID>` and `kamctl health at-risk`: how healthy the accounts are, through
//! kam.v1.PlanningService. A score of 100 less the weight of each warning signal that triggers; every
//! signal comes with the evidence behind it, so a low score says what to do about it.

use clap::{Args, Subcommand};
use kam_proto::v1::{
    AccountHealth, GetAccountHealthRequest, ListAtRiskAccountsRequest, ListAtRiskAccountsResponse, Tier,
    account_health, health_signal,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::output::{self, Render, Table, key_values};

#[derive(Debug, Subcommand)]
pub enum AccountHealthCommand {
    /// Show an account's health score (0-100) and every warning signal with its evidence: revenue
    /// decline, SLA breaches, an overdue executive visit, silence, key people at risk, lost deals and
    /// low satisfaction.
    Account(AccountArgs),
    /// List the accounts at risk, lowest score first: one page, or every page with --all.
    AtRisk(AtRiskArgs),
}

#[derive(Debug, Args)]
pub struct AccountArgs {
    /// The account id.
    id: String,
}

#[derive(Debug, Args)]
pub struct AtRiskArgs {
    /// Only accounts of this tier.
    #[arg(long, value_name = "TIER", value_parser = enums::parser::<Tier>())]
    tier: Option<i32>,

    /// List the accounts scoring below this instead of those AT_RISK (1-101; 101 lists every account).
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(i32).range(1..=101))]
    below: Option<i32>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: AccountHealthCommand, global: &Global) -> Result<(), Error> {
    let mut client = client::planning(global).await?;
    match command {
        AccountHealthCommand::Account(AccountArgs { id }) => {
            let request = GetAccountHealthRequest { account_id: id };
            let health = client.get_account_health(request).await?.into_inner();
            Ok(output::print(&health, global.json)?)
        }
        AccountHealthCommand::AtRisk(args) => {
            let (tier, max_score) = (args.tier.unwrap_or_default(), args.below.unwrap_or_default());
            let fetch = async |page_size, page_token| {
                let request = ListAtRiskAccountsRequest {
                    page_size,
                    page_token,
                    tier,
                    max_score,
                    segments: None,
                };
                Ok(client.list_at_risk_accounts(request).await?.into_inner())
            };
            let accounts = args.paging.fetch(fetch).await?;
            Ok(output::print(&accounts, global.json)?)
        }
    }
}

/// The width of the score bar, in characters: one per 5 points.
const SCORE_BAR_WIDTH: usize = 20;

/// `55/100  AT_RISK  ███████████`.
fn score(health: &AccountHealth) -> String {
    format!(
        "{}/100  {}  {}",
        health.score,
        enums::name::<account_health::Level>(health.level),
        output::bar(i128::from(health.score), 100, SCORE_BAR_WIDTH)
    )
    .trim_end()
    .to_owned()
}

/// The kinds of the signals that trigger, comma-separated.
fn triggered(health: &AccountHealth) -> String {
    let kinds: Vec<String> = health
        .signals
        .iter()
        .filter(|signal| signal.triggered)
        .map(|signal| enums::name::<health_signal::Kind>(signal.kind))
        .collect();
    kinds.join(", ")
}

impl Render for AccountHealth {
    /// The score, then every signal: whether it triggers, the points it takes off out of its weight,
    /// and the evidence.
    fn human(&self) -> String {
        let mut text = key_values(&[
            (
                "account",
                format!("{} ({})", self.account_display_name, self.account_id),
            ),
            ("tier", enums::name::<Tier>(self.tier)),
            ("score", score(self)),
            ("compute_time", output::timestamp(self.compute_time.as_ref())),
        ]);
        let mut table = Table::new(&["SIGNAL", "TRIGGERED", "PENALTY", "EVIDENCE", "RELATED"]);
        table.align_right(&[2]);
        for signal in &self.signals {
            table.push(vec![
                enums::name::<health_signal::Kind>(signal.kind),
                output::yes_no(signal.triggered),
                format!("{}/{}", signal.penalty, signal.weight),
                signal.evidence.clone(),
                signal.related_ids.join(", "),
            ]);
        }
        text.push('\n');
        text.push_str(&table.render());
        text
    }
}

client::impl_page!(ListAtRiskAccountsResponse, accounts);

impl Render for ListAtRiskAccountsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ACCOUNT", "NAME", "TIER", "SCORE", "LEVEL", "SIGNALS"]);
        table.align_right(&[3]);
        for health in &self.accounts {
            table.push(vec![
                health.account_id.clone(),
                health.account_display_name.clone(),
                enums::name::<Tier>(health.tier),
                health.score.to_string(),
                enums::name::<account_health::Level>(health.level),
                triggered(health),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::HealthSignal;

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<crate::health::HealthArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "health"], args].concat())?;
        match cli.command {
            Command::Health(args) => Ok(args),
            other => panic!("not a health command: {other:?}"),
        }
    }

    fn signal(kind: health_signal::Kind, weight: i32, triggered: bool, evidence: &str) -> HealthSignal {
        HealthSignal {
            kind: kind as i32,
            triggered,
            weight,
            penalty: if triggered { weight } else { 0 },
            evidence: evidence.into(),
            related_ids: Vec::new(),
        }
    }

    fn health() -> AccountHealth {
        let mut opposed = signal(
            health_signal::Kind::KeyPeopleAtRisk,
            20,
            true,
            "1 decision maker opposed",
        );
        opposed.related_ids = vec!["c1".into(), "c2".into()];
        AccountHealth {
            account_id: "a1".into(),
            account_display_name: "Sinopec".into(),
            tier: Tier::Strategic as i32,
            score: 55,
            level: account_health::Level::AtRisk as i32,
            signals: vec![
                signal(
                    health_signal::Kind::RevenueDecline,
                    25,
                    true,
                    "down 30% against a year before",
                ),
                signal(health_signal::Kind::SlaBreaches, 15, false, "1 breach in 90 days"),
                opposed,
            ],
            compute_time: None,
        }
    }

    #[test]
    fn the_subcommands_and_the_server_check_share_the_command() {
        let args = try_parse(&["account", "a1"]).unwrap();
        assert!(
            matches!(args.accounts, Some(AccountHealthCommand::Account(AccountArgs { ref id })) if id == "a1")
        );
        assert_eq!(args.service, None);
        let args = try_parse(&["at-risk", "--tier", "strategic", "--below", "101"]).unwrap();
        let Some(AccountHealthCommand::AtRisk(at_risk)) = args.accounts else {
            panic!("not at-risk");
        };
        assert_eq!(
            (at_risk.tier, at_risk.below),
            (Some(Tier::Strategic as i32), Some(101))
        );
        assert!(try_parse(&["at-risk", "--below", "0"]).is_err());
        assert!(try_parse(&["at-risk", "--below", "102"]).is_err());
        // A service name is still the server check's.
        let args = try_parse(&["kam.v1.AccountService"]).unwrap();
        assert_eq!(args.service.as_deref(), Some("kam.v1.AccountService"));
        assert!(args.accounts.is_none());
    }

    #[test]
    fn an_accounts_health_shows_the_score_and_every_signal_with_its_evidence() {
        assert_eq!(
            health().human(),
            "account:      Sinopec (a1)\n\
             tier:         STRATEGIC\n\
             score:        55/100  AT_RISK  ███████████\n\
             compute_time:\n\
             \n\
             SIGNAL              TRIGGERED  PENALTY  EVIDENCE                        RELATED\n\
             REVENUE_DECLINE     yes          25/25  down 30% against a year before\n\
             SLA_BREACHES        no            0/15  1 breach in 90 days\n\
             KEY_PEOPLE_AT_RISK  yes          20/20  1 decision maker opposed        c1, c2\n"
        );
    }

    #[test]
    fn the_at_risk_list_names_the_signals_that_trigger() {
        let list = ListAtRiskAccountsResponse {
            accounts: vec![health()],
            next_page_token: "t2".into(),
        };
        assert_eq!(
            list.human(),
            "ACCOUNT  NAME     TIER       SCORE  LEVEL    SIGNALS\n\
             a1       Sinopec  STRATEGIC     55  AT_RISK  REVENUE_DECLINE, KEY_PEOPLE_AT_RISK\n\
             next page: t2\n"
        );
    }
}
