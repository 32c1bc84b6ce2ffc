//! Reads what a migrated database holds, table by table, in terms both
//! databases share: each column's type class, nullability, default and
//! primary-key part; each index's columns and uniqueness; each foreign key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use shelfsync::db::DbConnection;

use crate::common::Backend;

/// Every table of one database, by name.
pub type Schema = BTreeMap<String, Table>;

#[derive(Debug, Default)]
pub struct Table {
    pub columns: BTreeMap<String, Column>,
    /// Index descriptions by key: a named index (`CREATE INDEX`) by its name,
    /// an index behind a UNIQUE constraint by its columns (the two databases
    /// name those differently). Primary-key indexes are left out: the primary
    /// key is a column property.
    pub indexes: BTreeMap<String, String>,
    /// `merchant_id -> merchants.id on delete CASCADE`.
    pub foreign_keys: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub class: String,
    pub nullable: bool,
    /// The default, normalised (`false`, `0`, `''`, `now`, `auto-increment`).
    pub default: Option<String>,
    pub primary_key: bool,
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.class)?;
        if !self.nullable {
            write!(f, " not null")?;
        }
        if let Some(default) = &self.default {
            write!(f, " default {default}")?;
        }
        if self.primary_key {
            write!(f, " primary key")?;
        }
        Ok(())
    }
}

/// The class a declared column type belongs to: what the application can
/// store in it, whatever the database calls it. SQLite keeps the declared
/// name (`BOOLEAN`, `TIMESTAMP`); PostgreSQL reports its own (`boolean`,
/// `timestamp without time zone`).
pub fn type_class(declared: &str) -> String {
    let t = declared.to_lowercase();
    let class = if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.starts_with("timestamp") {
        if t.contains("with time zone") || t == "timestamptz" {
            "timestamptz"
        } else {
            "timestamp"
        }
    } else if t.starts_with("bool") {
        "bool"
    } else if t == "text" || t.starts_with("varchar") || t.contains("char") || t == "clob" {
        "text"
    } else if t == "date" {
        "date"
    } else if t == "real" || t.starts_with("double") || t.starts_with("float") {
        "float"
    } else if t.starts_with("numeric") || t.starts_with("decimal") {
        "numeric"
    } else if t == "blob" || t == "bytea" {
        "bytes"
    } else {
        return format!("unclassified type {declared:?}");
    };
    class.to_owned()
}

/// A default as both databases would agree on it: PostgreSQL's casts
/// (`''::text`) and SQLite's parentheses dropped, booleans as `true`/`false`
/// (SQLite stores them as 1/0), the current time as `now`.
fn normalise_default(class: &str, raw: &str) -> String {
    let mut value = raw.trim();
    while let Some(inner) = value.strip_prefix('(').and_then(|v| v.strip_suffix(')')) {
        value = inner.trim();
    }
    if value.starts_with("nextval(") {
        return "auto-increment".to_owned();
    }
    let value = match value.rsplit_once("::") {
        Some((literal, cast)) if cast.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') => {
            literal
        }
        _ => value,
    };
    let value = value.to_lowercase();
    match (class, value.as_str()) {
        ("bool", "0" | "false") => "false".to_owned(),
        ("bool", "1" | "true") => "true".to_owned(),
        (_, "current_timestamp" | "now()") => "now".to_owned(),
        _ => value,
    }
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
    #[diesel(sql_type = Nullable<Text>)]
    default_value: Option<String>,
    #[diesel(sql_type = Bool)]
    primary_key: bool,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    partial: bool,
    /// `pk` (primary key), `u` (UNIQUE constraint) or `c` (CREATE INDEX).
    #[diesel(sql_type = Text)]
    origin: String,
    /// Comma-separated, in index order; `(expression)` for an expression.
    #[diesel(sql_type = Text)]
    columns: String,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    from_columns: String,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Text)]
    to_columns: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

fn load<T: QueryableByName<shelfsync::db::DbBackend> + 'static>(
    conn: &mut DbConnection,
    sql: &str,
) -> Vec<T> {
    diesel::sql_query(sql)
        .load(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Reads every table of a migrated database.
pub fn read_schema(conn: &mut DbConnection, backend: Backend) -> Schema {
    let tables: Vec<NameRow> = match backend {
        // `sqlite_sequence` and the like are the engine's, not the migrations'.
        Backend::Sqlite => load(
            conn,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        ),
        Backend::Postgres => load(
            conn,
            "SELECT c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
        ),
    };
    tables
        .into_iter()
        .map(|NameRow { name }| {
            let table = read_table(conn, backend, &name);
            (name, table)
        })
        .collect()
}

fn read_table(conn: &mut DbConnection, backend: Backend, table: &str) -> Table {
    let (columns_sql, indexes_sql, foreign_keys_sql) = match backend {
        Backend::Sqlite => (
            format!(
                "SELECT name, type AS declared, \"notnull\" <> 0 AS not_null, \
                 dflt_value AS default_value, pk <> 0 AS primary_key \
                 FROM pragma_table_info('{table}')"
            ),
            format!(
                "SELECT l.name, l.\"unique\" <> 0 AS is_unique, l.partial <> 0 AS partial, l.origin, \
                 (SELECT group_concat(coalesce(i.name, '(expression)'), ',') \
                  FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno) i) AS columns \
                 FROM pragma_index_list('{table}') l"
            ),
            format!(
                "SELECT group_concat(\"from\", ',') AS from_columns, \"table\" AS target, \
                 group_concat(coalesce(\"to\", '(primary key)'), ',') AS to_columns, on_delete \
                 FROM (SELECT * FROM pragma_foreign_key_list('{table}') ORDER BY id, seq) GROUP BY id"
            ),
        ),
        Backend::Postgres => (
            format!(
                "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS declared, \
                 a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_value, \
                 EXISTS (SELECT 1 FROM pg_index ix WHERE ix.indrelid = a.attrelid \
                         AND ix.indisprimary AND a.attnum = ANY (ix.indkey)) AS primary_key \
                 FROM pg_attribute a \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attrelid = 'public.{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
            ),
            format!(
                "SELECT i.relname::text AS name, ix.indisunique AS is_unique, \
                 ix.indpred IS NOT NULL AS partial, \
                 CASE WHEN ix.indisprimary THEN 'pk' \
                      WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) THEN 'u' \
                      ELSE 'c' END AS origin, \
                 (SELECT string_agg(coalesce(a.attname::text, '(expression)'), ',' ORDER BY k.ord) \
                  FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                  LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS columns \
                 FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
                 WHERE ix.indrelid = 'public.{table}'::regclass"
            ),
            format!(
                "SELECT \
                 (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
                  FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS from_columns, \
                 f.relname::text AS target, \
                 (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
                  FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord) \
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS to_columns, \
                 CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
                      WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END AS on_delete \
                 FROM pg_constraint c JOIN pg_class f ON f.oid = c.confrelid \
                 WHERE c.contype = 'f' AND c.conrelid = 'public.{table}'::regclass"
            ),
        ),
    };

    let rows: Vec<ColumnRow> = load(conn, &columns_sql);
    let primary_key_size = rows.iter().filter(|r| r.primary_key).count();
    let columns = rows
        .into_iter()
        .map(|row| {
            let class = type_class(&row.declared);
            // SQLite's `INTEGER PRIMARY KEY` is the rowid: never NULL, and
            // numbered by the database, like PostgreSQL's BIGSERIAL.
            let rowid = backend == Backend::Sqlite
                && row.primary_key
                && primary_key_size == 1
                && row.declared.eq_ignore_ascii_case("integer");
            let default = if rowid {
                Some("auto-increment".to_owned())
            } else {
                row.default_value
                    .as_deref()
                    .map(|raw| normalise_default(&class, raw))
            };
            let column = Column {
                class,
                nullable: !row.not_null && !rowid,
                default,
                primary_key: row.primary_key,
            };
            (row.name, column)
        })
        .collect();

    let indexes = load::<IndexRow>(conn, &indexes_sql)
        .into_iter()
        .filter(|index| index.origin != "pk")
        .map(|index| {
            let columns = index.columns.replace(',', ", ");
            let partial = if index.partial { " (partial)" } else { "" };
            if index.origin == "u" {
                let key = format!("unique constraint ({columns})");
                (key.clone(), format!("{key}{partial}"))
            } else {
                let unique = if index.is_unique { "unique " } else { "" };
                let description = format!("{unique}index {} ({columns}){partial}", index.name);
                (index.name, description)
            }
        })
        .collect();

    let foreign_keys = load::<ForeignKeyRow>(conn, &foreign_keys_sql)
        .into_iter()
        .map(|fk| {
            format!(
                "{} -> {}.{} on delete {}",
                fk.from_columns,
                fk.target,
                fk.to_columns,
                fk.on_delete.to_uppercase()
            )
        })
        .collect();

    Table {
        columns,
        indexes,
        foreign_keys,
    }
}

mod normalising {
    use super::{normalise_default, type_class};

    #[test]
    fn both_databases_names_for_a_type_fall_in_one_class() {
        for (sqlite, postgres, class) in [
            ("INTEGER", "bigint", "integer"),
            ("BIGINT", "integer", "integer"),
            ("TEXT", "text", "text"),
            ("VARCHAR(50)", "character varying(50)", "text"),
            ("BOOLEAN", "boolean", "bool"),
            ("TIMESTAMP", "timestamp without time zone", "timestamp"),
        ] {
            assert_eq!(type_class(sqlite), class, "{sqlite}");
            assert_eq!(type_class(postgres), class, "{postgres}");
        }
        assert_eq!(
            type_class("timestamp with time zone"),
            "timestamptz",
            "a time zone is a different class"
        );
        assert!(type_class("geometry").starts_with("unclassified"));
    }

    #[test]
    fn both_databases_spellings_of_a_default_read_the_same() {
        for (sqlite, postgres, class) in [
            ("0", "false", "bool"),
            ("1", "true", "bool"),
            ("''", "''::text", "text"),
            ("0", "0", "integer"),
            ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP", "timestamp"),
            ("(CURRENT_TIMESTAMP)", "now()", "timestamp"),
        ] {
            assert_eq!(
                normalise_default(class, sqlite),
                normalise_default(class, postgres),
                "{sqlite} vs {postgres}"
            );
        }
        assert_eq!(
            normalise_default("integer", "nextval('items_id_seq'::regclass)"),
            "auto-increment"
        );
        assert_ne!(
            normalise_default("bool", "0"),
            normalise_default("bool", "true")
        );
    }
}
