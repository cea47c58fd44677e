//! Time as the database stores it: whole seconds since the Unix epoch, portable across SQLite and PostgreSQL.

use std::time::{SystemTime, UNIX_EPOCH};

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The UTC day of `ts`, counted from 1970-01-01 (day 0).
pub fn day(ts: i64) -> i64 {
    ts.div_euclid(DAY)
}

/// "22 Nov" for the day number `day` (chart axes).
pub fn format_day(day: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(day * DAY) {
        Ok(t) => {
            let fmt = time::macros::format_description!("[day padding:none] [month repr:short]");
            t.format(&fmt).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// "22 November 2026" for pages; UTC.
pub fn format_date(ts: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => {
            let fmt =
                time::macros::format_description!("[day padding:none] [month repr:long] [year]");
            t.format(&fmt).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// "2026-11-22 14:05 UTC", for the exact time behind a relative one.
pub fn format_time(ts: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
            t.format(&fmt).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// "just now", "5 minutes ago", "3 days ago", then the date.
/// "40 seconds", "1 minute", "12 minutes": a wait, rounded up to whole minutes past one.
pub fn duration_words(secs: i64) -> String {
    let secs = secs.max(1);
    if secs < MINUTE {
        return format!("{secs} second{}", if secs == 1 { "" } else { "s" });
    }
    let minutes = (secs + MINUTE - 1) / MINUTE;
    format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

pub fn ago(ts: i64, now: i64) -> String {
    let d = (now - ts).max(0);
    let unit = |n: i64, what: &str| format!("{n} {what}{} ago", if n == 1 { "" } else { "s" });
    match d {
        d if d < MINUTE => "just now".into(),
        d if d < HOUR => unit(d / MINUTE, "minute"),
        d if d < DAY => unit(d / HOUR, "hour"),
        d if d < 30 * DAY => unit(d / DAY, "day"),
        _ => format_date(ts),
    }
}
