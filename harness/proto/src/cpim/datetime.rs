//! The RFC 3339 `date-time` check behind the CPIM DateTime header (RFC 3862 §4.4), such as
//! `2025-03-01T10:00:00.000+08:00`.
//!
//! It checks syntax and field ranges (days per month, leap years, a leap second 60); it does not
//! convert to an instant or look the date up in a leap-second table.

/// Whether `value` is an RFC 3339 §5.6 `date-time` with a `Z` or numeric offset.
pub fn is_rfc3339(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't') {
        return false;
    }
    full_date(&b[..10]) && full_time(&b[11..])
}

/// `YYYY-MM-DD` with a day that exists in that month.
fn full_date(b: &[u8]) -> bool {
    if b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..]))
    else {
        return false;
    };
    (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day)
}

/// `HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`.
fn full_time(b: &[u8]) -> bool {
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let in_range = |s: &[u8], max| digits(s).is_some_and(|v| v <= max);
    if !(in_range(&b[..2], 23) && in_range(&b[3..5], 59) && in_range(&b[6..8], 60)) {
        return false;
    }
    let mut rest = &b[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            in_range(&[*h1, *h2], 23) && in_range(&[*m1, *m2], 59)
        }
        _ => false,
    }
}

/// A fixed-width run of ASCII digits as a number.
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_seen_in_5g_messaging() {
        for ok in [
            "2025-03-01T10:00:00.000+08:00",
            "2025-03-01T02:00:00Z",
            "2025-03-01t02:00:00z",
            "2024-02-29T23:59:60.5-05:30",
            "2000-02-29T00:00:00+00:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "",
            "2025-03-01",
            "2025-03-01 10:00:00+08:00",
            "2025-03-01T10:00:00",
            "2025-03-01T10:00:00+0800",
            "2025-03-01T10:00:00.+08:00",
            "2025-13-01T10:00:00Z",
            "2025-02-29T10:00:00Z",
            "1900-02-29T10:00:00Z",
            "2025-04-31T10:00:00Z",
            "2025-03-01T24:00:00Z",
            "2025-03-01T10:60:00Z",
            "2025-03-01T10:00:61Z",
            "2025-03-01T10:00:00+24:00",
            "Sat, 01 Mar 2025 10:00:00 +0800",
            "２025-03-01T10:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
