//! Fixed number formatting, so that tables are byte-stable across runs and
//! platforms (no shortest-representation surprises, no locale).

/// `v` with `decimals` digits after the point; `-0.000` is written `0.000`;
/// NaN and infinities are written as `nan`, `inf`, `-inf`.
pub fn fixed(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') { s[1..].to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn formats_fixed() {
        assert_eq!(fixed(1.23456789, 4), "1.2346");
        assert_eq!(fixed(-0.00001, 3), "0.000");
        assert_eq!(fixed(f64::NAN, 3), "nan");
        assert_eq!(fixed(-2.5, 1), "-2.5");
    }
}
