//! Multi-row statements on SQLite, written and bound straight from a batch's
//! rows. Diesel's own multi-row insert walks every row's columns to write
//! the statement and again to bind it, and a boxed raw query boxes each
//! value; for the hundreds of thousands of rows of an import either costs
//! more than SQLite's own work. Here each row pushes its values once, by
//! reference.

use diesel::QueryResult;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sqlite::Sqlite;

use super::ROWS_PER_INSERT;

/// Values bound in order, separated by commas.
pub struct Values<'p, 'a, 'b> {
    out: &'p mut AstPass<'a, 'b, Sqlite>,
    first: bool,
}

impl<'b> Values<'_, '_, 'b> {
    /// Binds the next value as SQL type `ST`.
    pub fn bind<ST, U>(&mut self, value: &'b U) -> QueryResult<&mut Self>
    where
        Sqlite: HasSqlType<ST>,
        U: ToSql<ST, Sqlite> + ?Sized,
    {
        if !self.first {
            self.out.push_sql(", ");
        }
        self.first = false;
        self.out.push_bind_param::<ST, U>(value)?;
        Ok(self)
    }
}

/// Something whose values a statement binds: a row, or the values every row
/// of a statement shares.
pub trait BindValues {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> QueryResult<()>;
}

/// `before` [shared values `between`] `(row), (row), …` `after`.
pub struct SqliteRows<'a, T> {
    before: &'a str,
    shared: Option<(&'a dyn BindValues, &'a str)>,
    rows: &'a [T],
    after: &'a str,
    /// Rows of a full statement, the one kind worth keeping prepared.
    full: usize,
}

impl<'a, T: BindValues> SqliteRows<'a, T> {
    /// `before (row), (row), … after`.
    pub fn new(before: &'a str, rows: &'a [T], after: &'a str) -> SqliteRows<'a, T> {
        SqliteRows {
            before,
            shared: None,
            rows,
            after,
            full: ROWS_PER_INSERT,
        }
    }

    /// For a caller whose full statements have `rows` rows rather than
    /// `ROWS_PER_INSERT`.
    pub fn full_at(mut self, rows: usize) -> SqliteRows<'a, T> {
        self.full = rows;
        self
    }

    /// `before shared-values between (row), … after`: what every row shares
    /// is bound once.
    pub fn sharing(mut self, shared: &'a dyn BindValues, between: &'a str) -> SqliteRows<'a, T> {
        self.shared = Some((shared, between));
        self
    }
}

impl<T: BindValues> QueryFragment<Sqlite> for SqliteRows<'_, T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // Full chunks share one prepared statement; a last, shorter chunk is
        // prepared for itself, so the cache holds one statement per kind.
        if self.rows.len() != self.full {
            out.unsafe_to_cache_prepared();
        }
        out.push_sql(self.before);
        if let Some((shared, between)) = self.shared {
            shared.bind_values(&mut Values {
                out: &mut out,
                first: true,
            })?;
            out.push_sql(between);
        }
        for (i, row) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            row.bind_values(&mut Values {
                out: &mut out,
                first: true,
            })?;
            out.push_sql(")");
        }
        out.push_sql(self.after);
        Ok(())
    }
}

impl<T> QueryId for SqliteRows<'_, T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T> diesel::RunQueryDsl<diesel::SqliteConnection> for SqliteRows<'_, T> {}

/// A time as a batch's SQLite statements bind it: the text Diesel writes for
/// a `Timestamp` (`%F %T%.f`), written without parsing a format string for
/// each of the hundreds of thousands of rows an import binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteTime(pub chrono::NaiveDateTime);

impl SqliteTime {
    fn text(&self) -> String {
        use chrono::{Datelike, Timelike};
        use std::fmt::Write;
        let (date, time) = (self.0.date(), self.0.time());
        if !(0..=9999).contains(&date.year()) {
            return self.0.format("%F %T%.f").to_string();
        }
        let mut text = String::with_capacity(29);
        let nanos = time.nanosecond() % 1_000_000_000;
        let _ = write!(
            text,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.year(),
            date.month(),
            date.day(),
            time.hour(),
            time.minute(),
            time.second() + time.nanosecond() / 1_000_000_000,
        );
        // `%.f`: no fraction, or 3, 6 or 9 digits, the fewest that hold it.
        let _ = if nanos == 0 {
            Ok(())
        } else if nanos % 1_000_000 == 0 {
            write!(text, ".{:03}", nanos / 1_000_000)
        } else if nanos % 1_000 == 0 {
            write!(text, ".{:06}", nanos / 1_000)
        } else {
            write!(text, ".{nanos:09}")
        };
        text
    }
}

impl ToSql<diesel::sql_types::Timestamp, Sqlite> for SqliteTime {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, Sqlite>,
    ) -> diesel::serialize::Result {
        out.set_value(self.text());
        Ok(diesel::serialize::IsNull::No)
    }
}

#[cfg(test)]
mod tests {
    use super::SqliteTime;

    #[test]
    fn a_time_is_written_as_diesel_writes_a_timestamp() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 8).expect("a date");
        for nanos in [
            0,
            5_000_000,
            123_000_000,
            26_490_000,
            1_000,
            999_999_000,
            7,
            123_456_789,
        ] {
            let at = day.and_hms_nano_opt(1, 2, 3, nanos).expect("a time");
            assert_eq!(
                SqliteTime(at).text(),
                at.format("%F %T%.f").to_string(),
                "{nanos}"
            );
        }
    }
}
