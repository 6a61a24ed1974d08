//! Exact money (the semantics of `google.type.Money`): a currency, whole units and billionths with the
//! same sign. Sums and weighted sums are done in `i128` billionths, never in floating point.

use kam_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::FieldViolation;

pub const NANOS_PER_UNIT: i128 = 1_000_000_000;

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

    /// From the sums a query returns: `sum(units)` and `sum(nanos)` (each carries into the other).
    pub fn from_sums(currency: &str, units: i64, nanos: i64) -> Option<Self> {
        Self::from_total_nanos(currency, i128::from(units) * NANOS_PER_UNIT + i128::from(nanos))
    }

    /// sum(amount × probability / 100), from `sum(units × probability)` and `sum(nanos × probability)`,
    /// rounded half away from zero to the billionth.
    pub fn weighted_from_sums(
        currency: &str,
        units_times_percent: i64,
        nanos_times_percent: i64,
    ) -> Option<Self> {
        let hundredths = i128::from(units_times_percent) * NANOS_PER_UNIT + i128::from(nanos_times_percent);
        Self::from_total_nanos(currency, div_round_half_away(hundredths, 100))
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
    fn sums_carry_billionths_into_units() {
        let sum = Money::from_sums("EUR", 3, 2_500_000_000).unwrap();
        assert_eq!((sum.units, sum.nanos), (5, 500_000_000));
    }

    #[test]
    fn weighted_amounts_are_exact_and_round_half_away_from_zero() {
        // 1234.50 × 60 % = 740.70
        let w = Money::weighted_from_sums("EUR", 1234 * 60, 500_000_000 * 60).unwrap();
        assert_eq!((w.units, w.nanos), (740, 700_000_000));
        // 0.000000001 × 50 % = 0.0000000005 → rounds to 0.000000001
        let w = Money::weighted_from_sums("EUR", 0, 50).unwrap();
        assert_eq!((w.units, w.nanos), (0, 1));
    }

    proptest! {
        #[test]
        fn total_nanos_round_trips(units in 0i64..1_000_000_000_000, nanos in 0i32..1_000_000_000) {
            let money = Money { currency: "USD".into(), units, nanos };
            prop_assert_eq!(Money::from_total_nanos("USD", money.total_nanos()), Some(money));
        }

        #[test]
        fn weighting_by_100_percent_is_the_amount(units in 0i64..1_000_000_000, nanos in 0i32..1_000_000_000) {
            let weighted = Money::weighted_from_sums("USD", units * 100, i64::from(nanos) * 100).unwrap();
            prop_assert_eq!((weighted.units, weighted.nanos), (units, nanos));
        }
    }
}
