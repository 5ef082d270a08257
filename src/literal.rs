//! Decimal number literals that an f64 cannot hold.
//!
//! Parsing `1e400` gives infinity and `1e-400` gives 0 without complaint, so a
//! typo of an exponent silently becomes a different model: an infinite
//! coefficient fails every run later with a message about the data, and a
//! vanishing one is a zero the author did not write. Experiment files (YAML
//! numbers) and equations (the scm lexer) both refuse such literals through
//! `parse_decimal`, so the two agree on what is representable.

use thiserror::Error;

/// Why a literal cannot be represented.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LiteralError {
    #[error("`{0}` is too large to represent: numbers go up to about ±1.8e308")]
    TooLarge(String),
    #[error(
        "`{0}` is too small to represent (the smallest nonzero number is about 4.9e-324); write 0 if you mean zero"
    )]
    TooSmall(String),
}

/// The value of a decimal literal (`12`, `-0.5`, `2.5e-3`, `.5`), refusing one
/// that overflows to infinity or that is nonzero but rounds to zero. A number
/// smaller than the smallest normal (about 2.2e-308) keeps fewer digits but is
/// kept: it is still the nonzero number written. `None` for text that is not a
/// decimal literal.
pub fn parse_decimal(text: &str) -> Option<Result<f64, LiteralError>> {
    if !is_decimal(text) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    Some(if value.is_infinite() {
        Err(LiteralError::TooLarge(text.to_string()))
    } else if value == 0.0 && mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        Err(LiteralError::TooSmall(text.to_string()))
    } else {
        Ok(value)
    })
}

/// An optional sign, digits with at most one `.` (at least one digit), and an
/// optional exponent of digits with an optional sign.
fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let digits_and_point = mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let points = mantissa.bytes().filter(|&b| b == b'.').count();
    let mantissa_ok = digits_and_point && points <= 1 && mantissa.bytes().any(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_literals_parse() {
        for (text, value) in
            [("12", 12.0), ("-0.5", -0.5), ("2.5e-3", 2.5e-3), (".5", 0.5), ("1E+2", 100.0), ("0", 0.0)]
        {
            assert_eq!(parse_decimal(text), Some(Ok(value)), "{text}");
        }
        // Zero written with an exponent is zero, and a subnormal is kept.
        assert_eq!(parse_decimal("0.000e-999"), Some(Ok(0.0)));
        assert!(parse_decimal("1e-310").unwrap().unwrap() > 0.0);
        assert_eq!(parse_decimal("1.7976931348623157e308"), Some(Ok(f64::MAX)));
    }

    #[test]
    fn overflow_and_underflow_are_refused() {
        assert_eq!(parse_decimal("1e400"), Some(Err(LiteralError::TooLarge("1e400".into()))));
        assert_eq!(parse_decimal("-1e400"), Some(Err(LiteralError::TooLarge("-1e400".into()))));
        assert_eq!(parse_decimal("1e-400"), Some(Err(LiteralError::TooSmall("1e-400".into()))));
        assert_eq!(parse_decimal("0.0001e-330"), Some(Err(LiteralError::TooSmall("0.0001e-330".into()))));
    }

    #[test]
    fn other_text_is_not_a_literal() {
        for text in ["", ".", "e5", "1e", "1.2.3", "inf", ".inf", "NaN", "1_000", "0x10", "abc", "1e+"] {
            assert_eq!(parse_decimal(text), None, "{text}");
        }
    }
}
