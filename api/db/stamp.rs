//! Timestamps read without chrono's format parser, for pages that read many.
//!
//! SQLite stores a timestamp as text, and diesel parses each with chrono's `parse_from_str`,
//! which reads the format string again for every value: about a sixth of a catalog page's
//! time on SQLite went there. [`Stamp`] reads the text diesel writes (`YYYY-MM-DD HH:MM:SS`
//! with an optional fraction) by position, and falls back to chrono for anything else.
//! PostgreSQL sends timestamps as binary, read as diesel reads them.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::{
    deserialize::{self, FromSql, FromSqlRow},
    pg::Pg,
    sql_types::{Text, Timestamp},
    sqlite::Sqlite,
};

use super::DbConnection;

type Backend = <DbConnection as diesel::Connection>::Backend;

/// A timestamp column's value (`#[diesel(deserialize_as = Stamp)]` on a `NaiveDateTime` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct Stamp(pub NaiveDateTime);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> NaiveDateTime {
        stamp.0
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(value: <Sqlite as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        parse(&text).map(Stamp).ok_or_else(|| format!("invalid timestamp `{text}`").into())
    }
}

impl FromSql<Timestamp, Backend> for Stamp {
    fn from_sql(value: <Backend as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]` by position; other forms SQLite may hold, through chrono.
fn parse(text: &str) -> Option<NaiveDateTime> {
    by_position(text.as_bytes()).or_else(|| {
        ["%F %T%.f", "%FT%T%.f", "%F %T%.f%:z", "%FT%T%.f%:z"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    })
}

fn by_position(bytes: &[u8]) -> Option<NaiveDateTime> {
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b' ' {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range]
            .iter()
            .try_fold(0u32, |sum, &b| b.is_ascii_digit().then(|| sum * 10 + u32::from(b - b'0')))
    };
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let value = number(20..bytes.len())?;
            value * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)?;
    let time = NaiveTime::from_hms_nano_opt(number(11..13)?, number(14..16)?, number(17..19)?, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap()
    }

    #[test]
    fn reads_what_diesel_writes_as_chrono_does() {
        for text in [
            "2026-11-30 01:02:03",
            "2026-11-30 01:02:03.5",
            "2026-11-30 01:02:03.123456",
            "2026-11-30 23:59:59.123456789",
            "1999-01-01 00:00:00.000001",
        ] {
            assert_eq!(by_position(text.as_bytes()), Some(chrono(text)), "{text}");
            assert_eq!(parse(text), Some(chrono(text)), "{text}");
        }
    }

    #[test]
    fn other_forms_go_through_chrono() {
        assert_eq!(by_position(b"2026-11-30T01:02:03"), None);
        assert_eq!(parse("2026-11-30T01:02:03"), Some(chrono("2026-11-30 01:02:03")));
    }

    #[test]
    fn nonsense_is_refused() {
        for text in [
            "",
            "2026-11-30",
            "2026-13-30 01:02:03",
            "2026-11-30 25:00:00",
            "2026-11-30 01:02:03.",
            "20x6-11-30 01:02:03",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
