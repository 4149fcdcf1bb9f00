//! HTTP dates, parsed as leniently as Python's `email.utils.parsedate_tz`, which urllib3
//! uses: RFC 7231's three formats but also `Mon, 3 Jun 2019 12:00:00 UTC`, numeric zones,
//! and the other shapes of old mail dates. A strict RFC 7231 parser would reject some of these.

use crate::error::{Error, ErrorKind, Result};

// Python's table: abbreviations then full names; the index modulo 12 is the month.
#[rustfmt::skip]
const MONTHS: [&str; 24] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONES: [(&str, i64); 14] = [
    ("UT", 0),
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("AST", -400),
    ("ADT", -300),
    ("EST", -500),
    ("EDT", -400),
    ("CST", -600),
    ("CDT", -500),
    ("MST", -700),
    ("MDT", -600),
    ("PST", -800),
    ("PDT", -700),
];

/// Seconds since the epoch, `Ok(None)` if `value` is not a date; `Err` (Python's
/// `ValueError` from `calendar.timegm`) for a year outside 1–9999.
pub(super) fn parse(value: &str) -> Result<Option<i128>> {
    let Some([year, month, day, hour, minute, second, offset]) = fields(value) else {
        return Ok(None);
    };
    if !(1..=9999).contains(&year) {
        let msg = format!("year {year} is out of range");
        return Err(Error::new(ErrorKind::InvalidArgument, msg));
    }
    // Like `calendar.timegm`, out-of-range days and times roll over instead of failing.
    let days = i128::from(days_from_civil(year, month)) + i128::from(day) - 1;
    let secs = ((days * 24 + i128::from(hour)) * 60 + i128::from(minute)) * 60;
    Ok(Some(secs + i128::from(second) - i128::from(offset)))
}

/// `_parsedate_tz`: year, month, day, hour, minute, second and zone offset in seconds.
fn fields(value: &str) -> Option<[i64; 7]> {
    let mut words: Vec<String> = value.split_whitespace().map(str::to_owned).collect();
    let first = words.first()?.clone();
    // The day name is optional, and so is the space after its comma.
    if first.ends_with(',') || DAYS.contains(&first.to_lowercase().as_str()) {
        words.remove(0);
    } else if let Some(i) = first.rfind(',') {
        words[0] = first[i + 1..].to_owned();
    }
    // RFC 850: `03-Jun-19 11:30:12 GMT`.
    if words.len() == 3 {
        let parts: Vec<String> = words[0].split('-').map(str::to_owned).collect();
        if parts.len() == 3 {
            words.splice(0..1, parts);
        }
    }
    if words.len() == 4 {
        split_zone_off_time(&mut words);
    }
    if words.len() < 5 {
        return None;
    }
    words.truncate(5);
    let [dd, mm, yy, tm, tz]: [String; 5] = words.try_into().ok()?;
    date_fields(dd, mm, yy, tm, tz)
}

/// `11:30:12+0100` → `11:30:12`, `+0100`; with no zone a blank one is added.
fn split_zone_off_time(words: &mut Vec<String>) {
    let last = words[3].clone();
    match last.find('+').or_else(|| last.find('-')) {
        Some(i) if i > 0 => {
            words.splice(3..4, [last[..i].to_owned(), last[i..].to_owned()]);
        }
        _ => words.push(String::new()),
    }
}

/// The field shuffling of `_parsedate_tz`: day and month, year and time may be swapped.
fn date_fields(dd: String, mm: String, yy: String, tm: String, tz: String) -> Option<[i64; 7]> {
    if dd.is_empty() || mm.is_empty() || yy.is_empty() {
        return None;
    }
    let (mut dd, mut mm) = (dd, mm.to_lowercase());
    if !MONTHS.contains(&mm.as_str()) {
        (dd, mm) = (mm, dd.to_lowercase());
    }
    let index = MONTHS.iter().position(|m| *m == mm)?;
    let month = i64::try_from(index % 12 + 1).ok()?;
    let dd = dd.strip_suffix(',').unwrap_or(&dd).to_owned();
    let (mut yy, mut tm, mut tz) = (yy, tm, tz);
    if yy.find(':').is_some_and(|i| i > 0) {
        (yy, tm) = (tm, yy);
    }
    if let Some(stripped) = yy.strip_suffix(',') {
        yy = stripped.to_owned();
    }
    if !yy.chars().next()?.is_ascii_digit() {
        (yy, tz) = (tz, yy);
    }
    let tm = tm.strip_suffix(',').unwrap_or(&tm);
    let [hour, minute, second] = time_fields(tm)?;
    let year = two_digit_year(py_int(&yy)?);
    let day = py_int(&dd)?;
    Some([year, month, day, hour, minute, second, zone_offset(&tz)])
}

/// `hh:mm[:ss]`, or the same with dots as some mailers write.
fn time_fields(tm: &str) -> Option<[i64; 3]> {
    let mut parts: Vec<&str> = tm.split(':').collect();
    if parts.len() == 1 && tm.contains('.') {
        parts = tm.split('.').collect();
    }
    match parts[..] {
        [h, m] => Some([py_int(h)?, py_int(m)?, 0]),
        [h, m, s] => Some([py_int(h)?, py_int(m)?, py_int(s)?]),
        _ => None,
    }
}

/// POSIX's reading of two-digit years: 69–99 are 19xx, the rest 20xx.
fn two_digit_year(yy: i64) -> i64 {
    match yy {
        69..=99 => yy + 1900,
        _ if yy < 100 => yy + 2000,
        _ => yy,
    }
}

/// Named or `±hhmm` zone to seconds east of UTC; unknown zones (and `-0000`) are UTC.
fn zone_offset(tz: &str) -> i64 {
    let tz = tz.to_uppercase();
    let hhmm = match ZONES.iter().find(|(name, _)| *name == tz) {
        Some((_, hhmm)) => *hhmm,
        None => py_int(&tz).unwrap_or(0),
    };
    let magnitude = u128::from(hhmm.unsigned_abs());
    let secs = i64::try_from(magnitude / 100 * 3600 + magnitude % 100 * 60).unwrap_or(i64::MAX);
    secs * hhmm.signum()
}

/// Python's `int(str)` for the common cases: surrounding space and a sign allowed.
fn py_int(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// Days from 1970-01-01 to the first of `month` in `year` (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
