//! Files uploaded for an import preview, kept between the preview and the
//! apply (one per person: a new upload replaces their last), and the record
//! of applied imports that `/activity` lists.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ImportOptions;
use crate::db::DbConnection;
use crate::db::schema::{catalog_imports, catalog_uploads};
use crate::inventory::{InventoryError, Result, now};

/// An uploaded file and how the person asked for it to be read.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: i64,
    pub file_name: String,
    pub content: Vec<u8>,
    pub options: ImportOptions,
}

/// Keeps a person's uploaded file, replacing their previous one; returns its id.
pub fn keep_upload(
    conn: &mut DbConnection,
    merchant_id: i64,
    staff_id: i64,
    file_name: &str,
    content: &[u8],
    archive_missing: bool,
) -> Result<i64> {
    conn.write_transaction(|conn| {
        diesel::delete(catalog_uploads::table.filter(catalog_uploads::staff_id.eq(staff_id)))
            .execute(conn)?;
        Ok(diesel::insert_into(catalog_uploads::table)
            .values((
                catalog_uploads::merchant_id.eq(merchant_id),
                catalog_uploads::staff_id.eq(staff_id),
                catalog_uploads::file_name.eq(file_name),
                catalog_uploads::content.eq(content),
                catalog_uploads::archive_missing.eq(archive_missing),
                catalog_uploads::choices.eq(""),
                catalog_uploads::created_at.eq(now()),
            ))
            .returning(catalog_uploads::id)
            .get_result(conn)?)
    })
}

/// A person's own upload; anyone else's (or one already applied) is NotFound.
pub fn find_upload(
    conn: &mut DbConnection,
    merchant_id: i64,
    staff_id: i64,
    upload_id: i64,
) -> Result<Upload> {
    let (id, file_name, content, archive_missing, choices) = catalog_uploads::table
        .filter(catalog_uploads::id.eq(upload_id))
        .filter(catalog_uploads::merchant_id.eq(merchant_id))
        .filter(catalog_uploads::staff_id.eq(staff_id))
        .select((
            catalog_uploads::id,
            catalog_uploads::file_name,
            catalog_uploads::content,
            catalog_uploads::archive_missing,
            catalog_uploads::choices,
        ))
        .first::<(i64, String, Vec<u8>, bool, String)>(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("upload"))?;
    let choices = if choices.is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(&choices)
            .map_err(|e| InventoryError::Corrupt(format!("upload {id}'s column choices: {e}")))?
    };
    Ok(Upload {
        id,
        file_name,
        content,
        options: ImportOptions {
            archive_missing,
            choices,
        },
    })
}

/// Changes how a person's upload is read: the column mapping and whether
/// items missing from it are archived.
pub fn set_upload_options(
    conn: &mut DbConnection,
    merchant_id: i64,
    staff_id: i64,
    upload_id: i64,
    options: &ImportOptions,
) -> Result<()> {
    let choices = serde_json::to_string(&options.choices)
        .map_err(|e| InventoryError::Corrupt(e.to_string()))?;
    let updated = diesel::update(
        catalog_uploads::table
            .filter(catalog_uploads::id.eq(upload_id))
            .filter(catalog_uploads::merchant_id.eq(merchant_id))
            .filter(catalog_uploads::staff_id.eq(staff_id)),
    )
    .set((
        catalog_uploads::choices.eq(choices),
        catalog_uploads::archive_missing.eq(options.archive_missing),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(InventoryError::NotFound("upload"));
    }
    Ok(())
}

/// Drops an upload once it has been applied.
pub fn discard_upload(conn: &mut DbConnection, upload_id: i64) -> Result<()> {
    diesel::delete(catalog_uploads::table.find(upload_id)).execute(conn)?;
    Ok(())
}

/// An applied import as `/activity` lists it.
#[derive(Debug, Clone, Queryable)]
pub struct ImportRecord {
    pub id: i64,
    pub actor: String,
    pub actor_email: String,
    pub file_name: String,
    pub new_items: i64,
    pub changed_items: i64,
    pub unchanged_items: i64,
    pub archived_items: i64,
    pub catalog_version: i64,
    pub created_at: NaiveDateTime,
}

/// The merchant's newest imports, newest first.
pub fn recent_imports(
    conn: &mut DbConnection,
    merchant_id: i64,
    limit: i64,
) -> Result<Vec<ImportRecord>> {
    Ok(catalog_imports::table
        .filter(catalog_imports::merchant_id.eq(merchant_id))
        .order(catalog_imports::id.desc())
        .limit(limit)
        .select((
            catalog_imports::id,
            catalog_imports::actor,
            catalog_imports::actor_email,
            catalog_imports::file_name,
            catalog_imports::new_items,
            catalog_imports::changed_items,
            catalog_imports::unchanged_items,
            catalog_imports::archived_items,
            catalog_imports::catalog_version,
            catalog_imports::created_at,
        ))
        .load(conn)?)
}
