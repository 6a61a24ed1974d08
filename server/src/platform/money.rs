//! Exact money (the semantics of `google.type.Money`): a currency, whole units and billionths with the
//! same sign. Sums and weighted sums are done in `i128` billionths, never in floating point.
//!
//! # Bounds
//!
//! An amount from the wire has at most [`MAX_UNITS`] (10¹⁵) units either way: far beyond any deal or
//! invoice, and small enough that thousands of them sum within `i64` units. Sums in SQL never overflow
//! either: [`sum_columns`] splits the units into billions and the rest before summing, so each
//! partial sum stays far within a BIGINT on SQLite (whose SUM fails on overflow) and PostgreSQL (whose
//! SUM is NUMERIC, cast back). A sum beyond `i64` units (amounts stored before the bound, or ten
//! thousand deals at it) saturates on the way out ([`Money::saturating`]) rather than failing the
//! report for every caller.

use kam_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::platform::error::FieldViolation;

pub const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// The most units an amount from the wire may have, either way (see the [module docs](self)).
pub const MAX_UNITS: i64 = 1_000_000_000_000_000;

/// Units are summed in SQL as `units / UNITS_SPLIT` and `units % UNITS_SPLIT` (both truncate toward
/// zero on both backends, so the parts carry the sign of `units`).
const UNITS_SPLIT: i128 = 1_000_000_000;

/// Three SQL sums whose [`total_of_sums`] is `SUM((units + nanos / 10⁹) × factor)` in billionths,
/// exactly, for any `factor` up to 100 (a probability) and any stored `units` (even `i64::MAX`): the
/// high part is at most 9.3 × 10¹² × 100 per row and the others below 10¹¹, so a BIGINT holds the sum
/// of ten million rows.
pub fn sum_columns(units: &str, nanos: &str, factor: &str) -> [String; 3] {
    [
        format!("CAST(SUM(({units} / {UNITS_SPLIT}) * {factor}) AS BIGINT)"),
        format!("CAST(SUM(({units} % {UNITS_SPLIT}) * {factor}) AS BIGINT)"),
        format!("CAST(SUM(CAST({nanos} AS BIGINT) * {factor}) AS BIGINT)"),
    ]
}

/// The total in billionths of the three sums [`sum_columns`] selects.
pub fn total_of_sums(high: i64, low: i64, nanos: i64) -> i128 {
    (i128::from(high) * UNITS_SPLIT + i128::from(low)) * NANOS_PER_UNIT + i128::from(nanos)
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// ISO 4217, three upper-case letters.
    pub currency: String,
    pub units: i64,
    pub nanos: i32,
}

impl Money {
    /// A well-formed, non-negative amount from the wire.
    pub fn non_negative(field: &str, raw: pb::Money) -> Result<Self, FieldViolation> {
        let money = Self::signed(field, raw)?;
        if money.units < 0 || money.nanos < 0 {
            return Err(FieldViolation::new(field, "must not be negative"));
        }
        Ok(money)
    }

    /// A well-formed amount from the wire, of either sign (revenue may be a credit note).
    pub fn signed(field: &str, raw: pb::Money) -> Result<Self, FieldViolation> {
        let pb::Money {
            currency_code,
            units,
            nanos,
        } = raw;
        let currency_ok = currency_code.len() == 3 && currency_code.bytes().all(|b| b.is_ascii_uppercase());
        if !currency_ok {
            return Err(FieldViolation::new(
                format!("{field}.currency_code"),
                "must be an ISO 4217 code: three upper-case letters",
            ));
        }
        if !(-999_999_999..=999_999_999).contains(&nanos) {
            return Err(FieldViolation::new(
                format!("{field}.nanos"),
                "must be within ±999,999,999",
            ));
        }
        if !(-MAX_UNITS..=MAX_UNITS).contains(&units) {
            return Err(FieldViolation::new(
                format!("{field}.units"),
                "must be within ±1,000,000,000,000,000",
            ));
        }
        if (units > 0 && nanos < 0) || (units < 0 && nanos > 0) {
            return Err(FieldViolation::new(
                format!("{field}.nanos"),
                "must carry the sign of units",
            ));
        }
        Ok(Self {
            currency: currency_code,
            units,
            nanos,
        })
    }

    /// Billionths in total (`units` and `nanos` carry the same sign, so this is exact).
    pub fn total_nanos(&self) -> i128 {
        i128::from(self.units) * NANOS_PER_UNIT + i128::from(self.nanos)
    }

    /// The amount of `total` billionths; `None` when the units overflow `i64`.
    pub fn from_total_nanos(currency: &str, total: i128) -> Option<Self> {
        let units = i64::try_from(total / NANOS_PER_UNIT).ok()?;
        let nanos = (total % NANOS_PER_UNIT) as i32;
        Some(Self {
            currency: currency.to_owned(),
            units,
            nanos,
        })
    }

    /// The amount of `total` billionths, saturating at `i64` units: for sums only, which may exceed
    /// what one amount can carry (see the [module docs](self)).
    pub fn saturating(currency: &str, total: i128) -> Self {
        Self::from_total_nanos(currency, total).unwrap_or_else(|| Self {
            currency: currency.to_owned(),
            units: if total < 0 { i64::MIN } else { i64::MAX },
            nanos: 0,
        })
    }

    /// sum(amount × probability / 100), from that sum's hundredths of billionths (`sum(amount ×
    /// probability)` in billionths), rounded half away from zero to the billionth; saturating.
    pub fn weighted(currency: &str, hundredths: i128) -> Self {
        Self::saturating(currency, div_round_half_away(hundredths, 100))
    }

    pub fn to_proto(&self) -> pb::Money {
        pb::Money {
            currency_code: self.currency.clone(),
            units: self.units,
            nanos: self.nanos,
        }
    }
}

fn div_round_half_away(value: i128, divisor: i128) -> i128 {
    let half = divisor / 2;
    if value >= 0 {
        (value + half) / divisor
    } else {
        (value - half) / divisor
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn wire(currency: &str, units: i64, nanos: i32) -> pb::Money {
        pb::Money {
            currency_code: currency.into(),
            units,
            nanos,
        }
    }

    #[test]
    fn only_well_formed_non_negative_amounts_are_accepted() {
        assert!(Money::non_negative("amount", wire("EUR", 12, 500_000_000)).is_ok());
        for (bad, field) in [
            (wire("eur", 1, 0), "amount.currency_code"),
            (wire("EURO", 1, 0), "amount.currency_code"),
            (wire("EUR", 1, 1_000_000_000), "amount.nanos"),
            (wire("EUR", -1, 0), "amount"),
            (wire("EUR", 0, -5), "amount"),
        ] {
            assert_eq!(Money::non_negative("amount", bad).unwrap_err().field, field);
        }
    }

    #[test]
    fn units_are_bounded_either_way() {
        assert!(Money::signed("amount", wire("EUR", MAX_UNITS, 999_999_999)).is_ok());
        assert!(Money::signed("amount", wire("EUR", -MAX_UNITS, -999_999_999)).is_ok());
        for units in [MAX_UNITS + 1, -MAX_UNITS - 1, i64::MAX, i64::MIN] {
            let err = Money::signed("amount", wire("EUR", units, 0)).unwrap_err();
            assert_eq!(err.field, "amount.units");
        }
    }

    #[test]
    fn sums_carry_billionths_into_units() {
        let sum = Money::saturating("EUR", total_of_sums(0, 3, 2_500_000_000));
        assert_eq!((sum.units, sum.nanos), (5, 500_000_000));
        let sum = Money::saturating("EUR", total_of_sums(2, 3, 0));
        assert_eq!((sum.units, sum.nanos), (2_000_000_003, 0));
    }

    #[test]
    fn sums_beyond_i64_units_saturate() {
        let max = i128::from(i64::MAX) * NANOS_PER_UNIT;
        assert_eq!(Money::saturating("EUR", max * 2).units, i64::MAX);
        assert_eq!(Money::saturating("EUR", -max * 2).units, i64::MIN);
        assert_eq!(Money::weighted("EUR", max * 200).units, i64::MAX);
    }

    #[test]
    fn weighted_amounts_are_exact_and_round_half_away_from_zero() {
        // 1234.50 × 60 % = 740.70
        let w = Money::weighted("EUR", total_of_sums(0, 1234 * 60, 500_000_000 * 60));
        assert_eq!((w.units, w.nanos), (740, 700_000_000));
        // 0.000000001 × 50 % = 0.0000000005 → rounds to 0.000000001
        let w = Money::weighted("EUR", total_of_sums(0, 0, 50));
        assert_eq!((w.units, w.nanos), (0, 1));
    }

    proptest! {
        #[test]
        fn total_nanos_round_trips(units in 0i64..1_000_000_000_000, nanos in 0i32..1_000_000_000) {
            let money = Money { currency: "USD".into(), units, nanos };
            prop_assert_eq!(Money::from_total_nanos("USD", money.total_nanos()), Some(money));
        }

        #[test]
        fn weighting_by_100_percent_is_the_amount(units in -MAX_UNITS..=MAX_UNITS, nanos in 0i32..1_000_000_000) {
            let nanos = if units < 0 { -nanos } else { nanos };
            let money = Money { currency: "USD".into(), units, nanos };
            let weighted = Money::weighted("USD", money.total_nanos() * 100);
            prop_assert_eq!(weighted, money);
        }

        /// What `sum_columns` computes in SQL, per row, summed back by `total_of_sums`: exact for every
        /// stored amount, however extreme.
        #[test]
        fn split_sums_are_exact(rows in proptest::collection::vec((any::<i64>(), -999_999_999i64..=999_999_999, 0i64..=100), 0..50)) {
            let split = i64::try_from(UNITS_SPLIT).unwrap();
            let (mut high, mut low, mut nanos, mut exact) = (0i64, 0i64, 0i64, 0i128);
            for (units, row_nanos, factor) in rows {
                high += (units / split) * factor;
                low += (units % split) * factor;
                nanos += row_nanos * factor;
                exact += (i128::from(units) * NANOS_PER_UNIT + i128::from(row_nanos)) * i128::from(factor);
            }
            prop_assert_eq!(total_of_sums(high, low, nanos), exact);
        }
    }
}
