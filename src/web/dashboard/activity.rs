//! `/activity`: the activity log (items, stores, staff and shop settings,
//! each naming who made the change), filtered by kind or by item, with Undo
//! for item designation changes.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash, vocabulary};
use crate::inventory::audit::{self, AuditEntry, LogFilter, Subject};
use crate::inventory::catalog_file::{self, ImportRecord};
use crate::inventory::designations::describe;
use crate::inventory::permissions::Permission;
use crate::inventory::sign_in::{self, EventKind, SignInEvent};
use crate::inventory::{InventoryError, Item, designations};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/activity", web::get().to(activity))
        .route("/activity/{id}/undo", web::post().to(undo));
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
    let (item, page, sign_ins, imports) = run(&state, move |conn| {
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
        let imports = if first_page {
            catalog_file::recent_imports(conn, merchant_id, IMPORTS_SHOWN)?
        } else {
            Vec::new()
        };
        Ok((item, page, sign_ins, imports))
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
    })
}

async fn undo(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let (merchant_id, entry_id) = (current.merchant.id, path.into_inner());
    let actor = current.actor();
    let notice = match run(&state, move |conn| {
        designations::undo(conn, &actor, merchant_id, entry_id)
    })
    .await
    {
        Ok(done) if done.changed => Notice::success(format!(
            "Undone: {} is back to {}",
            done.item.name,
            describe(&done.item)
        )),
        Ok(done) => Notice::warning(format!(
            "{} already is {}",
            done.item.name,
            describe(&done.item)
        )),
        Err(InventoryError::Rule { item, rule }) => Notice::error(format!("{}: {rule}", item.name)),
        Err(InventoryError::Conflict { current: item }) => Notice::warning(format!(
            "{} was changed again since, and is now {}; Undo would overwrite that, so nothing was changed.",
            item.name,
            describe(&item)
        )),
        Err(InventoryError::Invalid(error)) => Notice::error(error.message),
        Err(other) => return Err(other.into()),
    };
    set_flash(&current.session, notice);
    Ok(see_other("/activity"))
}
