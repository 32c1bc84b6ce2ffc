//! `/activity`: the activity log (items, stores, staff and shop settings,
//! each naming who made the change), filtered by kind or by item, with Undo
//! for item designation changes.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::{RowReply, render};
use super::{Layout, Notice, safe_return, see_other, set_flash, vocabulary};
use crate::inventory::audit::{self, AuditEntry, LogFilter, Subject};
use crate::inventory::bulk_edit::{self, BulkEditRecord, LeftAlone};
use crate::inventory::catalog_file::{self, ImportRecord};
use crate::inventory::designations::Selected;
use crate::inventory::designations::describe;
use crate::inventory::permissions::Permission;
use crate::inventory::sign_in::{self, EventKind, SignInEvent};
use crate::inventory::{InventoryError, Item, designations};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/activity", web::get().to(activity))
        .route("/activity/{id}/undo", web::post().to(undo))
        .route(
            "/activity/bulk-edits/{id}/undo",
            web::post().to(undo_bulk_edit),
        );
}

#[derive(Deserialize)]
struct ActivityParams {
    item: Option<String>,
    before: Option<String>,
    /// `item`, `store`, `staff` or `settings`; empty for every kind.
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "activity/index.html")]
struct ActivityPage {
    layout: Layout,
    item: Option<Item>,
    /// The filter's choices: every kind, then each kind alone.
    kinds: Vec<KindTab>,
    entries: Vec<AuditEntry>,
    next_url: Option<String>,
    /// The newest sign-ins and lockouts of the merchant's staff.
    sign_ins: Vec<SignInEvent>,
    /// The newest catalogue imports.
    imports: Vec<ImportRecord>,
    /// The newest bulk edits, each undone as a whole.
    bulk_edits: Vec<BulkEditRecord>,
}

/// How many imports the activity page lists.
const IMPORTS_SHOWN: i64 = 20;

/// How many sign-in events the activity page shows.
const SIGN_INS_SHOWN: i64 = 20;

impl ActivityPage {
    /// A stored value as the merchant reads it (see `vocabulary`).
    fn shown(&self, entry: &AuditEntry, value: &str) -> String {
        vocabulary::shown_value(&self.layout, entry, value)
    }

    fn sign_in_label(&self, event: &SignInEvent) -> &'static str {
        match event.kind {
            EventKind::SignedIn => "Signed in",
            EventKind::LockedOut => "Sign-in locked after repeated failed attempts",
        }
    }

    fn field_label(&self, entry: &AuditEntry) -> &'static str {
        vocabulary::field_label(entry.field)
    }
}

/// One choice of the filter by kind of change.
struct KindTab {
    /// `all`, or the kind (`item`, `store`, `staff`, `settings`).
    value: &'static str,
    label: &'static str,
    url: String,
    current: bool,
}

impl KindTab {
    fn all(shown: Option<Subject>) -> Vec<KindTab> {
        let every = KindTab {
            value: "all",
            label: "All",
            url: "/activity".to_owned(),
            current: shown.is_none(),
        };
        let each = Subject::ALL.into_iter().map(|kind| KindTab {
            value: kind.as_str(),
            label: kind.kind(),
            url: format!("/activity?kind={kind}"),
            current: shown == Some(kind),
        });
        std::iter::once(every).chain(each).collect()
    }
}

fn parse_kind(raw: Option<&str>) -> Result<Option<Subject>, HtmlError> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => Subject::parse(raw).map(Some).ok_or_else(|| {
            HtmlError::BadRequest(format!(
                "kind: {raw:?} is not a kind of change; use item, store, staff or settings."
            ))
        }),
    }
}

fn parse_id(raw: Option<&str>, what: &str) -> Result<Option<i64>, HtmlError> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .map(Some)
            .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not {what}."))),
    }
}

async fn activity(
    state: web::Data<AppState>,
    current: CurrentStaff,
    params: web::Query<ActivityParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ViewActivity)?;
    let merchant_id = current.merchant.id;
    let item_id = parse_id(params.item.as_deref(), "an item id")?;
    let before = parse_id(params.before.as_deref(), "a log position")?;
    let kind = parse_kind(params.kind.as_deref())?;
    let filter = match (item_id, kind) {
        (Some(id), _) => LogFilter::Item(id),
        (None, Some(kind)) => LogFilter::Kind(kind),
        (None, None) => LogFilter::Everything,
    };
    let (item, page, sign_ins, imports, bulk_edits) = run(&state, move |conn| {
        let item = item_id
            .map(|id| Item::find(conn, merchant_id, id))
            .transpose()?;
        let page = audit::log(conn, merchant_id, filter, before, 50)?;
        // Sign-ins are about people, not items: on the first page of the whole log.
        let sign_ins = if matches!(filter, LogFilter::Everything) && before.is_none() {
            sign_in::recent_events(conn, merchant_id, SIGN_INS_SHOWN)?
        } else {
            Vec::new()
        };
        // Imports change many items at once: listed on the first page of
        // the whole log and of the item changes.
        let first_page = before.is_none()
            && matches!(
                filter,
                LogFilter::Everything | LogFilter::Kind(Subject::Item)
            );
        let (imports, bulk_edits) = if first_page {
            (
                catalog_file::recent_imports(conn, merchant_id, IMPORTS_SHOWN)?,
                bulk_edit::recent(conn, merchant_id, IMPORTS_SHOWN)?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok((item, page, sign_ins, imports, bulk_edits))
    })
    .await?;
    let next_url = page.next_before.map(|before| match filter {
        LogFilter::Item(id) => format!("/activity?item={id}&before={before}"),
        LogFilter::Kind(kind) => format!("/activity?kind={kind}&before={before}"),
        LogFilter::Everything => format!("/activity?before={before}"),
    });
    render(&ActivityPage {
        layout: Layout::new(&current, "activity"),
        item,
        kinds: KindTab::all(kind),
        entries: page.entries,
        next_url,
        sign_ins,
        imports,
        bulk_edits,
    })
}

#[derive(Deserialize)]
struct UndoForm {
    /// The page the Undo was pressed on (the item list's toast); /activity otherwise.
    return_to: Option<String>,
}

/// Undo from /activity, or from the toast of a designation press on the item
/// list: one versioned undo either way. From the toast (htmx), the answer is
/// the item's row redrawn with the message in the toast region.
async fn undo(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: Option<web::Form<UndoForm>>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let (merchant_id, entry_id) = (current.merchant.id, path.into_inner());
    let return_to = safe_return(
        form.and_then(|f| f.into_inner().return_to).as_deref(),
        "/activity",
    );
    let actor = current.actor();
    let (notice, item_id) = match run(&state, move |conn| {
        designations::undo(conn, &actor, merchant_id, entry_id)
    })
    .await
    {
        Ok(done) if done.changed => (
            Notice::success(format!(
                "Undone: {} is back to {}",
                done.item.name,
                describe(&done.item)
            )),
            Some(done.item.id),
        ),
        Ok(done) => (
            Notice::warning(format!(
                "{} already is {}",
                done.item.name,
                describe(&done.item)
            )),
            Some(done.item.id),
        ),
        Err(InventoryError::Rule { item, rule }) => (
            Notice::error(format!("{}: {rule}", item.name)),
            Some(item.id),
        ),
        Err(InventoryError::Conflict { current: item }) => (
            Notice::warning(format!(
                "{} was changed again since, and is now {}; Undo would overwrite that, so nothing was changed.",
                item.name,
                describe(&item)
            )),
            Some(item.id),
        ),
        Err(InventoryError::Invalid(error)) => (Notice::error(error.message), None),
        Err(other) => return Err(other.into()),
    };
    if let (true, Some(item_id)) = (htmx::is_htmx(&req), item_id) {
        let view = run(&state, move |conn| {
            designations::row(conn, merchant_id, item_id)
        })
        .await?;
        let reply = RowReply {
            req: &req,
            current: &current,
            csrf_token: crate::web::csrf::token(&current.session),
            return_to,
        };
        return reply.send(view, notice);
    }
    set_flash(&current.session, notice);
    Ok(see_other(&return_to))
}

/// The items an Undo of a bulk edit left alone, with the choice to undo
/// them too.
#[derive(Template)]
#[template(path = "activity/bulk_undo.html")]
struct BulkUndoPage {
    layout: Layout,
    bulk_edit_id: i64,
    restored: usize,
    left_alone: Vec<LeftAlone>,
}

/// Undo of a whole bulk edit: every item still as the edit left it is
/// restored; the items changed since are listed and left alone, unless the
/// person confirms them (`confirm` = `ID:VERSION` as the list showed them).
async fn undo_bulk_edit(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|e| HtmlError::BadRequest(format!("The form could not be read: {e}")))?;
    let mut confirmed = Vec::new();
    for (name, value) in &pairs {
        if name == "confirm" {
            let selected = Selected::parse(value).map_err(|e| HtmlError::BadRequest(e.message))?;
            if selected.seen_version.is_none() {
                return Err(HtmlError::BadRequest(format!(
                    "{value:?} has no item version; nothing was changed."
                )));
            }
            confirmed.push(selected);
        }
    }
    let (merchant_id, bulk_edit_id) = (current.merchant.id, path.into_inner());
    let actor = current.actor();
    let undone = run(&state, move |conn| {
        bulk_edit::undo(conn, &actor, merchant_id, bulk_edit_id, &confirmed)
    })
    .await?;
    let restored = undone.restored.len();
    if undone.left_alone.is_empty() {
        set_flash(
            &current.session,
            Notice::success(format!(
                "Undone: {restored} item{} back to {} values before the bulk edit.",
                if restored == 1 { " is" } else { "s are" },
                if restored == 1 { "its" } else { "their" },
            )),
        );
        return Ok(see_other("/activity"));
    }
    render(&BulkUndoPage {
        layout: Layout::new(&current, "activity"),
        bulk_edit_id,
        restored,
        left_alone: undone.left_alone,
    })
}
