//! The item page (`templates/items/form.html`): the page struct, its stock
//! panel (`templates/items/_stock.html`, also the htmx answer of a stock
//! form), and how both are drawn from one `inventory::item_view` read. The
//! item form handlers (`item_form.rs`) and the stock form handlers
//! (`item_stock.rs`) both draw through here, and neither imports the other.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use rand::RngCore;
use serde::Deserialize;

use super::items::render;
use super::row::DesignationAction;
use super::{Allowed, Layout, Notice, vocabulary};
use crate::domain::{FieldError, OnlineListing};
use crate::inventory::Item;
use crate::inventory::audit::AuditEntry;
use crate::inventory::designations::describe as describe_state;
use crate::inventory::item_view::{self, ItemView};
use crate::inventory::schedules::{self, ScheduledChange};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

/// The text of the item form as typed, so a re-render keeps it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemFormData {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub barcode: String,
    /// Only on the create form.
    pub in_store: Option<String>,
    /// Only on the create form.
    pub online: Option<String>,
    /// Only on the edit form.
    pub version: Option<String>,
}

impl ItemFormData {
    pub fn of(item: &Item) -> ItemFormData {
        ItemFormData {
            sku: item.sku.clone(),
            name: item.name.clone(),
            description: item.description.clone(),
            price: item.price.decimal(),
            barcode: item.barcode.clone().unwrap_or_default(),
            in_store: item.in_store().then(|| "1".to_owned()),
            online: Some(item.online().as_str().to_owned()),
            version: Some(item.version.to_string()),
        }
    }
}

/// The item page: the create form, or an item's edit form with its stock
/// panel and recent changes.
#[derive(Template)]
#[template(path = "items/form.html")]
pub struct ItemPage {
    layout: Layout,
    /// `None` on the create form.
    item_id: Option<i64>,
    pub form: ItemFormData,
    /// Each field's error, shown beside it.
    pub errors: Vec<FieldError>,
    pub notice: Option<Notice>,
    currency: String,
    archived: bool,
    state: String,
    /// Stock per store, movements and the stock forms (edit page only).
    pub stock: Option<StockPanel>,
    history: Vec<AuditEntry>,
    online_choices: Vec<(&'static str, &'static str)>,
    /// The item's pending scheduled changes and the form to plan another.
    pub schedules: SchedulePanel,
}

/// A pending scheduled change as the item page and the schedules page list it.
pub struct ScheduleRow {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub sku: String,
    /// What will change, in the dashboard's words ("Sell online").
    pub what: String,
    /// When, in the shop's time zone.
    pub due: String,
}

impl ScheduleRow {
    pub fn of(
        current: &CurrentStaff,
        scheduled: &ScheduledChange,
        item_name: &str,
        sku: &str,
    ) -> ScheduleRow {
        ScheduleRow {
            id: scheduled.id,
            item_id: scheduled.item_id,
            item_name: item_name.to_owned(),
            sku: sku.to_owned(),
            what: DesignationAction::ALL
                .into_iter()
                .find(|action| action.change() == scheduled.change)
                .map_or_else(
                    || schedules::describe(scheduled.change),
                    |action| action.label().to_owned(),
                ),
            due: current
                .merchant
                .time_zone
                .show(scheduled.due_at, "%a %Y-%m-%d %H:%M"),
        }
    }
}

/// The "Schedule a change" form as typed, kept when it is shown again.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScheduleFormData {
    #[serde(default)]
    pub change: String,
    #[serde(default)]
    pub due_at: String,
}

/// The item page's scheduled changes: the pending ones and the form.
#[derive(Default)]
pub struct SchedulePanel {
    pub pending: Vec<ScheduleRow>,
    pub input: ScheduleFormData,
    /// The shop's time zone, named beside the time field.
    pub time_zone: String,
}

impl ItemPage {
    /// The create form.
    pub fn blank(current: &CurrentStaff, form: ItemFormData) -> ItemPage {
        ItemPage {
            layout: Layout::new(current, "items"),
            item_id: None,
            form,
            errors: Vec::new(),
            notice: None,
            currency: current.merchant.currency.as_str().to_owned(),
            archived: false,
            state: String::new(),
            stock: None,
            history: Vec::new(),
            online_choices: OnlineListing::ALL
                .iter()
                .map(|o| (o.as_str(), o.label()))
                .collect(),
            schedules: SchedulePanel::default(),
        }
    }

    /// An item's page with `form` in its edit form (the item as it is, or
    /// what the merchant typed).
    pub fn of(current: &CurrentStaff, view: ItemView, form: ItemFormData) -> ItemPage {
        let mut page = ItemPage::blank(current, form);
        page.item_id = Some(view.item.id);
        page.archived = view.item.archived;
        page.state = describe_state(&view.item);
        page.stock = Some(StockPanel::of(&view, &page.layout.csrf_token, current));
        page.history = view.history;
        page.schedules = SchedulePanel {
            pending: view
                .scheduled
                .iter()
                .map(|s| ScheduleRow::of(current, s, &view.item.name, &view.item.sku))
                .collect(),
            input: ScheduleFormData::default(),
            time_zone: current.merchant.time_zone.name().to_owned(),
        };
        page
    }

    /// The page of an item of the signed-in merchant as it is now.
    pub async fn load(
        state: &AppState,
        current: &CurrentStaff,
        item_id: i64,
    ) -> Result<ItemPage, HtmlError> {
        let view = load_view(state, current, item_id).await?;
        let form = ItemFormData::of(&view.item);
        Ok(ItemPage::of(current, view, form))
    }

    /// A history entry's field and values in the dashboard's words.
    fn history_line(&self, entry: &AuditEntry) -> String {
        format!(
            "{}: {} → {}",
            vocabulary::field_label(entry.field),
            vocabulary::shown_value(&self.layout, entry, &entry.old_value),
            vocabulary::shown_value(&self.layout, entry, &entry.new_value)
        )
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The changes the schedule form offers, as (form value, label).
    fn schedule_choices(&self) -> Vec<(&'static str, &'static str)> {
        DesignationAction::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect()
    }

    fn online_selected(&self, value: &str) -> bool {
        self.form.online.as_deref().unwrap_or("hidden") == value
    }

    /// The page as an HTML response with `status`.
    pub fn respond(&self, status: StatusCode) -> Result<HttpResponse, HtmlError> {
        let mut response = render(self)?;
        *response.status_mut() = status;
        Ok(response)
    }
}

/// Reads an item's page in one service call.
pub async fn load_view(
    state: &AppState,
    current: &CurrentStaff,
    item_id: i64,
) -> Result<ItemView, HtmlError> {
    let merchant_id = current.merchant.id;
    Ok(run(state, move |conn| {
        item_view::item_view(conn, merchant_id, item_id)
    })
    .await?)
}

/// One store's line of the stock table.
pub struct LevelRow {
    pub location_id: i64,
    pub name: String,
    pub on_hand: i64,
    /// Units of it held for pickup by open reservations.
    pub held: i64,
    pub fulfils_online: bool,
}

/// One movement as the history table shows it.
pub struct MovementRow {
    pub occurred_at: String,
    pub store: String,
    pub kind: &'static str,
    /// Signed, e.g. `+5` or `-2`.
    pub quantity: String,
    pub on_hand_after: i64,
    pub actor: String,
    pub reason: String,
    pub reference: String,
}

/// Which stock form a re-rendered panel is answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockForm {
    Receive,
    Adjust,
    Count,
    Settings,
}

impl StockForm {
    pub fn as_str(self) -> &'static str {
        match self {
            StockForm::Receive => "receive",
            StockForm::Adjust => "adjust",
            StockForm::Count => "count",
            StockForm::Settings => "settings",
        }
    }
}

/// What a stock form held as typed, kept when the panel is re-rendered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StockFormData {
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub idempotency_key: String,
}

/// The stock panel of the item page; on its own, the htmx answer of a stock form.
#[derive(Template)]
#[template(path = "items/_stock.html")]
pub struct StockPanel {
    pub item_id: i64,
    /// The item's version, sent back by the settings form.
    pub version: i64,
    pub csrf_token: String,
    pub levels: Vec<LevelRow>,
    pub total: i64,
    pub available_online: i64,
    pub online_buffer: i64,
    pub buffer_is_default: bool,
    pub merchant_buffer: i64,
    /// The item's own buffer as the settings form shows it (empty: default).
    pub buffer_input: String,
    pub allow_backorder: bool,
    pub auto_view_only: bool,
    pub movements: Vec<MovementRow>,
    /// A fresh idempotency key per form, so a resubmitted form is harmless.
    pub keys: [String; 3],
    /// Which forms the viewer's role may use (the others are left out).
    pub may: Allowed,
    /// A cashier's store: their forms offer only it.
    pub own_store: Option<i64>,
    /// The form that failed, its errors and what was typed into it.
    pub failed: Option<StockForm>,
    pub errors: Vec<FieldError>,
    pub input: StockFormData,
}

impl StockPanel {
    /// The panel of an item as the view shows it, with fresh form keys.
    pub fn of(view: &ItemView, csrf_token: &str, current: &CurrentStaff) -> StockPanel {
        let zone = current.merchant.time_zone;
        let store = |id: i64| view.store_name(id).unwrap_or("(archived store)").to_owned();
        let movements = view
            .movements
            .iter()
            .map(|m| MovementRow {
                occurred_at: zone.show(m.occurred_at, "%Y-%m-%d %H:%M"),
                store: store(m.location_id),
                kind: m.kind.label(),
                quantity: signed(m.quantity),
                on_hand_after: m.on_hand_after,
                actor: m.actor.clone(),
                reason: m.reason.clone(),
                reference: m.reference.clone(),
            })
            .collect();
        let item = &view.item;
        StockPanel {
            item_id: item.id,
            version: item.version,
            csrf_token: csrf_token.to_owned(),
            levels: view
                .stock
                .levels
                .iter()
                .map(|l| LevelRow {
                    location_id: l.location.id,
                    name: l.location.name.clone(),
                    on_hand: l.on_hand,
                    held: l.held,
                    fulfils_online: l.location.fulfils_online,
                })
                .collect(),
            total: view.stock.total(),
            available_online: view.stock.available_online,
            online_buffer: view.stock.online_buffer,
            buffer_is_default: view.stock.buffer_is_default,
            merchant_buffer: view.merchant_buffer,
            buffer_input: item
                .online_buffer
                .map(|b| b.to_string())
                .unwrap_or_default(),
            allow_backorder: item.allow_backorder,
            auto_view_only: item.auto_view_only,
            movements,
            keys: [fresh_key(), fresh_key(), fresh_key()],
            may: Allowed::of(current),
            own_store: crate::inventory::permissions::own_store(&current.staff),
            failed: None,
            errors: Vec::new(),
            input: StockFormData::default(),
        }
    }

    /// Whether the viewer may pick this store in the receive and count forms.
    fn may_use_store(&self, location_id: &i64) -> bool {
        self.own_store.is_none_or(|own| own == *location_id)
    }

    /// Marks `form` as the one that failed, with its errors and what was typed.
    pub fn failed(
        mut self,
        form: StockForm,
        input: StockFormData,
        errors: Vec<FieldError>,
    ) -> Self {
        self.failed = Some(form);
        self.input = input;
        self.errors = errors;
        self
    }

    /// The error of `field` in `form`, when that form is the one that failed.
    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        match self.failed {
            Some(failed) if failed.as_str() == form => self
                .errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }

    /// What was typed into `field` of `form`, when that form failed.
    pub fn typed(&self, form: &str, field: &str) -> &str {
        match self.failed {
            Some(failed) if failed.as_str() == form => match field {
                "quantity" => &self.input.quantity,
                "reason" => &self.input.reason,
                _ => "",
            },
            _ => "",
        }
    }

    /// Whether `location_id` is the store chosen in `form` (the first store by default).
    pub fn chosen(&self, form: &str, location_id: &i64) -> bool {
        match self.failed {
            Some(failed) if failed.as_str() == form => {
                self.input.location_id.trim() == location_id.to_string()
            }
            _ => self.levels.first().map(|l| l.location_id) == Some(*location_id),
        }
    }

    /// The online-buffer field of the settings form: what was typed when the
    /// settings form itself failed, otherwise the item's own buffer (a failed
    /// stock form must not blank it, or saving would reset it to the default).
    pub fn buffer_value(&self) -> &str {
        match self.failed {
            Some(StockForm::Settings) => &self.input.quantity,
            _ => &self.buffer_input,
        }
    }

    pub fn key(&self, form: &str) -> &str {
        match form {
            "receive" => &self.keys[0],
            "adjust" => &self.keys[1],
            _ => &self.keys[2],
        }
    }
}

/// The htmx answer of a stock form: the panel, plus the catalog version and
/// the message swapped out-of-band into the page header.
#[derive(Template)]
#[template(path = "items/_stock_swap.html")]
pub struct StockSwap {
    pub panel: StockPanel,
    pub catalog_version: i64,
    pub notice: Option<Notice>,
}

impl StockSwap {
    /// The swap as an HTML response with `status`.
    pub fn respond(&self, status: StatusCode) -> Result<HttpResponse, HtmlError> {
        let mut response = render(self)?;
        *response.status_mut() = status;
        Ok(response)
    }
}

pub(super) fn fresh_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("dash-{}", hex::encode(bytes))
}

/// A quantity with its sign, e.g. `+5` or `-2`.
pub fn signed(quantity: i64) -> String {
    if quantity > 0 {
        format!("+{quantity}")
    } else {
        quantity.to_string()
    }
}
