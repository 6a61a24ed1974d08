//! `kamctl revenue report`: the revenue of the visible accounts over a range of months, in total and
//! per industry or region (kam.v1.PlanningService.GetRevenueReport), exact amounts in the reporting
//! currency, each segment with a bar scaled to the largest and its share of the total.

use clap::Args;
use kam_proto::v1::{GetRevenueReportRequest, GetRevenueReportResponse, Month, Tier};

use crate::Global;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::money::{self, format_optional};
use crate::output::{self, Render, Table, key_values};
use crate::revenue::{format_month, parse_month};
use crate::segments::{GroupingArgs, SegmentArgs, key_label};

/// The longest bar, in terminal columns.
const BAR_WIDTH: usize = 30;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The first month (YYYY-MM) [default: 11 months before --to].
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    from: Option<Month>,

    /// The last month (YYYY-MM) [default: this month, UTC]; at most 120 months in all.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    to: Option<Month>,

    /// Only the accounts of this tier.
    #[arg(long, value_parser = enums::parser::<Tier>())]
    tier: Option<i32>,

    #[command(flatten)]
    segments: SegmentArgs,

    #[command(flatten)]
    grouping: GroupingArgs,
}

impl ReportArgs {
    fn into_request(self) -> GetRevenueReportRequest {
        GetRevenueReportRequest {
            from_period: self.from,
            to_period: self.to,
            segments: self.segments.into_filter(),
            tier: self.tier.unwrap_or_default(),
            group_by: self.grouping.into_grouping(),
        }
    }
}

pub async fn run(args: ReportArgs, global: &Global) -> Result<(), Error> {
    let report = client::planning(global)
        .await?
        .get_revenue_report(args.into_request())
        .await?
        .into_inner();
    Ok(output::print(&report, global.json)?)
}

/// `12.3456%` from parts per million, rounded down as the server's shares are.
fn share(ppm: i64) -> String {
    format!("{}.{:04}%", ppm / 10_000, ppm % 10_000)
}

impl Render for GetRevenueReportResponse {
    fn human(&self) -> String {
        let mut text = key_values(&[
            (
                "months",
                format!(
                    "{} to {}",
                    format_month(self.from_period.as_ref()),
                    format_month(self.to_period.as_ref())
                ),
            ),
            ("total", format_optional(self.total.as_ref())),
            ("accounts", self.account_count.to_string()),
        ]);
        if self.segments.is_empty() {
            return text;
        }
        let max = self
            .segments
            .iter()
            .filter_map(|segment| segment.revenue.as_ref().map(money::total_nanos))
            .max()
            .unwrap_or(0);
        let mut table = Table::new(&["SEGMENT", "REVENUE", "ACCOUNTS", "SHARE", ""]);
        table.align_right(&[1, 2, 3]);
        for segment in &self.segments {
            let nanos = segment.revenue.as_ref().map_or(0, money::total_nanos);
            table.push(vec![
                key_label(segment.segment.as_ref()),
                format_optional(segment.revenue.as_ref()),
                segment.account_count.to_string(),
                share(segment.share_ppm),
                output::bar(nanos, max, BAR_WIDTH),
            ]);
        }
        text.push('\n');
        text.push_str(&table.render());
        text
    }
}

#[cfg(test)]
mod tests {
    use kam_proto::v1::{Money, SegmentKey, SegmentRevenue};

    use super::*;

    fn eur(units: i64, nanos: i32) -> Option<Money> {
        Some(Money {
            currency_code: "EUR".into(),
            units,
            nanos,
        })
    }

    #[test]
    fn segments_show_exact_amounts_and_shares() {
        let report = GetRevenueReportResponse {
            from_period: Some(Month { year: 2026, month: 1 }),
            to_period: Some(Month { year: 2026, month: 6 }),
            total: eur(300, 500_000_000),
            account_count: 3,
            segments: vec![
                SegmentRevenue {
                    segment: Some(SegmentKey {
                        code: String::new(),
                        name: "Steel".into(),
                    }),
                    revenue: eur(100, 500_000_000),
                    account_count: 1,
                    share_ppm: 334_165,
                },
                SegmentRevenue {
                    segment: Some(SegmentKey {
                        code: "C".into(),
                        name: "Manufacturing".into(),
                    }),
                    revenue: eur(200, 0),
                    account_count: 2,
                    share_ppm: 665_834,
                },
            ],
        };
        assert_eq!(
            report.human(),
            "months:   2026-01 to 2026-06\n\
             total:    300.50 EUR\n\
             accounts: 3\n\
             \n\
             SEGMENT                  REVENUE  ACCOUNTS     SHARE\n\
             (unclassified) Steel  100.50 EUR         1  33.4165%  ███████████████\n\
             C Manufacturing       200.00 EUR         2  66.5834%  ██████████████████████████████\n"
        );
    }
}
