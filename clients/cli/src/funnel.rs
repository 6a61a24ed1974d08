//! `kamctl funnel ...`: the funnel analytics of kam.v1.OpportunityService: the funnel itself (the
//! default view), stage conversion, stage velocity, the forecast, and the stalled opportunities.
//!
//! Amounts are per currency, as the server sums them, never converted; kamctl prints them exactly
//! (`money`).

use std::collections::{BTreeMap, BTreeSet};

use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::{
    CurrencyAmount, ForecastCategory, FunnelFilter, GetConversionReportRequest, GetConversionReportResponse,
    GetForecastRequest, GetForecastResponse, GetFunnelSummaryRequest, GetFunnelSummaryResponse,
    GetVelocityReportRequest, GetVelocityReportResponse, ListStalledOpportunitiesRequest,
    ListStalledOpportunitiesResponse, StageSummary, Tier,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::money;
use crate::opportunities;
use crate::output::{self, Render, Table};
use crate::segments::{self, GroupingArgs, SegmentArgs};

/// The longest bar of the funnel, in terminal columns.
const BAR_WIDTH: usize = 40;

/// The funnel of a pipeline; `conversion`, `velocity`, `forecast` and `stalled` show the other
/// reports. Without a subcommand, the funnel (`summary`).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FunnelArgs {
    #[command(subcommand)]
    view: Option<FunnelView>,

    #[command(flatten)]
    filter: GroupedArgs,
}

/// The filter of a report that can also break its figures down by segment.
#[derive(Debug, Args)]
pub struct GroupedArgs {
    #[command(flatten)]
    filter: FilterArgs,

    #[command(flatten)]
    grouping: GroupingArgs,
}

#[derive(Debug, Subcommand)]
enum FunnelView {
    /// The funnel (the default): per stage, the opportunities in it now, their amount and their
    /// weighted amount (amount × probability), per currency.
    ///
    /// --since/--until select the opportunities by creation time.
    Summary(GroupedArgs),
    /// How many opportunities reach each stage and go on to the next, and the win rate.
    ///
    /// --since/--until select the cohort by creation time, and the closes of the win rate.
    Conversion(FilterArgs),
    /// How long opportunities stay in each stage (completed stays), and the mean time to a win.
    ///
    /// --since/--until select the stays that ended, and the wins closed, in the range.
    Velocity(FilterArgs),
    /// Open opportunities by forecast category, the weighted pipeline, and what was won.
    ///
    /// --since/--until select by expected close date (open) and close date (won), in UTC.
    Forecast(GroupedArgs),
    /// The open opportunities that have been in their stage longer than its stall days, longest
    /// first.
    ///
    /// --since/--until do not apply: stalled means now.
    Stalled(StalledArgs),
}

/// What every funnel report may be narrowed to.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// The pipeline [default: the default pipeline].
    #[arg(long, value_name = "ID")]
    pipeline: Option<String>,

    /// Only the opportunities this staff member owns.
    #[arg(long, value_name = "STAFF_ID")]
    owner: Option<String>,

    /// Only the opportunities of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the opportunities of accounts of this tier.
    #[arg(long, value_parser = enums::parser::<Tier>())]
    tier: Option<i32>,

    /// Start of the range (inclusive): an RFC 3339 time, or YYYY-MM-DD for 00:00 UTC that day.
    #[arg(long, value_name = "TIME|DATE", value_parser = parse_bound)]
    since: Option<Timestamp>,

    /// End of the range (exclusive): an RFC 3339 time, or YYYY-MM-DD for 00:00 UTC that day, so
    /// `--since 2025-01-01 --until 2025-04-01` is the first quarter.
    #[arg(long, value_name = "TIME|DATE", value_parser = parse_bound)]
    until: Option<Timestamp>,

    #[command(flatten)]
    segments: SegmentArgs,
}

#[derive(Debug, Args)]
pub struct StalledArgs {
    #[command(flatten)]
    filter: FilterArgs,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(args: FunnelArgs, global: &Global) -> Result<(), Error> {
    let view = args.view.unwrap_or(FunnelView::Summary(args.filter));
    let mut client = client::opportunities(global).await?;
    match view {
        FunnelView::Summary(GroupedArgs { filter, grouping }) => {
            let request = GetFunnelSummaryRequest {
                filter: Some(filter.into_filter()),
                group_by: grouping.into_grouping(),
            };
            let summary = client.get_funnel_summary(request).await?.into_inner();
            Ok(output::print(&summary, global.json)?)
        }
        FunnelView::Conversion(filter) => {
            let request = GetConversionReportRequest {
                filter: Some(filter.into_filter()),
            };
            let report = client.get_conversion_report(request).await?.into_inner();
            Ok(output::print(&report, global.json)?)
        }
        FunnelView::Velocity(filter) => {
            let request = GetVelocityReportRequest {
                filter: Some(filter.into_filter()),
            };
            let report = client.get_velocity_report(request).await?.into_inner();
            Ok(output::print(&report, global.json)?)
        }
        FunnelView::Forecast(GroupedArgs { filter, grouping }) => {
            let request = GetForecastRequest {
                filter: Some(filter.into_filter()),
                group_by: grouping.into_grouping(),
            };
            let forecast = client.get_forecast(request).await?.into_inner();
            Ok(output::print(&forecast, global.json)?)
        }
        FunnelView::Stalled(StalledArgs { filter, paging }) => {
            let PageArgs {
                page_size,
                page_token,
                all,
            } = paging;
            let filter = filter.into_filter();
            let fetch = async |page_token| {
                let request = ListStalledOpportunitiesRequest {
                    filter: Some(filter.clone()),
                    page_size: page_size.unwrap_or_default(),
                    page_token,
                };
                Ok(client.list_stalled_opportunities(request).await?.into_inner())
            };
            let stalled = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
            Ok(output::print(&stalled, global.json)?)
        }
    }
}

impl FilterArgs {
    fn into_filter(self) -> FunnelFilter {
        FunnelFilter {
            pipeline_id: self.pipeline.unwrap_or_default(),
            owner_staff_id: self.owner.unwrap_or_default(),
            account_id: self.account.unwrap_or_default(),
            tier: self.tier.unwrap_or_default(),
            start_time: self.since,
            end_time: self.until,
            segments: self.segments.into_filter(),
        }
    }
}

/// Parses `--since`/`--until`: an RFC 3339 time, or a date meaning 00:00 UTC that day.
pub fn parse_bound(text: &str) -> Result<Timestamp, String> {
    if let Ok(date) = opportunities::parse_date(text) {
        let midnight = date.and_time(chrono::NaiveTime::MIN).and_utc();
        return Ok(Timestamp {
            seconds: midnight.timestamp(),
            nanos: 0,
        });
    }
    output::parse_timestamp(text)
        .map_err(|_| format!("`{text}` is neither an RFC 3339 time such as 2025-01-31T08:00:00Z nor a date"))
}

fn bar(count: i64, max: i64) -> String {
    output::bar(i128::from(count), i128::from(max), BAR_WIDTH)
}

/// Per currency: (amount, weighted amount) in nanos, `None` where a list has no entry for it.
type AmountLines = BTreeMap<String, (Option<i128>, Option<i128>)>;

/// The amount and weighted amount lines of some stages, per currency in code order.
fn amount_lines<'a>(stages: impl IntoIterator<Item = &'a StageSummary> + Clone) -> AmountLines {
    let amounts = money::sum_by_currency(stages.clone().into_iter().map(|s| &s.amounts[..]));
    let weighted = money::sum_by_currency(stages.into_iter().map(|s| &s.weighted_amounts[..]));
    let currencies: BTreeSet<&String> = amounts.keys().chain(weighted.keys()).collect();
    currencies
        .into_iter()
        .map(|currency| {
            let amount = amounts.get(currency).map(|&(_, nanos)| nanos);
            let weighted = weighted.get(currency).map(|&(_, nanos)| nanos);
            (currency.clone(), (amount, weighted))
        })
        .collect()
}

/// Adds the rows of one funnel line: the first currency next to the label, bar and count, the others
/// below it.
fn push_funnel_rows(table: &mut Table, label: &str, bar: String, count: i64, lines: &AmountLines) {
    let format = |nanos: Option<i128>, currency: &str| {
        nanos
            .map(|nanos| money::format_nanos(nanos, currency))
            .unwrap_or_default()
    };
    let mut first = vec![label.to_owned(), bar, count.to_string()];
    let mut amounts = lines.iter();
    match amounts.next() {
        Some((currency, &(amount, weighted))) => {
            first.push(format(amount, currency));
            first.push(format(weighted, currency));
        }
        None => first.extend([String::new(), String::new()]),
    }
    table.push(first);
    for (currency, &(amount, weighted)) in amounts {
        table.push(vec![
            String::new(),
            String::new(),
            String::new(),
            format(amount, currency),
            format(weighted, currency),
        ]);
    }
}

fn pipeline_line(pipeline_id: &str) -> String {
    if pipeline_id.is_empty() {
        String::new()
    } else {
        format!("pipeline {pipeline_id}\n\n")
    }
}

impl Render for GetFunnelSummaryResponse {
    /// One line per stage with a bar scaled to the largest count, then the totals of the open stages.
    /// The server lists the won and lost stages last; a blank line sets them apart.
    fn human(&self) -> String {
        let max = self.stages.iter().map(|stage| stage.count).max().unwrap_or(0);
        let open = self.stages.len().saturating_sub(2);
        let mut table = Table::new(&["STAGE", "", "COUNT", "AMOUNT", "WEIGHTED"]);
        table.align_right(&[2, 3, 4]);
        for (index, stage) in self.stages.iter().enumerate() {
            if index == open && index > 0 {
                table.push(vec![String::new(); 5]);
            }
            let lines = amount_lines([stage]);
            push_funnel_rows(
                &mut table,
                &stage.stage,
                bar(stage.count, max),
                stage.count,
                &lines,
            );
        }
        if open > 0 {
            table.push(vec![String::new(); 5]);
            let stages = &self.stages[..open];
            let count = stages.iter().map(|stage| stage.count).sum();
            push_funnel_rows(
                &mut table,
                "TOTAL OPEN",
                String::new(),
                count,
                &amount_lines(stages),
            );
        }
        let mut text = pipeline_line(&self.pipeline_id) + &table.render();
        for segment in &self.segments {
            text.push_str(&format!(
                "\n== {} ==\n",
                segments::key_label(segment.segment.as_ref())
            ));
            let mut table = Table::new(&["STAGE", "", "COUNT", "AMOUNT", "WEIGHTED"]);
            table.align_right(&[2, 3, 4]);
            for stage in &segment.stages {
                let lines = amount_lines([stage]);
                push_funnel_rows(
                    &mut table,
                    &stage.stage,
                    bar(stage.count, max),
                    stage.count,
                    &lines,
                );
            }
            text.push_str(&table.render());
        }
        text
    }
}

pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

impl Render for GetConversionReportResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["STAGE", "REACHED", "NEXT", "CONVERSION"]);
        table.align_right(&[1, 2, 3]);
        for stage in &self.stages {
            table.push(vec![
                stage.stage.clone(),
                stage.reached.to_string(),
                stage.reached_next.to_string(),
                percent(stage.conversion_rate),
            ]);
        }
        let mut text = pipeline_line(&self.pipeline_id) + &table.render();
        text.push_str(&format!(
            "\nwin rate: {} ({} won, {} lost)\n",
            percent(self.win_rate),
            self.won,
            self.lost
        ));
        text
    }
}

fn days(value: f64) -> String {
    format!("{value:.1}")
}

impl Render for GetVelocityReportResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["STAGE", "STAYS", "MEAN DAYS", "MEDIAN DAYS"]);
        table.align_right(&[1, 2, 3]);
        for stage in &self.stages {
            let (mean, median) = if stage.stays == 0 {
                ("-".to_owned(), "-".to_owned())
            } else {
                (days(stage.mean_days), days(stage.median_days))
            };
            table.push(vec![stage.stage.clone(), stage.stays.to_string(), mean, median]);
        }
        let mut text = pipeline_line(&self.pipeline_id) + &table.render();
        if self.won == 0 {
            text.push_str("\nno won opportunities\n");
        } else {
            text.push_str(&format!(
                "\nmean cycle: {} days from creation to win ({} won)\n",
                days(self.mean_cycle_days),
                self.won
            ));
        }
        text
    }
}

/// Adds one row per currency of `amounts` under `label` (the label on the first only), or a row of
/// zero when there are none.
fn push_amount_rows(table: &mut Table, label: String, amounts: &[CurrencyAmount]) {
    let formatted = money::format_amounts(amounts);
    if amounts.is_empty() {
        table.push(vec![label, "0".to_owned(), String::new()]);
        return;
    }
    let mut label = Some(label);
    for (amount, text) in amounts.iter().zip(formatted) {
        table.push(vec![
            label.take().unwrap_or_default(),
            amount.count.to_string(),
            text,
        ]);
    }
}

impl Render for GetForecastResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["CATEGORY", "COUNT", "AMOUNT"]);
        table.align_right(&[1, 2]);
        for category in &self.categories {
            let label = enums::name::<ForecastCategory>(category.category);
            push_amount_rows(&mut table, label, &category.amounts);
        }
        table.push(vec![String::new(); 3]);
        push_amount_rows(
            &mut table,
            "WEIGHTED PIPELINE".to_owned(),
            &self.weighted_pipeline,
        );
        push_amount_rows(&mut table, "CLOSED WON".to_owned(), &self.closed_won);
        let mut text = pipeline_line(&self.pipeline_id) + &table.render();
        for segment in &self.segments {
            text.push_str(&format!(
                "\n== {} ==\n",
                segments::key_label(segment.segment.as_ref())
            ));
            let mut table = Table::new(&["CATEGORY", "COUNT", "AMOUNT"]);
            table.align_right(&[1, 2]);
            for category in &segment.categories {
                let label = enums::name::<ForecastCategory>(category.category);
                push_amount_rows(&mut table, label, &category.amounts);
            }
            table.push(vec![String::new(); 3]);
            push_amount_rows(
                &mut table,
                "WEIGHTED PIPELINE".to_owned(),
                &segment.weighted_pipeline,
            );
            push_amount_rows(&mut table, "CLOSED WON".to_owned(), &segment.closed_won);
            text.push_str(&table.render());
        }
        text
    }
}

client::impl_page!(ListStalledOpportunitiesResponse, opportunities);

impl Render for ListStalledOpportunitiesResponse {
    fn human(&self) -> String {
        let headers = opportunities::ROW_HEADERS
            .iter()
            .map(|&header| header.to_owned())
            .chain(["DAYS IN STAGE".to_owned(), "STALL AFTER".to_owned()]);
        let mut table = Table::with_headers(headers.collect());
        let columns = opportunities::ROW_HEADERS.len();
        table.align_right(&opportunities::ROW_NUMBERS);
        table.align_right(&[columns, columns + 1]);
        for stalled in &self.opportunities {
            let mut row = opportunities::row(&stalled.opportunity.clone().unwrap_or_default());
            row.push(stalled.days_in_stage.to_string());
            row.push(stalled.stall_after_days.to_string());
            table.push(row);
        }
        let mut text = table.render();
        if !self.next_page_token.is_empty() {
            text.push_str(&format!("next page: {}\n", self.next_page_token));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::{
        ForecastCategorySum, Money, Opportunity, StageConversion, StageVelocity, StalledOpportunity,
    };

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<FunnelArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "funnel"], args].concat())?;
        match cli.command {
            Command::Funnel(args) => Ok(args),
            other => panic!("not a funnel command: {other:?}"),
        }
    }

    fn amount(currency: &str, count: i64, units: i64, nanos: i32) -> CurrencyAmount {
        CurrencyAmount {
            currency_code: currency.into(),
            count,
            amount: Some(Money {
                currency_code: currency.into(),
                units,
                nanos,
            }),
        }
    }

    fn stage(
        key: &str,
        count: i64,
        amounts: Vec<CurrencyAmount>,
        weighted: Vec<CurrencyAmount>,
    ) -> StageSummary {
        StageSummary {
            stage: key.into(),
            count,
            amounts,
            weighted_amounts: weighted,
        }
    }

    #[test]
    fn bars_scale_to_the_largest_count() {
        assert_eq!(bar(3, 6), "█".repeat(20));
        assert_eq!(bar(0, 6), "");
    }

    #[test]
    fn bare_funnel_is_the_summary_and_filters_go_to_each_view() {
        let args = try_parse(&["--pipeline", "p1", "--tier", "strategic"]).unwrap();
        assert!(args.view.is_none());
        let filter = args.filter.filter.into_filter();
        assert_eq!(filter.pipeline_id, "p1");
        assert_eq!(filter.tier, Tier::Strategic as i32);

        let args = try_parse(&["stalled", "--owner", "s1", "--all"]).unwrap();
        let Some(FunnelView::Stalled(StalledArgs { filter, paging })) = args.view else {
            panic!("not stalled");
        };
        assert_eq!(filter.into_filter().owner_staff_id, "s1");
        assert!(paging.all);

        for view in ["summary", "conversion", "velocity", "forecast"] {
            let args = try_parse(&[view, "--account", "a1"]).unwrap();
            assert!(args.view.is_some(), "{view}");
        }
        // Paging is only for the stalled list.
        assert!(try_parse(&["forecast", "--all"]).is_err());
    }

    #[test]
    fn since_and_until_take_dates_and_rfc3339_times() {
        let args = try_parse(&["--since", "2023-11-14", "--until", "2023-11-14T22:13:20+01:00"]).unwrap();
        let filter = args.filter.filter.into_filter();
        assert_eq!(
            filter.start_time,
            Some(Timestamp {
                seconds: 1_699_920_000,
                nanos: 0
            })
        );
        assert_eq!(
            filter.end_time,
            Some(Timestamp {
                seconds: 1_700_000_000 - 3600,
                nanos: 0
            })
        );
        assert!(try_parse(&["--since", "last week"]).is_err());
        assert!(try_parse(&["--until", "2023-02-30"]).is_err());
    }

    #[test]
    fn summary_draws_a_funnel_with_exact_amounts_per_currency() {
        let response = GetFunnelSummaryResponse {
            segments: Vec::new(),
            pipeline_id: "p1".into(),
            stages: vec![
                stage(
                    "LEAD",
                    8,
                    vec![amount("EUR", 8, 80_000, 0)],
                    vec![amount("EUR", 8, 8_000, 0)],
                ),
                stage(
                    "PROPOSAL",
                    4,
                    vec![
                        amount("EUR", 3, 30_000, 500_000_000),
                        amount("USD", 1, 999, 990_000_000),
                    ],
                    vec![
                        amount("EUR", 3, 18_000, 300_000_000),
                        amount("USD", 1, 599, 994_000_000),
                    ],
                ),
                stage("NEGOTIATION", 0, vec![], vec![]),
                stage(
                    "WON",
                    2,
                    vec![amount("EUR", 2, 5_000, 0)],
                    vec![amount("EUR", 2, 5_000, 0)],
                ),
                stage("LOST", 1, vec![], vec![]),
            ],
        };
        let bar = |n: usize| "█".repeat(n);
        let expected = format!(
            "pipeline p1\n\
             \n\
             STAGE                                                  COUNT         AMOUNT      WEIGHTED\n\
             LEAD         {}      8   80000.00 EUR   8000.00 EUR\n\
             PROPOSAL     {}                          4   30000.50 EUR  18000.30 EUR\n\
             \x20                                                                999.99 USD   599.994 USD\n\
             NEGOTIATION                                                0\n\
             \n\
             WON          {}                                    2    5000.00 EUR   5000.00 EUR\n\
             LOST         {}                                         1\n\
             \n\
             TOTAL OPEN                                                12  110000.50 EUR  26000.30 EUR\n\
             \x20                                                                999.99 USD   599.994 USD\n",
            bar(40),
            bar(20),
            bar(10),
            bar(5),
        );
        assert_eq!(response.human(), expected);
    }

    #[test]
    fn conversion_velocity_and_forecast_are_tables() {
        let conversion = GetConversionReportResponse {
            pipeline_id: String::new(),
            stages: vec![StageConversion {
                stage: "LEAD".into(),
                reached: 20,
                reached_next: 12,
                conversion_rate: 0.6,
            }],
            won: 5,
            lost: 3,
            win_rate: 0.625,
        };
        assert_eq!(
            conversion.human(),
            "STAGE  REACHED  NEXT  CONVERSION\n\
             LEAD        20    12       60.0%\n\
             \n\
             win rate: 62.5% (5 won, 3 lost)\n"
        );

        let velocity = GetVelocityReportResponse {
            pipeline_id: String::new(),
            stages: vec![
                StageVelocity {
                    stage: "LEAD".into(),
                    stays: 4,
                    mean_days: 3.25,
                    median_days: 2.0,
                },
                StageVelocity {
                    stage: "PROPOSAL".into(),
                    ..Default::default()
                },
            ],
            won: 2,
            mean_cycle_days: 41.75,
        };
        assert_eq!(
            velocity.human(),
            "STAGE     STAYS  MEAN DAYS  MEDIAN DAYS\n\
             LEAD          4        3.2          2.0\n\
             PROPOSAL      0          -            -\n\
             \n\
             mean cycle: 41.8 days from creation to win (2 won)\n"
        );

        let forecast = GetForecastResponse {
            segments: Vec::new(),
            pipeline_id: String::new(),
            categories: vec![
                ForecastCategorySum {
                    category: ForecastCategory::Pipeline as i32,
                    amounts: vec![amount("EUR", 3, 1_500, 0), amount("USD", 1, 20, 500_000_000)],
                },
                ForecastCategorySum {
                    category: ForecastCategory::Commit as i32,
                    amounts: vec![],
                },
            ],
            weighted_pipeline: vec![amount("EUR", 3, 450, 0)],
            closed_won: vec![],
        };
        assert_eq!(
            forecast.human(),
            "CATEGORY           COUNT       AMOUNT\n\
             PIPELINE               3  1500.00 EUR\n\
             \x20                      1    20.50 USD\n\
             COMMIT                 0\n\
             \n\
             WEIGHTED PIPELINE      3   450.00 EUR\n\
             CLOSED WON             0\n"
        );
    }

    #[test]
    fn stalled_rows_show_days_in_stage_against_the_limit() {
        let response = ListStalledOpportunitiesResponse {
            opportunities: vec![StalledOpportunity {
                opportunity: Some(Opportunity {
                    id: "o1".into(),
                    display_name: "Pumps".into(),
                    account_id: "a1".into(),
                    stage: "PROPOSAL".into(),
                    probability: 60,
                    owner_staff_id: "s1".into(),
                    ..Default::default()
                }),
                days_in_stage: 45,
                stall_after_days: 30,
            }],
            next_page_token: String::new(),
        };
        assert_eq!(
            response.human(),
            "ID  NAME   ACCOUNT  STAGE     AMOUNT  PROB  CLOSE DATE  OWNER  DAYS IN STAGE  STALL AFTER\n\
             o1  Pumps  a1       PROPOSAL           60%              s1                45           30\n"
        );
    }
}
