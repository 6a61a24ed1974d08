//! `kamctl competitors ...`: the companies deals are fought against, and how we fare against each
//! over a period, through kam.v1.OpportunityService.

use chrono::{Duration, NaiveDate, NaiveTime};
use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::{
    Competitor, CompetitorOutcomes, CreateCompetitorRequest, CurrencyAmount, DeleteCompetitorRequest,
    GetCompetitorReportRequest, GetCompetitorReportResponse, GetCompetitorRequest, ListCompetitorsRequest,
    ListCompetitorsResponse, UpdateCompetitorRequest,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::error::Error;
use crate::funnel::percent;
use crate::mask::MaskBuilder;
use crate::money;
use crate::opportunities::parse_date;
use crate::output::{self, Render, Table, key_values};
use crate::retry;
use crate::segments::{Deleted, SegmentArgs};

#[derive(Debug, Subcommand)]
pub enum CompetitorsCommand {
    /// List competitors by name: one page, or every page with --all.
    List(ListArgs),
    /// Show one competitor.
    Get(IdArgs),
    /// Record a competitor.
    Create(CreateArgs),
    /// Change the fields given as flags; `--FIELD ""` clears a field.
    Update(UpdateArgs),
    /// Delete a competitor; the names deals carry stay as they are.
    Delete(DeleteArgs),
    /// How we fared against each competitor over a period: deals faced, won, lost to it, lost to
    /// others, still open, the win rate and the amounts per currency, the accounts where it is most
    /// present, and the names deals carry that no competitor has.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The competitor id.
    id: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The competitor id.
    id: String,

    /// Delete only if the competitor is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Case-insensitive substring of the name or an alias.
    #[arg(long)]
    query: Option<String>,

    /// Only competitors at home in this region (a code) or one below it.
    #[arg(long, value_name = "CODE")]
    region: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The name, 1 to 200 characters, unique among the names and aliases of all competitors.
    #[arg(long)]
    name: String,

    #[command(flatten)]
    fields: CompetitorFields,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The competitor id.
    id: String,

    /// The name.
    #[arg(long)]
    name: Option<String>,

    #[command(flatten)]
    fields: CompetitorFields,

    /// Update only if the competitor is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

/// The writable fields other than the name.
#[derive(Debug, Args)]
struct CompetitorFields {
    /// Another name deals use for it (a brand, the parent company), repeatable; on update the ones
    /// given replace them all, `--alias ""` removes them all.
    #[arg(long = "alias", value_name = "NAME")]
    aliases: Vec<String>,

    /// What it is strong at.
    #[arg(long)]
    strengths: Option<String>,

    /// Where it is weak.
    #[arg(long)]
    weaknesses: Option<String>,

    /// A region (code) where it is strong, repeatable; on update the ones given replace them all,
    /// `--home-region ""` removes them all.
    #[arg(long = "home-region", value_name = "CODE")]
    home_regions: Vec<String>,

    /// Its website.
    #[arg(long)]
    website: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The first day of the period (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    from: NaiveDate,

    /// The last day of the period (YYYY-MM-DD, UTC), included.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    to: NaiveDate,

    #[command(flatten)]
    segments: SegmentArgs,

    /// Only this competitor (its id).
    #[arg(long, value_name = "ID")]
    competitor: Option<String>,

    /// How many accounts to name per competitor, 1 to 50 [default: 5].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=50))]
    top_accounts: Option<i32>,
}

pub async fn run(command: CompetitorsCommand, global: &Global) -> Result<(), Error> {
    match command {
        CompetitorsCommand::List(args) => {
            let mut client = client::opportunities(global).await?;
            let (query, region_code) = (args.query.unwrap_or_default(), args.region.unwrap_or_default());
            let fetch = async |page_size, page_token| {
                let request = ListCompetitorsRequest {
                    page_size,
                    page_token,
                    query: query.clone(),
                    region_code: region_code.clone(),
                };
                Ok(client.list_competitors(request).await?.into_inner())
            };
            let competitors = args.paging.fetch(fetch).await?;
            Ok(output::print(&competitors, global.json)?)
        }
        CompetitorsCommand::Get(IdArgs { id }) => {
            let competitor = client::opportunities(global)
                .await?
                .get_competitor(GetCompetitorRequest { id })
                .await?
                .into_inner();
            Ok(output::print(&competitor, global.json)?)
        }
        CompetitorsCommand::Create(args) => {
            let request = args.into_request();
            let competitor = client::opportunities(global)
                .await?
                .create_competitor(retry::idempotent(request))
                .await?
                .into_inner();
            Ok(output::print(&competitor, global.json)?)
        }
        CompetitorsCommand::Update(args) => {
            let request = args.into_request()?;
            let competitor = client::opportunities(global)
                .await?
                .update_competitor(request)
                .await?
                .into_inner();
            Ok(output::print(&competitor, global.json)?)
        }
        CompetitorsCommand::Delete(DeleteArgs { id, etag }) => {
            let request = DeleteCompetitorRequest {
                id: id.clone(),
                etag: etag.unwrap_or_default(),
            };
            let response = client::opportunities(global)
                .await?
                .delete_competitor(request)
                .await?
                .into_inner();
            let deleted = Deleted {
                what: format!("competitor {id}"),
                response,
            };
            Ok(output::print(&deleted, global.json)?)
        }
        CompetitorsCommand::Report(args) => {
            let request = args.into_request()?;
            let report = client::opportunities(global)
                .await?
                .get_competitor_report(request)
                .await?
                .into_inner();
            Ok(output::print(&report, global.json)?)
        }
    }
}

/// A repeatable flag of an update: `None` when not given, else the values given without the empty
/// ones (so `--alias ""` alone is the empty list, clearing the field).
fn list_flag(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.into_iter().filter(|value| !value.is_empty()).collect())
}

impl CompetitorFields {
    fn apply(self, competitor: &mut Competitor, mask: &mut MaskBuilder) {
        mask.set("aliases", &mut competitor.aliases, list_flag(self.aliases));
        mask.set("strengths", &mut competitor.strengths, self.strengths);
        mask.set("weaknesses", &mut competitor.weaknesses, self.weaknesses);
        mask.set(
            "home_region_codes",
            &mut competitor.home_region_codes,
            list_flag(self.home_regions),
        );
        mask.set("website", &mut competitor.website, self.website);
    }
}

impl CreateArgs {
    fn into_request(self) -> CreateCompetitorRequest {
        let mut competitor = Competitor {
            name: self.name,
            ..Default::default()
        };
        self.fields.apply(&mut competitor, &mut MaskBuilder::default());
        CreateCompetitorRequest {
            competitor: Some(competitor),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    fn into_request(self) -> Result<UpdateCompetitorRequest, Error> {
        let mut competitor = Competitor {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("name", &mut competitor.name, self.name);
        self.fields.apply(&mut competitor, &mut mask);
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --name or --alias".to_owned(),
            ));
        }
        Ok(UpdateCompetitorRequest {
            competitor: Some(competitor),
            update_mask: Some(mask.build()),
        })
    }
}

/// 00:00 UTC on `day`.
fn midnight(day: NaiveDate) -> Timestamp {
    Timestamp {
        seconds: day.and_time(NaiveTime::MIN).and_utc().timestamp(),
        nanos: 0,
    }
}

impl ReportArgs {
    fn into_request(self) -> Result<GetCompetitorReportRequest, Error> {
        if self.to < self.from {
            return Err(Error::Usage(format!(
                "--to {} is before --from {}",
                self.to, self.from
            )));
        }
        Ok(GetCompetitorReportRequest {
            start_time: Some(midnight(self.from)),
            // The last day included: the range ends at the midnight after it.
            end_time: Some(midnight(self.to + Duration::days(1))),
            segments: self.segments.into_filter(),
            competitor_id: self.competitor.unwrap_or_default(),
            top_accounts: self.top_accounts.unwrap_or_default(),
            rollup_depth: 0,
        })
    }
}

client::impl_page!(ListCompetitorsResponse, competitors);

impl Render for Competitor {
    fn human(&self) -> String {
        key_values(&[
            ("id", self.id.clone()),
            ("name", self.name.clone()),
            ("aliases", self.aliases.join("\n")),
            ("strengths", self.strengths.clone()),
            ("weaknesses", self.weaknesses.clone()),
            ("home_regions", self.home_region_codes.join(", ")),
            ("website", self.website.clone()),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListCompetitorsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "NAME", "ALIASES", "HOME REGIONS", "WEBSITE"]);
        for competitor in &self.competitors {
            table.push(vec![
                competitor.id.clone(),
                competitor.name.clone(),
                competitor.aliases.join(", "),
                competitor.home_region_codes.join(", "),
                competitor.website.clone(),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

/// The amounts of one list, exactly, one per currency.
fn amount_column(amounts: &[CurrencyAmount]) -> Vec<String> {
    money::format_amounts(amounts)
}

/// Adds the rows of one competitor: its counts and the first currency of each amount on the first
/// row, the further currencies on rows of their own below it.
fn push_outcome_rows(table: &mut Table, name: &str, outcomes: &CompetitorOutcomes) {
    let columns = [
        amount_column(&outcomes.faced_amounts),
        amount_column(&outcomes.won_amounts),
        amount_column(&outcomes.lost_amounts),
    ];
    let lines = columns.iter().map(Vec::len).max().unwrap_or(0).max(1);
    for line in 0..lines {
        let mut row = if line == 0 {
            vec![
                name.to_owned(),
                outcomes.faced.to_string(),
                outcomes.won.to_string(),
                outcomes.lost_to.to_string(),
                outcomes.lost_to_others.to_string(),
                outcomes.open.to_string(),
                percent(outcomes.win_rate),
            ]
        } else {
            vec![String::new(); 7]
        };
        row.extend(
            columns
                .iter()
                .map(|column| column.get(line).cloned().unwrap_or_default()),
        );
        table.push(row);
    }
}

impl Render for GetCompetitorReportResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "COMPETITOR",
            "FACED",
            "WON",
            "LOST TO",
            "OTHERS",
            "OPEN",
            "WIN RATE",
            "FACED AMOUNT",
            "WON AMOUNT",
            "LOST AMOUNT",
        ]);
        table.align_right(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for row in &self.rows {
            let outcomes = row.outcomes.clone().unwrap_or_default();
            push_outcome_rows(&mut table, &row.competitor_name, &outcomes);
        }
        let mut text = if self.rows.is_empty() {
            "no competitor faced in the period\n".to_owned()
        } else {
            table.render()
        };
        for row in self.rows.iter().filter(|row| !row.top_accounts.is_empty()) {
            text.push_str(&format!(
                "\n== {} ({}): top accounts ==\n",
                row.competitor_name, row.competitor_id
            ));
            let mut accounts = Table::new(&["ACCOUNT", "ID", "FACED", "WON", "LOST TO"]);
            accounts.align_right(&[2, 3, 4]);
            for account in &row.top_accounts {
                accounts.push(vec![
                    account.account_display_name.clone(),
                    account.account_id.clone(),
                    account.faced.to_string(),
                    account.won.to_string(),
                    account.lost_to.to_string(),
                ]);
            }
            text.push_str(&accounts.render());
        }
        if !self.unmatched.is_empty() {
            text.push_str("\n== Names no competitor has ==\n");
            let mut names = Table::new(&["NAME", "FACED", "LOST TO"]);
            names.align_right(&[1, 2]);
            for name in &self.unmatched {
                names.push(vec![
                    name.name.clone(),
                    name.faced.to_string(),
                    name.lost_to.to_string(),
                ]);
            }
            text.push_str(&names.render());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::{CompetitorReportRow, Money, UnmatchedCompetitorName, competitor_report_row};

    use super::*;
    use crate::{Cli, Command};

    fn eur(units: i64, nanos: i32, currency: &str) -> CurrencyAmount {
        CurrencyAmount {
            count: 1,
            currency_code: currency.into(),
            amount: Some(Money {
                currency_code: currency.into(),
                units,
                nanos,
            }),
        }
    }

    #[test]
    fn the_report_period_includes_its_last_day() {
        let cli = Cli::try_parse_from([
            "kamctl",
            "competitors",
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--industry",
            "C",
        ])
        .unwrap();
        let Command::Competitors(CompetitorsCommand::Report(args)) = cli.command else {
            panic!("not a competitors report");
        };
        let request = args.into_request().unwrap();
        assert_eq!(request.start_time.unwrap().seconds, 1_767_225_600); // 2026-01-01T00:00:00Z
        assert_eq!(request.end_time.unwrap().seconds, 1_775_001_600); // 2026-04-01T00:00:00Z
        assert_eq!(request.segments.unwrap().industry_code, "C");
    }

    #[test]
    fn update_names_only_the_given_fields() {
        let cli = Cli::try_parse_from([
            "kamctl",
            "competitors",
            "update",
            "c1",
            "--alias",
            "",
            "--website",
            "x",
        ])
        .unwrap();
        let Command::Competitors(CompetitorsCommand::Update(args)) = cli.command else {
            panic!("not a competitors update");
        };
        let request = args.into_request().unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["aliases", "website"]);
        let cli = Cli::try_parse_from(["kamctl", "competitors", "update", "c1"]).unwrap();
        let Command::Competitors(CompetitorsCommand::Update(args)) = cli.command else {
            panic!("not a competitors update");
        };
        assert!(matches!(args.into_request(), Err(Error::Usage(_))));
    }

    #[test]
    fn report_rows_show_each_currency_exactly() {
        let report = GetCompetitorReportResponse {
            rows: vec![CompetitorReportRow {
                competitor_id: "c1".into(),
                competitor_name: "KSB".into(),
                outcomes: Some(CompetitorOutcomes {
                    faced: 3,
                    won: 1,
                    lost_to: 1,
                    lost_to_others: 0,
                    open: 1,
                    win_rate: 0.5,
                    faced_amounts: vec![eur(100, 500_000_000, "EUR"), eur(7, 0, "USD")],
                    won_amounts: vec![eur(50, 0, "EUR")],
                    lost_amounts: vec![eur(50, 500_000_000, "EUR")],
                }),
                top_accounts: vec![competitor_report_row::AccountPresence {
                    account_id: "a1".into(),
                    account_display_name: "Pumps".into(),
                    faced: 3,
                    won: 1,
                    lost_to: 1,
                }],
                ..Default::default()
            }],
            unmatched: vec![UnmatchedCompetitorName {
                name: "Grundfos".into(),
                faced: 2,
                lost_to: 1,
            }],
        };
        assert_eq!(
            report.human(),
            "COMPETITOR  FACED  WON  LOST TO  OTHERS  OPEN  WIN RATE  FACED AMOUNT  WON AMOUNT  LOST AMOUNT\n\
             KSB             3    1        1       0     1     50.0%    100.50 EUR   50.00 EUR    50.50 EUR\n\
             \x20                                                            7.00 USD\n\
             \n\
             == KSB (c1): top accounts ==\n\
             ACCOUNT  ID  FACED  WON  LOST TO\n\
             Pumps    a1      3    1        1\n\
             \n\
             == Names no competitor has ==\n\
             NAME      FACED  LOST TO\n\
             Grundfos      2        1\n"
        );
    }
}
