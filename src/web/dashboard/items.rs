//! `/items`: the merchant's item list with search, filters, sorting and
//! paging, and the designation controls on each row (a press answers with the
//! row and a toast).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::row::{DesignationAction, ItemRow, STORE_COLUMNS};
use super::{Layout, Notice, NoticeUndo, Toast, safe_return, see_other, set_flash};
use crate::domain::OnlineListing;
use crate::inventory::Item;
use crate::inventory::designations::{self, Pressed, RowView};
use crate::inventory::item_list::{
    ItemFilter, ItemQuery, ItemSort, StockLine, StoreColumn, list_items,
};
use crate::inventory::permissions::Permission;
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items", web::get().to(list)).route(
        "/items/{id}/designation",
        web::post().to(change_designation),
    );
}

/// Items per page of the list.
const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
struct ListParams {
    q: Option<String>,
    filter: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

/// A choice in a filter or sort control.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The table of items: the part htmx replaces when searching or paging.
#[derive(Template)]
#[template(path = "items/_table.html")]
pub struct ItemTable {
    pub rows: Vec<ItemRow>,
    /// The merchant's open stores: a stock column each, up to `STORE_COLUMNS`.
    pub stores: Vec<StoreColumn>,
    /// One column per store rather than a total with the stores in a disclosure.
    pub store_columns: bool,
    pub total: i64,
    /// More items match a search than it shows.
    pub capped: bool,
    pub page: i64,
    pub page_count: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub q: String,
    pub filter: &'static str,
    pub filter_label: &'static str,
    pub csrf_token: String,
    /// Whether the viewer may change designations (the bulk bar and the
    /// row buttons are left out otherwise).
    pub may_change: bool,
    /// Whether the viewer may export (and import) the catalogue.
    pub may_export: bool,
    /// Whether *Edit selected* (the bulk editor) is offered.
    pub may_edit: bool,
}

impl ItemTable {
    /// The CSV export of the items this table shows: its search and filter.
    fn export_url(&self) -> String {
        let query = serde_html_form::to_string([("q", self.q.as_str()), ("filter", self.filter)])
            .unwrap_or_default();
        format!("/items/export.csv?{query}")
    }
}

#[derive(Template)]
#[template(path = "items/index.html")]
struct ItemsPage {
    layout: Layout,
    q: String,
    filters: Vec<Choice>,
    sorts: Vec<Choice>,
    table: ItemTable,
    warnings: Vec<String>,
}

fn list_url(q: &str, filter: ItemFilter, sort: ItemSort, page: i64) -> String {
    let query = serde_html_form::to_string([
        ("q", q),
        ("filter", filter.as_str()),
        ("sort", sort.as_str()),
        ("page", &page.to_string()),
    ])
    .unwrap_or_default();
    format!("/items?{query}")
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::LookUpItems)?;
    let params = params.into_inner();
    let mut warnings = Vec::new();
    let filter = match params.filter.as_deref().filter(|f| !f.is_empty()) {
        None => ItemFilter::All,
        Some(raw) => ItemFilter::parse(raw).unwrap_or_else(|e| {
            warnings.push(format!("{} — showing all items.", e.message));
            ItemFilter::All
        }),
    };
    let sort = match params.sort.as_deref().filter(|s| !s.is_empty()) {
        None => ItemSort::Name,
        Some(raw) => ItemSort::parse(raw).unwrap_or_else(|e| {
            warnings.push(format!("{} — sorted by name.", e.message));
            ItemSort::Name
        }),
    };
    let page = match params.page.as_deref().filter(|p| !p.is_empty()) {
        None => 1,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or_else(|| {
                warnings.push(format!(
                    "Page {raw:?} is not a page number — showing page 1."
                ));
                1
            }),
    };
    let q: String = params.q.unwrap_or_default().chars().take(200).collect();
    let query = ItemQuery {
        search: q.clone(),
        filter,
        sort,
        page,
        per_page: PER_PAGE,
    };
    let merchant_id = current.merchant.id;
    let found = run(&state, move |conn| list_items(conn, merchant_id, &query)).await?;
    let layout = Layout::new(&current, "items");
    let return_to = list_url(&q, filter, sort, found.page);
    let page_count = found.page_count();
    let table = ItemTable {
        rows: found
            .items
            .iter()
            .map(|listed| {
                ItemRow::new(
                    &listed.item,
                    &listed.stock,
                    &found.stores,
                    &layout.csrf_token,
                    &return_to,
                )
                .for_viewer(layout.may.designate)
            })
            .collect(),
        store_columns: found.stores.len() <= STORE_COLUMNS,
        stores: found.stores.clone(),
        total: found.total,
        capped: found.capped,
        page: found.page,
        page_count,
        prev_url: (found.page > 1).then(|| list_url(&q, filter, sort, found.page - 1)),
        next_url: (found.page < page_count).then(|| list_url(&q, filter, sort, found.page + 1)),
        q: q.clone(),
        filter: filter.as_str(),
        filter_label: filter.label(),
        csrf_token: layout.csrf_token.clone(),
        may_change: layout.may.designate,
        may_export: layout.may.edit_items,
        may_edit: layout.may.edit_items,
    };
    if htmx::target(&req) == Some("item-table") {
        return render(&table);
    }
    let page = ItemsPage {
        filters: ItemFilter::ALL
            .into_iter()
            .map(|f| Choice {
                value: f.as_str(),
                label: f.label(),
                selected: f == filter,
            })
            .collect(),
        sorts: ItemSort::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: s.label(),
                selected: s == sort,
            })
            .collect(),
        layout,
        q,
        table,
        warnings,
    };
    render(&page)
}

/// Renders a template as an HTML response.
pub fn render(template: &impl Template) -> Result<HttpResponse, HtmlError> {
    let body = template
        .render()
        .map_err(|e| HtmlError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize)]
struct DesignationForm {
    action: Option<String>,
    version: Option<String>,
    return_to: Option<String>,
}

/// The htmx answer to a designation press: the row, plus the catalog version
/// and the message swapped out-of-band into the page header.
#[derive(Template)]
#[template(path = "items/_designation_swap.html")]
struct DesignationSwap {
    row: ItemRow,
    catalog_version: i64,
    /// The notice as the toast region shows it.
    toast: String,
}

async fn change_designation(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<DesignationForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let item_id = path.into_inner();
    let form = form.into_inner();
    let reply = RowReply {
        req: &req,
        current: &current,
        return_to: safe_return(form.return_to.as_deref(), "/items"),
        csrf_token: super::csrf::token(&current.session),
    };
    let merchant_id = current.merchant.id;

    let action = form.action.as_deref().and_then(DesignationAction::parse);
    let version = super::form_version(form.version.as_deref());
    let (Some(action), Some(version)) = (action, version) else {
        // Tampered or truncated form: nothing changes; show the row as it is.
        let problem = if action.is_none() {
            "That button is not one shelfsync knows; nothing was changed."
        } else {
            "The form was missing the item version; nothing was changed. Press the button again."
        };
        let view = run(&state, move |conn| {
            designations::row(conn, merchant_id, item_id)
        })
        .await?;
        return reply.send(view, Notice::error(problem));
    };

    let actor = current.actor();
    let view = run(&state, move |conn| {
        designations::press(conn, &actor, merchant_id, item_id, version, action.change())
    })
    .await?;
    let notice = match &view.pressed {
        Pressed::Applied | Pressed::AlreadySo => {
            log::info!(
                "merchant {merchant_id} item {item_id}: {} by staff {} at catalog version {}",
                action.as_str(),
                current.staff.id,
                view.catalog_version
            );
            let notice = if action == DesignationAction::SellOnline
                && view.pressed == Pressed::Applied
                && view.item.online() == OnlineListing::ForSale
                && !view.stock.online.purchasable_online
            {
                sold_out_online(&view.item, &view.stock)
            } else {
                Notice::success(action.confirmation(&view.item.name))
            };
            match (&view.pressed, &view.last_change) {
                (Pressed::Applied, Some(entry)) if entry.undo.is_offered() => {
                    notice.with_undo(NoticeUndo {
                        entry_id: entry.id,
                        item_id,
                        return_to: reply.return_to.clone(),
                    })
                }
                _ => notice,
            }
        }
        Pressed::ChangedMeanwhile => {
            let who = view
                .last_change
                .as_ref()
                .map(|entry| {
                    format!(
                        "Changed by {} at {}",
                        entry.actor,
                        current.merchant.time_zone.show(entry.created_at, "%H:%M")
                    )
                })
                .unwrap_or_else(|| "Changed by someone else".to_owned());
            Notice::warning(format!(
                "{who} — now {}; press again to apply",
                designations::describe(&view.item)
            ))
        }
        Pressed::Refused(rule) => Notice::error(format!("{}: {rule}", view.item.name)),
    };
    reply.send(view, notice)
}

/// What the merchant is told after selling online an item the shop will show
/// as sold out: it applied, what the shop shows, and where to fix it.
fn sold_out_online(item: &Item, stock: &StockLine) -> Notice {
    let receive = "receive stock";
    let backorder = "allow backorder";
    Notice::warning(format!(
        "{} is for sale online but sold out online ({} available): {receive} or {backorder}",
        item.name, stock.online.available_online
    ))
    .link(receive, format!("/items/{}#receive-form", item.id))
    .link(backorder, format!("/items/{}#stock-settings-form", item.id))
}

/// How to answer a designation press (or its Undo): the request it came
/// from and where its page lives.
pub struct RowReply<'a> {
    pub req: &'a HttpRequest,
    pub current: &'a CurrentStaff,
    pub return_to: String,
    pub csrf_token: String,
}

impl RowReply<'_> {
    /// For htmx, the re-rendered row with the notice; otherwise a redirect
    /// back to the list with the notice as a flash message.
    pub fn send(&self, view: RowView, notice: Notice) -> Result<HttpResponse, HtmlError> {
        if !htmx::is_htmx(self.req) {
            set_flash(&self.current.session, notice);
            return Ok(see_other(&self.return_to));
        }
        let row = ItemRow::new(
            &view.item,
            &view.stock,
            &view.stores,
            &self.csrf_token,
            &self.return_to,
        );
        render(&DesignationSwap {
            row,
            catalog_version: view.catalog_version,
            toast: Toast {
                notice: &notice,
                csrf_token: &self.csrf_token,
            }
            .html(),
        })
    }
}
