//! The wire edge of the planning area: proto messages in, validated domain values out, and back.
//! Proto messages are destructured in full, so a field added to the proto fails to compile here until
//! it is handled.

mod brief;
mod group;
mod health;
mod interactions;
mod plans;
mod revenue_report;

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Utc};
use kam_proto::v1 as pb;
use uuid::Uuid;

use super::{
    model::{
        AccountKey, MonthTotal, RevenueFields, RevenueRecord, RevenueRow, TierChange, TierOverrideRecord,
        TierTable,
    },
    rules::tiering::{Period, TierReason, ppm},
};
use crate::{
    accounts::model::Tier,
    platform::{
        error::{FieldViolation, Result, Violations},
        fields::{required_id, text},
        money::Money,
        wire::{WireEnum, instant, timestamp},
    },
};

pub use brief::*;
pub use group::*;
pub use health::*;
pub use interactions::*;
pub use plans::*;
pub use revenue_report::*;

crate::wire_enums!(TierReason => pb::TierReason);

/// Most records one UpsertRevenueRecords call takes: one transaction must stay short.
pub const MAX_RECORDS_PER_CALL: usize = 5000;
/// The longest range GetMonthlyRevenue answers.
pub const MAX_MONTHS: usize = 120;
/// How many ranking rows a response carries by default, and at most.
pub const DEFAULT_ROW_LIMIT: usize = 1000;
pub const MAX_ROW_LIMIT: usize = 10_000;

pub fn period_of(year: i32, month: u32) -> Period {
    year * 100 + month as i32
}

fn month_to_proto(period: Period) -> pb::Month {
    pb::Month {
        year: period / 100,
        month: period % 100,
    }
}

/// A month from the wire: year 1900..=9999, month 1..=12; `None` when unset.
pub fn month(field: &str, raw: Option<pb::Month>) -> Result<Option<Period>, FieldViolation> {
    let Some(pb::Month { year, month }) = raw else {
        return Ok(None);
    };
    if !(1900..=9999).contains(&year) {
        return Err(FieldViolation::new(
            format!("{field}.year"),
            "must be within 1900..=9999",
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(FieldViolation::new(
            format!("{field}.month"),
            "must be within 1..=12",
        ));
    }
    Ok(Some(year * 100 + month))
}

/// Every month from `first` to `last`, inclusive.
pub fn months_between(first: Period, last: Period) -> Vec<Period> {
    let index = |p: Period| (p / 100) * 12 + (p % 100 - 1);
    (index(first)..=index(last))
        .map(|i| i.div_euclid(12) * 100 + i.rem_euclid(12) + 1)
        .collect()
}

/// The range GetMonthlyRevenue answers: `to` defaults to the current month, `from` to 11 before it.
pub fn month_range(
    from: Option<pb::Month>,
    to: Option<pb::Month>,
    now: DateTime<Utc>,
) -> Result<Vec<Period>> {
    let mut v = Violations::default();
    let from = v.take(month("from_period", from)).flatten();
    let to = v.take(month("to_period", to)).flatten();
    v.into_result()?;
    let to = to.unwrap_or_else(|| period_of(now.year(), now.month()));
    let from = from.unwrap_or_else(|| {
        let index = (to / 100) * 12 + (to % 100 - 1) - 11;
        index.div_euclid(12) * 100 + index.rem_euclid(12) + 1
    });
    if from > to {
        return Err(FieldViolation::new("from_period", "must not be after to_period").into());
    }
    let months = months_between(from, to);
    if months.len() > MAX_MONTHS {
        return Err(
            FieldViolation::new("from_period", format!("at most {MAX_MONTHS} months at once")).into(),
        );
    }
    Ok(months)
}

/// A batch of revenue records, every invalid field of every record reported at once.
pub fn revenue_records(records: Vec<pb::RevenueRecord>, currency: &str) -> Result<Vec<RevenueFields>> {
    let mut v = Violations::default();
    if records.is_empty() {
        v.add("records", "must not be empty");
    }
    if records.len() > MAX_RECORDS_PER_CALL {
        v.add(
            "records",
            format!("at most {MAX_RECORDS_PER_CALL} records per call"),
        );
        return Err(v.into_result().unwrap_err());
    }
    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(records.len());
    for (index, record) in records.into_iter().enumerate() {
        let pb::RevenueRecord {
            id: _,
            external_id,
            account_id,
            period,
            amount,
            create_time: _,
            update_time: _,
            // Only imports look accounts up by external id.
            account_external_id: _,
        } = record;
        let at = |name: &str| format!("records[{index}].{name}");
        let external_id = v.take(text(&at("external_id"), &external_id, 128, true));
        if let Some(id) = &external_id
            && !seen.insert(id.clone())
        {
            v.add(at("external_id"), format!("{id:?} appears twice in this batch"));
        }
        let account_id = v.take(required_id(&at("account_id"), &account_id));
        let period = v.take(
            month(&at("period"), period)
                .and_then(|p| p.ok_or_else(|| FieldViolation::new(at("period"), "must be set"))),
        );
        let amount = match amount {
            None => {
                v.add(at("amount"), "must be set");
                None
            }
            Some(raw) => v.take(revenue_amount(&at("amount"), raw, currency)),
        };
        if let (Some(external_id), Some(account_id), Some(period), Some(amount)) =
            (external_id, account_id, period, amount)
        {
            fields.push(RevenueFields {
                external_id,
                account_id,
                period,
                amount,
            });
        }
    }
    v.into_result()?;
    Ok(fields)
}

/// One record of a revenue import, checked like UpsertRevenueRecords checks one; the account by its id,
/// else by its external id. The first fault, named by its field within the record.
pub fn revenue_row(record: pb::RevenueRecord, currency: &str) -> Result<RevenueRow, FieldViolation> {
    let pb::RevenueRecord {
        id: _,
        external_id,
        account_id,
        period,
        amount,
        create_time: _,
        update_time: _,
        account_external_id,
    } = record;
    let external_id = text("external_id", &external_id, 128, true)?;
    let account = if !account_id.is_empty() {
        AccountKey::Id(required_id("account_id", &account_id)?)
    } else {
        match text("account_external_id", &account_external_id, 128, false)? {
            key if key.is_empty() => {
                return Err(FieldViolation::new(
                    "account_id",
                    "required (or account_external_id)",
                ));
            }
            key => AccountKey::ExternalId(key),
        }
    };
    let period = month("period", period)?.ok_or_else(|| FieldViolation::new("period", "must be set"))?;
    let amount = amount.ok_or_else(|| FieldViolation::new("amount", "must be set"))?;
    Ok(RevenueRow {
        external_id,
        account,
        period,
        amount: revenue_amount("amount", amount, currency)?,
        account_state: None,
    })
}

/// An exact amount in the reporting currency, the only one revenue is kept in.
fn revenue_amount(field: &str, raw: pb::Money, currency: &str) -> Result<Money, FieldViolation> {
    let money = Money::signed(field, raw)?;
    if money.currency == currency {
        Ok(money)
    } else {
        Err(FieldViolation::new(
            format!("{field}.currency_code"),
            format!("must be the reporting currency {currency}"),
        ))
    }
}

pub fn revenue_to_proto(record: RevenueRecord) -> pb::RevenueRecord {
    let RevenueRecord {
        id,
        fields,
        create_time,
        update_time,
    } = record;
    pb::RevenueRecord {
        id: id.to_string(),
        external_id: fields.external_id,
        account_id: fields.account_id.to_string(),
        period: Some(month_to_proto(fields.period)),
        amount: Some(fields.amount.to_proto()),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        account_external_id: String::new(),
    }
}

pub fn monthly_to_proto(account_id: Uuid, currency: &str, months: Vec<MonthTotal>) -> pb::MonthlyRevenue {
    let total: i128 = months.iter().map(|m| m.amount.total_nanos()).sum();
    pb::MonthlyRevenue {
        account_id: account_id.to_string(),
        months: months
            .into_iter()
            .map(|m| pb::monthly_revenue::MonthTotal {
                period: Some(month_to_proto(m.period)),
                amount: Some(m.amount.to_proto()),
                record_count: i32::try_from(m.record_count).unwrap_or(i32::MAX),
            })
            .collect(),
        total: Some(money(currency, total)),
    }
}

/// An exact sum as wire money; a sum beyond `i64` units saturates.
fn money(currency: &str, nanos: i128) -> pb::Money {
    Money::saturating(currency, nanos).to_proto()
}

/// The rows a RecomputeTiers response carries.
pub struct RowSelection {
    pub limit: usize,
    pub changed_only: bool,
}

pub fn row_selection(row_limit: i32, changed_only: bool) -> Result<RowSelection, FieldViolation> {
    let limit = match row_limit {
        n if n < 0 => return Err(FieldViolation::new("row_limit", "must not be negative")),
        0 => DEFAULT_ROW_LIMIT,
        n => (n as usize).min(MAX_ROW_LIMIT),
    };
    Ok(RowSelection { limit, changed_only })
}

pub fn tier_table_to_proto(table: TierTable, selection: &RowSelection) -> pb::RecomputeTiersResponse {
    let total = table.total_revenue();
    let currency = table.currency.as_str();
    let tiers = tier_summaries(
        table.rows.iter().map(|r| (r.ranking.new_tier, r.ranking.revenue)),
        total,
        currency,
    );
    let segments = segment_summaries(&table, currency);
    let selected: Vec<_> = table
        .rows
        .iter()
        .filter(|r| !selection.changed_only || r.changed())
        .collect();
    let truncated = selected.len() > selection.limit;
    let rows = selected
        .into_iter()
        .take(selection.limit)
        .map(|row| {
            let r = &row.ranking;
            let segment = row.segment.as_ref();
            pb::TierRankingRow {
                rank: i32::try_from(r.rank).unwrap_or(i32::MAX),
                account_id: r.account_id.to_string(),
                account_display_name: row.display_name.clone(),
                revenue: Some(money(currency, r.revenue)),
                previous_revenue: Some(money(currency, r.previous_revenue)),
                weighted_pipeline: Some(money(currency, r.weighted_pipeline)),
                share_ppm: r.share_ppm,
                cumulative_share_ppm: r.cumulative_share_ppm,
                old_tier: r.old_tier.to_wire(),
                ranked_tier: r.ranked_tier.to_wire(),
                new_tier: r.new_tier.to_wire(),
                reason: r.reason.to_wire(),
                member_account_ids: row.members.iter().map(|m| m.account_id.to_string()).collect(),
                member_revenue: row.members.iter().map(|m| money(currency, m.revenue)).collect(),
                segment: segment.map(|s| pb::SegmentKey {
                    code: s.code.clone(),
                    name: s.name.clone(),
                }),
                segment_tier: segment.map_or(0, |s| s.tier.to_wire()),
                segment_share_ppm: segment.map_or(0, |s| s.share_ppm),
                segment_cumulative_share_ppm: segment.map_or(0, |s| s.cumulative_share_ppm),
            }
        })
        .collect();
    pb::RecomputeTiersResponse {
        as_of: Some(timestamp(table.as_of)),
        applied: table.applied,
        account_count: i32::try_from(table.account_count()).unwrap_or(i32::MAX),
        changed_count: i32::try_from(table.changed_count()).unwrap_or(i32::MAX),
        total_revenue: Some(money(currency, total)),
        tiers,
        rows,
        truncated,
        ranks_groups: table.ranks_groups,
        segments,
    }
}

/// Per tier, STRATEGIC first: the rows of `(tier, revenue)` in it, their revenue and its share of
/// `total`.
fn tier_summaries(
    rows: impl Iterator<Item = (Tier, i128)> + Clone,
    total: i128,
    currency: &str,
) -> Vec<pb::recompute_tiers_response::TierSummary> {
    Tier::ALL
        .iter()
        .map(|&tier| {
            let members = rows.clone().filter(|(t, _)| *t == tier);
            let revenue: i128 = members.clone().map(|(_, revenue)| revenue).sum();
            pb::recompute_tiers_response::TierSummary {
                tier: tier.to_wire(),
                account_count: i32::try_from(members.count()).unwrap_or(i32::MAX),
                revenue: Some(money(currency, revenue)),
                share_ppm: ppm(revenue, total),
            }
        })
        .collect()
}

/// Each segment of a ranking within segments, by code: its revenue and its rows per segment tier.
fn segment_summaries(table: &TierTable, currency: &str) -> Vec<pb::recompute_tiers_response::SegmentSummary> {
    /// A segment's name and its rows' segment tiers and revenue, by code.
    type Segments<'a> = std::collections::BTreeMap<&'a str, (&'a str, Vec<(Tier, i128)>)>;
    let mut by_code = Segments::new();
    for row in &table.rows {
        if let Some(place) = &row.segment {
            by_code
                .entry(place.code.as_str())
                .or_insert_with(|| (place.name.as_str(), Vec::new()))
                .1
                .push((place.tier, row.ranking.revenue));
        }
    }
    by_code
        .into_iter()
        .map(|(code, (name, rows))| {
            let revenue: i128 = rows.iter().map(|(_, revenue)| revenue).sum();
            pb::recompute_tiers_response::SegmentSummary {
                segment: Some(pb::SegmentKey {
                    code: code.to_owned(),
                    name: name.to_owned(),
                }),
                revenue: Some(money(currency, revenue)),
                tiers: tier_summaries(rows.iter().copied(), revenue, currency),
            }
        })
        .collect()
}

pub fn tier_change_to_proto(change: TierChange) -> pb::TierChange {
    pb::TierChange {
        id: change.id.to_string(),
        account_id: change.account_id.to_string(),
        old_tier: change.old_tier.to_wire(),
        new_tier: change.new_tier.to_wire(),
        source: change.source.as_str().to_owned(),
        reason: change.reason.to_wire(),
        note: change.note,
        as_of: change.as_of.map(timestamp),
        revenue: change.revenue.map(|m| m.to_proto()),
        cumulative_share_ppm: change.cumulative_share_ppm.unwrap_or_default(),
        change_time: Some(timestamp(change.change_time)),
        changed_by_staff_id: change.changed_by.to_string(),
    }
}

pub fn override_to_proto(record: TierOverrideRecord, now: DateTime<Utc>) -> pb::TierOverride {
    let active = record.expire_time.is_none_or(|expiry| now < expiry);
    pb::TierOverride {
        account_id: record.account_id.to_string(),
        tier: record.tier.to_wire(),
        reason: record.reason,
        expire_time: record.expire_time.map(timestamp),
        set_by_staff_id: record.set_by.to_string(),
        set_time: Some(timestamp(record.set_time)),
        active,
    }
}

/// A new override: account, tier, reason (1..=500 characters), and an expiry in the future if any.
pub struct NewOverride {
    pub account_id: Uuid,
    pub tier: Tier,
    pub reason: String,
    pub expire_time: Option<DateTime<Utc>>,
}

pub fn new_override(raw: Option<pb::TierOverride>, now: DateTime<Utc>) -> Result<NewOverride> {
    let pb::TierOverride {
        account_id,
        tier,
        reason,
        expire_time,
        set_by_staff_id: _,
        set_time: _,
        active: _,
    } = raw.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("tier_override.account_id", &account_id));
    let tier = v.take(
        Tier::from_wire("tier_override.tier", tier)
            .and_then(|t| t.ok_or_else(|| FieldViolation::new("tier_override.tier", "must be set"))),
    );
    let reason = v.take(text("tier_override.reason", &reason, 500, true));
    let expire_time = v.take(
        instant("tier_override.expire_time", expire_time).and_then(|t| match t {
            Some(t) if t <= now => Err(FieldViolation::new(
                "tier_override.expire_time",
                "must be in the future",
            )),
            other => Ok(other),
        }),
    );
    v.into_result()?;
    Ok(NewOverride {
        account_id: account_id.expect("checked above"),
        tier: tier.expect("checked above"),
        reason: reason.expect("checked above"),
        expire_time: expire_time.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_between_wraps_the_year() {
        assert_eq!(
            months_between(202511, 202602),
            vec![202511, 202512, 202601, 202602]
        );
        assert_eq!(months_between(202603, 202603), vec![202603]);
    }

    #[test]
    fn the_default_range_is_the_last_twelve_months() {
        let now: DateTime<Utc> = "2026-03-15T00:00:00Z".parse().unwrap();
        let months = month_range(None, None, now).unwrap();
        assert_eq!((months[0], months[11], months.len()), (202504, 202603, 12));
    }

    #[test]
    fn a_bad_month_names_its_field() {
        let err = month(
            "records[2].period",
            Some(pb::Month {
                year: 2026,
                month: 13,
            }),
        )
        .unwrap_err();
        assert_eq!(err.field, "records[2].period.month");
        let err = month("from_period", Some(pb::Month { year: 12, month: 1 })).unwrap_err();
        assert_eq!(err.field, "from_period.year");
    }

    #[test]
    fn a_record_in_another_currency_or_twice_in_a_batch_is_refused() {
        let record = |external: &str, currency: &str| pb::RevenueRecord {
            external_id: external.into(),
            account_id: Uuid::now_v7().to_string(),
            period: Some(pb::Month { year: 2026, month: 1 }),
            amount: Some(pb::Money {
                currency_code: currency.into(),
                units: -5,
                nanos: -500_000_000,
            }),
            ..Default::default()
        };
        assert!(
            revenue_records(vec![record("INV-1", "EUR")], "EUR").is_ok(),
            "credit notes are revenue too"
        );
        let Err(crate::platform::error::Error::InvalidArgument(violations)) =
            revenue_records(vec![record("INV-1", "EUR"), record("INV-1", "USD")], "EUR")
        else {
            panic!("expected INVALID_ARGUMENT");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["records[1].external_id", "records[1].amount.currency_code"]
        );
    }
}
