//! GetRevenueReport on the wire: the request into a [`RevenueReportQuery`], the report back.

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;

use super::{money, month_range, month_to_proto};
use crate::{
    accounts::model::Tier,
    planning::{
        rules::tiering::ppm,
        store::{RevenueReport, RevenueReportQuery},
    },
    platform::{
        error::{Result, Violations},
        wire::WireEnum,
    },
    segments::convert::{segment_filter, segment_grouping},
};

/// The request as a query: the months as GetMonthlyRevenue reads them, the tier, the segments and the
/// grouping, every bad field named.
pub fn revenue_report_query(
    request: pb::GetRevenueReportRequest,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<RevenueReportQuery> {
    let pb::GetRevenueReportRequest {
        from_period,
        to_period,
        segments,
        tier,
        group_by,
    } = request;
    let mut v = Violations::default();
    let tier = v.take(Tier::from_wire("tier", tier)).flatten();
    let segments = v
        .take(segment_filter("segments", segments.as_ref()))
        .unwrap_or_default();
    let group_by = v.take(segment_grouping("group_by", group_by.as_ref())).flatten();
    let months = month_range(from_period, to_period, now);
    v.into_result()?;
    let months = months?;
    Ok(RevenueReportQuery {
        first: *months.first().expect("a range holds at least one month"),
        last: *months.last().expect("a range holds at least one month"),
        currency: currency.to_owned(),
        tier,
        segments,
        group_by,
    })
}

/// The report on the wire; each segment's share of the total in parts per million, rounded down.
pub fn revenue_report_to_proto(
    query: &RevenueReportQuery,
    report: RevenueReport,
) -> pb::GetRevenueReportResponse {
    let RevenueReport {
        total,
        account_count,
        segments,
    } = report;
    let currency = query.currency.as_str();
    pb::GetRevenueReportResponse {
        from_period: Some(month_to_proto(query.first)),
        to_period: Some(month_to_proto(query.last)),
        total: Some(money(currency, total)),
        account_count: i32::try_from(account_count).unwrap_or(i32::MAX),
        segments: segments
            .into_iter()
            .map(|s| pb::SegmentRevenue {
                segment: Some(pb::SegmentKey {
                    code: s.code,
                    name: s.name,
                }),
                revenue: Some(money(currency, s.revenue)),
                account_count: i32::try_from(s.account_count).unwrap_or(i32::MAX),
                share_ppm: ppm(s.revenue, total),
            })
            .collect(),
    }
}
