//! Byte sizes as people write and read them (`16G` on the command line, `16.0
//! GiB` in messages), below every other module: spec's limits, data's
//! allocation errors and the runner's memory messages share them.

/// Bytes in binary units with one decimal: `16.0 GiB`.
pub fn bytes_text(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} bytes") } else { format!("{value:.1} {}", units[unit]) }
}

/// A size such as `16G`, `512M`, `1.5T` or `1048576` (bytes); the units are
/// binary (K = 1024) and may be written `G`, `GB` or `GiB`.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_uppercase().trim_end_matches('B').trim_end_matches('I') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => {
            return Err(format!(
                "`{text}` is not a size: write a number of bytes, or a number with K, M, G or T (binary units), such as 32G"
            ));
        }
    };
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * ((1u64 << shift) as f64) < u64::MAX as f64 => {
            Ok((v * (1u64 << shift) as f64) as u64)
        }
        _ => Err(format!(
            "`{text}` is not a size: write a number of bytes, or a number with K, M, G or T (binary units), such as 32G"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("16G"), Ok(16 << 30));
        assert_eq!(parse_size("16GiB"), Ok(16 << 30));
        assert_eq!(parse_size("512 MB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5t"), Ok(3 << 39));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "G", "12X", "-1G", "1e3G", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bytes_are_written_in_binary_units() {
        assert_eq!(bytes_text(100), "100 bytes");
        assert_eq!(bytes_text(16 << 30), "16.0 GiB");
        assert_eq!(bytes_text(1536 << 20), "1.5 GiB");
    }
}
