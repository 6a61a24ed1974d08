//! Amounts from ERP files, exact: a decimal string such as `1234.50` or `-20.125` becomes the `units`
//! and `nanos` of a kam.v1 `Money` by integer arithmetic, never through a float.

/// Billionths in one unit: `Money.nanos` has nine decimal places.
const NANO_DIGITS: usize = 9;

/// Parses a decimal amount: an optional sign, digits, and optionally a point followed by digits, e.g.
/// `1234.50`, `-20.125`, `+7`, `0.000000001`. Returns `(units, nanos)` with the same sign, as `Money`
/// wants them.
///
/// Refused, because each is ambiguous or inexact in some ERP's export: thousands separators and decimal
/// commas (`1.234,50` means different things in different locales), exponents, a bare point (`.5`,
/// `5.`), and more than nine decimals unless the extra ones are zeros.
pub fn parse_amount(text: &str) -> Result<(i64, i32), String> {
    let invalid = |why: &str| format!("`{text}` is not a decimal amount ({why})");
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|fraction| !all_digits(fraction)) {
        return Err(invalid(
            "write digits with a point for decimals and no thousands separators, e.g. 1234.50",
        ));
    }
    let fraction = fraction.unwrap_or("");
    let (kept, dropped) = fraction.split_at(fraction.len().min(NANO_DIGITS));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(invalid("more than 9 decimals"));
    }
    let units: i64 = whole.parse().map_err(|_| invalid("too large"))?;
    // Right-padded to nine digits: ".5" is 500000000 nanos. Nine digits always fit an i32.
    let nanos: i32 = format!("{kept:0<NANO_DIGITS$}")
        .parse()
        .expect("nine decimal digits fit an i32");
    Ok(if negative {
        (-units, -nanos)
    } else {
        (units, nanos)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_amount("1234.50"), Ok((1234, 500_000_000)));
        assert_eq!(parse_amount("-20.125"), Ok((-20, -125_000_000)));
        assert_eq!(parse_amount("+7"), Ok((7, 0)));
        assert_eq!(parse_amount("0"), Ok((0, 0)));
        assert_eq!(parse_amount("-0.5"), Ok((0, -500_000_000)));
        assert_eq!(parse_amount("0.000000001"), Ok((0, 1)));
        assert_eq!(parse_amount("-0.999999999"), Ok((0, -999_999_999)));
        assert_eq!(parse_amount("007.10"), Ok((7, 100_000_000)));
        assert_eq!(
            parse_amount("9223372036854775807.999999999"),
            Ok((i64::MAX, 999_999_999))
        );
    }

    #[test]
    fn zeros_past_the_ninth_decimal_are_exact_and_allowed() {
        assert_eq!(parse_amount("1.1000000000000"), Ok((1, 100_000_000)));
        let err = parse_amount("1.0000000001").unwrap_err();
        assert!(err.contains("more than 9 decimals"), "{err}");
    }

    #[test]
    fn ambiguous_or_malformed_amounts_are_refused() {
        for text in [
            "", "-", "+", ".5", "5.", "1,234.50", "1.234,50", "12,5", "1e3", "1 000", " 1", "1.2.3", "--1",
            "-+1", "EUR 5", "5 EUR", "NaN", "inf", "0x10", "١٢٣",
        ] {
            let err = parse_amount(text).unwrap_err();
            assert!(err.contains("is not a decimal amount"), "{text:?}: {err}");
        }
    }

    #[test]
    fn amounts_beyond_money_are_refused() {
        let err = parse_amount("9223372036854775808").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert!(parse_amount("-9223372036854775808").is_err());
    }
}
