//! RFC 3339 timestamps (`ts`) to and from Unix milliseconds, exactly (proleptic Gregorian,
//! offsets; fractions beyond a millisecond truncated), from 1970 to year 9999.

use super::MAX_AT_MS;

pub(super) const TS_FORMAT_HELP: &str = "write e.g. `2026-11-21T19:29:21.984Z` or `2026-11-21T21:29:21.984+02:00`";

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
pub(super) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub(super) fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(super) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an RFC 3339 timestamp (`2026-11-21T19:29:21.984Z`, `…+02:00`) to Unix milliseconds.
/// Fractions beyond milliseconds are truncated; `t`, `z` and a space separator are accepted;
/// a leap second `:60` counts as the next second. Times before 1970 or after year 9999 are errors.
pub fn parse_rfc3339_ms(s: &str) -> Result<u64, String> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |acc, d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize| b.get(i).copied();
    let shape = || format!("`{s}` is not an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.fff]` then `Z` or `±HH:MM`)");
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
    else {
        return Err(shape());
    };
    if at(4) != Some(b'-')
        || at(7) != Some(b'-')
        || !matches!(at(10), Some(b'T' | b't' | b' '))
        || at(13) != Some(b':')
        || at(16) != Some(b':')
    {
        return Err(shape());
    }
    let mut i = 19;
    let mut millis = 0i64;
    if at(i) == Some(b'.') {
        i += 1;
        let start = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + at(i).map_or(0, |c| i64::from(c - b'0'));
            }
            i += 1;
        }
        if i == start {
            return Err(shape());
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_min = match at(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else { return Err(shape()) };
            if at(i + 3) != Some(b':') {
                return Err(shape());
            }
            if oh > 23 || om > 59 {
                return Err(format!("`{s}` has an out-of-range UTC offset"));
            }
            i += 6;
            if sign == b'-' { -(oh * 60 + om) } else { oh * 60 + om }
        }
        _ => return Err(format!("`{s}` has no time zone: end it with `Z` (UTC) or an offset such as `+02:00`")),
    };
    if i != b.len() {
        return Err(shape());
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("`{s}` is not a calendar date"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("`{s}` is not a time of day"));
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    let ms = secs * 1000 + millis;
    if ms < 0 {
        return Err(format!("`{s}` is before 1970-01-01T00:00:00Z (Unix time 0)"));
    }
    match u64::try_from(ms) {
        Ok(ms) if ms <= MAX_AT_MS => Ok(ms),
        _ => Err(format!("`{s}` is after year 9999")),
    }
}

/// Formats Unix milliseconds as RFC 3339 UTC with milliseconds: `2026-11-21T19:29:21.984Z`.
pub fn format_rfc3339_ms(at_ms: u64) -> String {
    let ms = i64::try_from(at_ms).unwrap_or(i64::MAX);
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1000, rem % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}
