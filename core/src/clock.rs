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
