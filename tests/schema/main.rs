//! The schema is written three times: migrations/sqlite, migrations/postgres
//! and src/db/schema.rs (kept by hand; see diesel.toml). These tests migrate a
//! fresh database of each kind with the project's own migration runner, as
//! the app does, and fail when the three drift apart: a table or column added
//! to one tree only, or a column whose type class, nullability, default or
//! primary-key part differs, or a different index or foreign key.
//!
//! Where the two trees differ on purpose, `KNOWN_DIFFERENCES` below says so,
//! with the reason. Add to it only for a difference the app relies on.

#[path = "../common/mod.rs"]
mod common;
mod read;

use std::collections::{BTreeMap, BTreeSet};

use common::{Backend, TestDb};
use read::{Schema, Table, read_schema, type_class};

/// A table, or an index of a table, that one database has and the other has not.
struct KnownDifference {
    only_in: Backend,
    table: &'static str,
    /// None: the whole table.
    index: Option<&'static str>,
    reason: &'static str,
    /// False where the migration may leave it out (so its absence is no news).
    always_present: bool,
}

const SQLITE_SEARCH: &str = "SQLite's item search: an FTS5 virtual table with the trigram \
    tokenizer, kept in step with `items` by triggers (FTS5 adds the shadow tables \
    items_search_*). PostgreSQL searches through pg_trgm indexes on `items` instead.";

const POSTGRES_SEARCH: &str = "PostgreSQL's item search: a pg_trgm GIN index on an \
    expression (lower(name), lower(sku)). SQLite searches through the items_search FTS5 \
    table instead. The migration leaves the index out where pg_trgm is not installed.";

const fn sqlite_search_table(table: &'static str) -> KnownDifference {
    KnownDifference {
        only_in: Backend::Sqlite,
        table,
        index: None,
        reason: SQLITE_SEARCH,
        always_present: true,
    }
}

const fn postgres_search_index(index: &'static str) -> KnownDifference {
    KnownDifference {
        only_in: Backend::Postgres,
        table: "items",
        index: Some(index),
        reason: POSTGRES_SEARCH,
        always_present: false,
    }
}

/// Where the two migration trees differ on purpose.
const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    sqlite_search_table("items_search"),
    sqlite_search_table("items_search_config"),
    sqlite_search_table("items_search_data"),
    sqlite_search_table("items_search_docsize"),
    sqlite_search_table("items_search_idx"),
    postgres_search_index("items_name_trgm"),
    postgres_search_index("items_sku_trgm"),
];

/// Tables in the databases that src/db/schema.rs leaves out, besides the
/// known differences (which the app reaches through plain SQL).
const NOT_IN_DIESEL_SCHEMA: &[(&str, &str)] = &[(
    "__diesel_schema_migrations",
    "Diesel's record of the applied migrations, kept by diesel_migrations",
)];

fn migrated(backend: Backend) -> Schema {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().expect("a pooled connection");
    read_schema(&mut conn, backend)
}

fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// Which known differences a comparison met.
struct Allowances {
    used: Vec<bool>,
}

impl Allowances {
    fn allows(&mut self, only_in: Backend, table: &str, index: Option<&str>) -> bool {
        let found = KNOWN_DIFFERENCES
            .iter()
            .position(|k| k.only_in == only_in && k.table == table && k.index == index);
        if let Some(n) = found {
            self.used[n] = true;
        }
        found.is_some()
    }
}

/// Every difference between the two migrated databases that is not a known one,
/// and every known one that no longer holds.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let mut allowances = Allowances {
        used: vec![false; KNOWN_DIFFERENCES.len()],
    };
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for table in names {
        match (sqlite.get(table), postgres.get(table)) {
            (Some(s), Some(p)) => compare_tables(table, s, p, &mut allowances, &mut found),
            (Some(_), None) if !allowances.allows(Backend::Sqlite, table, None) => {
                found.push(format!("table {table}: only in SQLite"));
            }
            (None, Some(_)) if !allowances.allows(Backend::Postgres, table, None) => {
                found.push(format!("table {table}: only in PostgreSQL"));
            }
            _ => {}
        }
    }
    for (known, used) in KNOWN_DIFFERENCES.iter().zip(allowances.used) {
        if known.always_present && !used {
            found.push(format!(
                "known difference no longer found: {} {}{} ({})",
                name(known.only_in),
                known.table,
                known
                    .index
                    .map(|i| format!(" index {i}"))
                    .unwrap_or_default(),
                known.reason
            ));
        }
    }
    found
}

fn compare_tables(
    table: &str,
    sqlite: &Table,
    postgres: &Table,
    allowances: &mut Allowances,
    found: &mut Vec<String>,
) {
    let columns: BTreeSet<&String> = sqlite
        .columns
        .keys()
        .chain(postgres.columns.keys())
        .collect();
    for column in columns {
        match (sqlite.columns.get(column), postgres.columns.get(column)) {
            (Some(s), Some(p)) if s != p => found.push(format!(
                "{table}.{column}: SQLite has `{s}`, PostgreSQL has `{p}`"
            )),
            (Some(s), None) => found.push(format!("{table}.{column}: only in SQLite (`{s}`)")),
            (None, Some(p)) => {
                found.push(format!("{table}.{column}: only in PostgreSQL (`{p}`)"));
            }
            _ => {}
        }
    }
    let indexes: BTreeSet<&String> = sqlite
        .indexes
        .keys()
        .chain(postgres.indexes.keys())
        .collect();
    for index in indexes {
        match (sqlite.indexes.get(index), postgres.indexes.get(index)) {
            (Some(s), Some(p)) if s != p => {
                found.push(format!("{table}: SQLite has `{s}`, PostgreSQL has `{p}`"))
            }
            (Some(s), None) if !allowances.allows(Backend::Sqlite, table, Some(index)) => {
                found.push(format!("{table}: only SQLite has `{s}`"));
            }
            (None, Some(p)) if !allowances.allows(Backend::Postgres, table, Some(index)) => {
                found.push(format!("{table}: only PostgreSQL has `{p}`"));
            }
            _ => {}
        }
    }
    for fk in sqlite.foreign_keys.difference(&postgres.foreign_keys) {
        found.push(format!("{table}: only SQLite has the foreign key `{fk}`"));
    }
    for fk in postgres.foreign_keys.difference(&sqlite.foreign_keys) {
        found.push(format!(
            "{table}: only PostgreSQL has the foreign key `{fk}`"
        ));
    }
}

#[test]
fn the_sqlite_and_postgres_migrations_build_the_same_schema() {
    let sqlite = migrated(Backend::Sqlite);
    let postgres = migrated(Backend::Postgres);
    assert!(
        sqlite.contains_key("items") && postgres.contains_key("items"),
        "both databases were migrated"
    );

    let found = differences(&sqlite, &postgres);

    assert!(
        found.is_empty(),
        "migrations/sqlite and migrations/postgres build different schemas; change both \
         trees together (or, for a difference the app relies on, list it in \
         KNOWN_DIFFERENCES with the reason):\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn a_column_in_one_tree_only_fails_the_sqlite_and_postgres_comparison() {
    let mut sqlite = migrated(Backend::Sqlite);
    let mut postgres = migrated(Backend::Postgres);
    let colour = read::Column {
        class: "text".to_owned(),
        nullable: true,
        default: None,
        primary_key: false,
    };
    sqlite
        .get_mut("items")
        .expect("an items table")
        .columns
        .insert("colour".to_owned(), colour);
    postgres
        .get_mut("items")
        .expect("an items table")
        .columns
        .get_mut("barcode")
        .expect("a barcode column")
        .nullable = false;

    assert_eq!(
        differences(&sqlite, &postgres),
        vec![
            "items.barcode: SQLite has `text`, PostgreSQL has `text not null`".to_owned(),
            "items.colour: only in SQLite (`text`)".to_owned(),
        ]
    );
}

/// A table of src/db/schema.rs: primary-key columns, and per column its
/// type class and nullability.
struct DeclaredTable {
    primary_key: Vec<String>,
    columns: BTreeMap<String, (String, bool)>,
}

fn diesel_type_class(sql_type: &str) -> String {
    let class = match sql_type {
        "BigInt" | "Integer" | "SmallInt" | "Int2" | "Int4" | "Int8" => "integer",
        "Text" | "VarChar" => "text",
        "Bool" => "bool",
        "Timestamp" => "timestamp",
        "Timestamptz" => "timestamptz",
        "Date" => "date",
        "Float" | "Double" => "float",
        "Numeric" => "numeric",
        "Binary" => "bytes",
        other => return format!("unclassified Diesel type {other}"),
    };
    class.to_owned()
}

/// Reads the `diesel::table!` blocks of src/db/schema.rs.
fn diesel_schema() -> BTreeMap<String, DeclaredTable> {
    let source = include_str!("../../src/db/schema.rs");
    let mut tables = BTreeMap::new();
    let mut lines = source.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "diesel::table! {" {
            continue;
        }
        let head = lines.next().expect("a table name after `diesel::table! {`");
        let (name, rest) = head
            .split_once(" (")
            .unwrap_or_else(|| panic!("`name (primary key) {{` in schema.rs, not {head:?}"));
        let primary_key = rest
            .trim_end_matches(" {")
            .trim_end_matches(')')
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        let mut columns = BTreeMap::new();
        for line in lines.by_ref() {
            if line == "}" {
                break;
            }
            let Some((column, sql_type)) = line.trim_end_matches(',').split_once(" -> ") else {
                continue;
            };
            let (sql_type, nullable) = match sql_type
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner, true),
                None => (sql_type, false),
            };
            columns.insert(column.to_owned(), (diesel_type_class(sql_type), nullable));
        }
        tables.insert(
            name.to_owned(),
            DeclaredTable {
                primary_key,
                columns,
            },
        );
    }
    tables
}

on_both_backends!(src_db_schema_rs_names_every_table_and_column_of_the_migrated_database);

async fn src_db_schema_rs_names_every_table_and_column_of_the_migrated_database(backend: Backend) {
    let declared = diesel_schema();
    assert!(declared.contains_key("items"), "schema.rs was read");
    let migrated = migrated(backend);
    let db = name(backend);
    let mut found = Vec::new();

    for (table, actual) in &migrated {
        let left_out = NOT_IN_DIESEL_SCHEMA.iter().any(|(t, _)| t == table)
            || KNOWN_DIFFERENCES
                .iter()
                .any(|k| k.index.is_none() && k.table == table);
        match declared.get(table) {
            None if left_out => {}
            None => found.push(format!("table {table}: in {db}, not in schema.rs")),
            Some(declared) => {
                let primary_key: Vec<&String> = actual
                    .columns
                    .iter()
                    .filter(|(_, c)| c.primary_key)
                    .map(|(name, _)| name)
                    .collect();
                let mut declared_key: Vec<&String> = declared.primary_key.iter().collect();
                declared_key.sort();
                if primary_key != declared_key {
                    found.push(format!(
                        "{table}: primary key {primary_key:?} in {db}, {declared_key:?} in schema.rs"
                    ));
                }
                let names: BTreeSet<&String> = actual
                    .columns
                    .keys()
                    .chain(declared.columns.keys())
                    .collect();
                for column in names {
                    let in_db = actual
                        .columns
                        .get(column)
                        .map(|c| (c.class.clone(), c.nullable));
                    match (in_db, declared.columns.get(column)) {
                        (Some(a), Some(d)) if &a != d => found.push(format!(
                            "{table}.{column}: {db} has ({}, nullable: {}), schema.rs ({}, nullable: {})",
                            a.0, a.1, d.0, d.1
                        )),
                        (Some(_), None) => {
                            found.push(format!("{table}.{column}: in {db}, not in schema.rs"));
                        }
                        (None, Some(_)) => {
                            found.push(format!("{table}.{column}: in schema.rs, not in {db}"));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for table in declared.keys() {
        if !migrated.contains_key(table) {
            found.push(format!("table {table}: in schema.rs, not in {db}"));
        }
    }

    assert!(
        found.is_empty(),
        "src/db/schema.rs and the {db} migrations disagree:\n  {}",
        found.join("\n  ")
    );
    // The type classes of schema.rs and of the databases are one vocabulary.
    assert_eq!(diesel_type_class("BigInt"), type_class("BIGINT"));
}
