//! `kamctl coverage`: which accounts lack the team roles and department liaisons their tier requires,
//! through kam.v1.TeamService.

use clap::Args;
use kam_proto::v1::{GetCoverageReportRequest, GetCoverageReportResponse, TeamRole, Tier};

use crate::Global;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::output::{self, Render, Table};

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Only the accounts of this tier; repeat for several [default: every tier with requirements].
    #[arg(long = "tier", value_name = "TIER", value_parser = enums::parser::<Tier>())]
    tiers: Vec<i32>,

    /// Only the accounts that lack something.
    #[arg(long)]
    gaps_only: bool,
}

pub async fn run(args: CoverageArgs, global: &Global) -> Result<(), Error> {
    let request = args.into_request();
    let report = client::teams(global)
        .await?
        .get_coverage_report(request)
        .await?
        .into_inner();
    Ok(output::print(&report, global.json)?)
}

impl CoverageArgs {
    fn into_request(self) -> GetCoverageReportRequest {
        GetCoverageReportRequest {
            // `--tier ""` means no filter, as on the other list commands, rather than TIER_UNSPECIFIED.
            tiers: self.tiers.into_iter().filter(|&tier| tier != 0).collect(),
            gaps_only: self.gaps_only,
            segments: None,
        }
    }
}

/// The items joined by ", ", or "-" when there are none, so a covered account reads as such.
fn missing(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

impl Render for GetCoverageReportResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ACCOUNT", "NAME", "TIER", "MISSING ROLES", "MISSING LIAISONS"]);
        for account in &self.accounts {
            let roles = account
                .missing_roles
                .iter()
                .map(|&role| enums::name::<TeamRole>(role));
            table.push(vec![
                account.account_id.clone(),
                account.account_display_name.clone(),
                enums::name::<Tier>(account.tier),
                missing(roles),
                missing(account.missing_liaisons.iter().cloned()),
            ]);
        }
        let mut text = table.render();
        let total = self.accounts.len();
        let noun = if total == 1 { "account" } else { "accounts" };
        text.push_str(&format!(
            "{} of {total} {noun} fully covered\n",
            self.covered_count
        ));
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::AccountCoverage;

    use super::*;
    use crate::{Cli, Command};

    fn request(args: &[&str]) -> GetCoverageReportRequest {
        let cli = Cli::try_parse_from([&["kamctl", "coverage"], args].concat()).unwrap();
        match cli.command {
            Command::Coverage(args) => args.into_request(),
            other => panic!("not coverage: {other:?}"),
        }
    }

    #[test]
    fn tiers_repeat_and_gaps_only_is_passed_on() {
        let parsed = request(&["--tier", "strategic", "--tier", "key", "--gaps-only"]);
        assert_eq!(parsed.tiers, [Tier::Strategic as i32, Tier::Key as i32]);
        assert!(parsed.gaps_only);
        assert_eq!(request(&["--tier", ""]), GetCoverageReportRequest::default());
    }

    #[test]
    fn table_lists_the_gaps_and_counts_the_covered_accounts() {
        let report = GetCoverageReportResponse {
            accounts: vec![
                AccountCoverage {
                    account_id: "a1".into(),
                    account_display_name: "Acme".into(),
                    tier: Tier::Strategic as i32,
                    missing_roles: vec![TeamRole::ExecutiveSponsor as i32, TeamRole::ServiceLead as i32],
                    missing_liaisons: vec!["LOGISTICS".into()],
                },
                AccountCoverage {
                    account_id: "a2".into(),
                    account_display_name: "Globex".into(),
                    tier: Tier::Key as i32,
                    missing_roles: vec![],
                    missing_liaisons: vec![],
                },
            ],
            covered_count: 1,
        };
        assert_eq!(
            report.human(),
            "ACCOUNT  NAME    TIER       MISSING ROLES                    MISSING LIAISONS\n\
             a1       Acme    STRATEGIC  EXECUTIVE_SPONSOR, SERVICE_LEAD  LOGISTICS\n\
             a2       Globex  KEY        -                                -\n\
             1 of 2 accounts fully covered\n"
        );
    }

    #[test]
    fn an_empty_report_says_so() {
        assert_eq!(
            GetCoverageReportResponse::default().human(),
            "ACCOUNT  NAME  TIER  MISSING ROLES  MISSING LIAISONS\n\
             0 of 0 accounts fully covered\n"
        );
    }
}
