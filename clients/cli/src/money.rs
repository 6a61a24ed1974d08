//! Money on the command line: `1234.50 EUR` in, the same out, exact to the nano and never a float.
//!
//! A kam.v1 `Money` is `units + nanos / 1e9` in one currency. kamctl works with the amount as a whole
//! number of nanos (an `i128`, which holds every `Money` and any sum of a few billion of them), so
//! parsing, adding and printing are integer arithmetic.

use std::collections::BTreeMap;

use kam_proto::v1::{CurrencyAmount, Money};

const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// Parses `AMOUNT CURRENCY` (or `CURRENCY AMOUNT`): a decimal number with at most 9 decimals and an
/// optional leading `-`, and a three-letter ISO 4217 code in any case, e.g. `1234.50 EUR`,
/// `eur 0.5`. No thousands separators, no exponent: what is typed is exactly what is sent.
pub fn parse_money(text: &str) -> Result<Money, String> {
    let invalid = |why: &str| {
        format!("`{text}` is not an amount of money ({why}); expected AMOUNT CURRENCY such as `1234.50 EUR`")
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let (number, currency) = match words[..] {
        [first, second] if is_currency(second) => (first, second),
        [first, second] if is_currency(first) => (second, first),
        [_, _] => return Err(invalid("no three-letter currency code")),
        _ => return Err(invalid("give a number and a currency code")),
    };
    let (negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || digits.ends_with('.') {
        return Err(invalid("not a decimal number"));
    }
    if fraction.len() > 9 {
        return Err(invalid("more than 9 decimals"));
    }
    let units: i64 = whole.parse().map_err(|_| invalid("too large"))?;
    // Right-padded to nine digits: ".5" is 500000000 nanos.
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}")
            .parse()
            .map_err(|_| invalid("not a decimal number"))?
    };
    let sign = if negative { -1 } else { 1 };
    Ok(Money {
        currency_code: currency.to_ascii_uppercase(),
        units: sign * units,
        nanos: sign as i32 * nanos,
    })
}

/// Whether `word` is a three-letter currency code, in any case.
pub fn is_currency(word: &str) -> bool {
    word.len() == 3 && word.bytes().all(|b| b.is_ascii_alphabetic())
}

/// The amount of `money` in nanos. Exact for every `Money`, even one whose `units` and `nanos`
/// disagree in sign or whose `nanos` is out of range: the value is their sum either way.
pub fn total_nanos(money: &Money) -> i128 {
    i128::from(money.units) * NANOS_PER_UNIT + i128::from(money.nanos)
}

/// `1234.50 EUR`: at least two decimals, more when the amount has them (never rounded), then the
/// currency code. The form `parse_money` reads.
pub fn format_money(money: &Money) -> String {
    format_nanos(total_nanos(money), &money.currency_code)
}

/// [`format_money`] of an optional amount; "" when there is none.
pub fn format_optional(money: Option<&Money>) -> String {
    money.map(format_money).unwrap_or_default()
}

/// `nanos` billionths of a unit of `currency`, as [`format_money`] prints them.
pub fn format_nanos(nanos: i128, currency: &str) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    let whole = magnitude / NANOS_PER_UNIT as u128;
    let fraction = format!("{:09}", magnitude % NANOS_PER_UNIT as u128);
    let fraction = fraction.trim_end_matches('0');
    let number = format!("{sign}{whole}.{fraction:0<2}");
    if currency.is_empty() {
        number
    } else {
        format!("{number} {currency}")
    }
}

/// One line per currency: `1234.50 EUR`; "" for none.
pub fn format_amounts(amounts: &[CurrencyAmount]) -> Vec<String> {
    amounts
        .iter()
        .map(|amount| match &amount.amount {
            Some(money) => format_nanos(total_nanos(money), currency_of(amount)),
            None => format_nanos(0, currency_of(amount)),
        })
        .collect()
}

/// The currency of a per-currency sum: its `currency_code`, else its amount's.
fn currency_of(amount: &CurrencyAmount) -> &str {
    if amount.currency_code.is_empty() {
        amount
            .amount
            .as_ref()
            .map_or("", |money| money.currency_code.as_str())
    } else {
        &amount.currency_code
    }
}

/// Sums per-currency amounts from several lists (e.g. the open stages of a funnel), keyed by
/// currency code in order, as (count, nanos).
pub fn sum_by_currency<'a>(
    lists: impl IntoIterator<Item = &'a [CurrencyAmount]>,
) -> BTreeMap<String, (i64, i128)> {
    let mut sums: BTreeMap<String, (i64, i128)> = BTreeMap::new();
    for amount in lists.into_iter().flatten() {
        let sum = sums.entry(currency_of(amount).to_owned()).or_default();
        sum.0 += amount.count;
        sum.1 += amount.amount.as_ref().map_or(0, total_nanos);
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(currency_code: &str, units: i64, nanos: i32) -> Money {
        Money {
            currency_code: currency_code.into(),
            units,
            nanos,
        }
    }

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_money("1234.50 EUR"), Ok(money("EUR", 1234, 500_000_000)));
        assert_eq!(
            parse_money("  1234.5   eur "),
            Ok(money("EUR", 1234, 500_000_000))
        );
        assert_eq!(parse_money("USD 0.01"), Ok(money("USD", 0, 10_000_000)));
        assert_eq!(parse_money("1000 CNY"), Ok(money("CNY", 1000, 0)));
        assert_eq!(parse_money("0.000000001 JPY"), Ok(money("JPY", 0, 1)));
        assert_eq!(parse_money("0.123456789 EUR"), Ok(money("EUR", 0, 123_456_789)));
        assert_eq!(
            parse_money("9223372036854775807.999999999 EUR"),
            Ok(money("EUR", i64::MAX, 999_999_999))
        );
        // The sign goes on both parts, as Money requires.
        assert_eq!(parse_money("-12.25 EUR"), Ok(money("EUR", -12, -250_000_000)));
        assert_eq!(parse_money("-0.5 EUR"), Ok(money("EUR", 0, -500_000_000)));
        // A float would make this 0.30000000000000004.
        assert_eq!(parse_money("0.3 EUR"), Ok(money("EUR", 0, 300_000_000)));
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for text in [
            "",
            "1234.50",
            "EUR",
            "1234.50 EURO",
            "1234.50 E1R",
            "1,234.50 EUR",
            "1234,50 EUR",
            ".5 EUR",
            "5. EUR",
            "+5 EUR",
            "1e3 EUR",
            "0.1234567891 EUR",
            "9223372036854775808 EUR",
            "1 2 EUR",
            "EUR USD",
            "- EUR",
            "--1 EUR",
        ] {
            assert!(parse_money(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn amounts_print_with_at_least_two_decimals_and_never_round() {
        assert_eq!(format_money(&money("EUR", 1234, 500_000_000)), "1234.50 EUR");
        assert_eq!(format_money(&money("EUR", 1234, 0)), "1234.00 EUR");
        assert_eq!(format_money(&money("JPY", 0, 1)), "0.000000001 JPY");
        assert_eq!(format_money(&money("EUR", 0, 123_456_789)), "0.123456789 EUR");
        assert_eq!(format_money(&money("EUR", -12, -250_000_000)), "-12.25 EUR");
        assert_eq!(format_money(&money("EUR", 0, -500_000_000)), "-0.50 EUR");
        assert_eq!(
            format_money(&money("EUR", i64::MIN, -999_999_999)),
            "-9223372036854775808.999999999 EUR"
        );
        assert_eq!(format_money(&money("", 3, 0)), "3.00");
        assert_eq!(format_optional(None), "");
    }

    #[test]
    fn printing_and_parsing_round_trip() {
        for text in ["1234.50 EUR", "0.000000001 JPY", "-7.125 USD", "0.00 CNY"] {
            assert_eq!(format_money(&parse_money(text).unwrap()), text);
        }
    }

    #[test]
    fn a_money_with_mixed_signs_is_still_its_sum() {
        // Not valid Money, but what it means is clear: 2 - 0.25.
        assert_eq!(format_money(&money("EUR", 2, -250_000_000)), "1.75 EUR");
    }

    #[test]
    fn per_currency_sums_add_exactly() {
        let amount = |currency: &str, count, units, nanos| CurrencyAmount {
            currency_code: currency.into(),
            count,
            amount: Some(money(currency, units, nanos)),
        };
        let first = [amount("EUR", 2, 0, 700_000_000), amount("USD", 1, 5, 0)];
        let second = [amount("EUR", 1, 1, 600_000_000)];
        let sums = sum_by_currency([&first[..], &second[..]]);
        assert_eq!(sums["EUR"], (3, 2_300_000_000));
        assert_eq!(sums["USD"], (1, 5_000_000_000));
        assert_eq!(sums.keys().collect::<Vec<_>>(), ["EUR", "USD"]);
        assert_eq!(format_amounts(&first), ["0.70 EUR", "5.00 USD"]);
    }
}
