//! The merchant dashboard: server-rendered pages, with htmx swapping row
//! fragments in place. Each page struct sits next to its handler; templates
//! under `templates/` mirror these modules.

mod activity;
mod bulk;
mod bulk_edit;
mod counter;
mod counter_item;
mod counter_reservations;
mod export;
mod import;
mod item_form;
mod item_page;
mod item_stock;
mod items;
mod login;
mod row;
mod schedules;
mod settings;
mod setup;
mod shop_settings;
mod staff;
mod stores;
mod vocabulary;
mod webhooks;

use actix_session::Session;
use actix_web::web;
use askama::Template;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::auth::CurrentStaff;
use super::csrf;
use crate::domain::ReturnPath;
use crate::domain::TimeZone;

pub fn config(cfg: &mut web::ServiceConfig) {
    login::config(cfg);
    // Before item_form's `/items/{id}`, which would take `export.csv` as an id.
    export::config(cfg);
    import::config(cfg);
    items::config(cfg);
    bulk::config(cfg);
    // Before item_form's `/items/{id}`, which would take `bulk-edit` as an id.
    bulk_edit::config(cfg);
    schedules::config(cfg);
    item_form::config(cfg);
    item_stock::config(cfg);
    counter::config(cfg);
    activity::config(cfg);
    settings::config(cfg);
    setup::config(cfg);
    stores::config(cfg);
    staff::config(cfg);
    shop_settings::config(cfg);
    webhooks::config(cfg);
}

/// What every dashboard page shows around its content.
pub struct Layout {
    pub staff_name: String,
    pub merchant_name: String,
    pub merchant_slug: String,
    pub catalog_version: i64,
    pub csrf_token: String,
    /// Which navigation entry is current: `items`, `counter` or `activity`.
    pub section: &'static str,
    /// A message carried over a redirect, shown once.
    pub flash: Option<Notice>,
    /// What the signed-in person's role lets them use, so pages leave out
    /// the rest (the server refuses it anyway).
    pub may: Allowed,
    /// The merchant's time zone: every time on the page is shown in it.
    pub time_zone: TimeZone,
}

/// The parts of the dashboard a role may use, for showing or leaving out
/// links and buttons (`inventory::permissions` decides).
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    pub look_up: bool,
    pub counter: bool,
    pub receive_and_count: bool,
    pub adjust_stock: bool,
    pub edit_items: bool,
    pub designate: bool,
    pub activity: bool,
    pub stores: bool,
    pub staff: bool,
    pub tokens: bool,
    pub webhooks: bool,
    pub shop: bool,
}

impl Allowed {
    pub fn of(current: &CurrentStaff) -> Allowed {
        use crate::inventory::permissions::Permission as P;
        Allowed {
            look_up: current.may(P::LookUpItems),
            counter: current.may(P::UseCounter),
            receive_and_count: current.may(P::ReceiveAndCount),
            adjust_stock: current.may(P::AdjustStock),
            edit_items: current.may(P::EditItems),
            designate: current.may(P::Designate),
            activity: current.may(P::ViewActivity),
            stores: current.may(P::ManageStores),
            staff: current.may(P::ManageStaff),
            tokens: current.may(P::ManageTokens),
            webhooks: current.may(P::ManageWebhooks),
            shop: current.may(P::ManageShop),
        }
    }

    /// Whether any settings page is open to this role.
    pub fn any_settings(&self) -> bool {
        self.stores || self.staff || self.tokens || self.webhooks || self.shop
    }
}

impl Layout {
    pub fn new(current: &CurrentStaff, section: &'static str) -> Layout {
        Layout {
            staff_name: current.staff.display_name.clone(),
            merchant_name: current.merchant.name.clone(),
            merchant_slug: current.merchant.slug.clone(),
            catalog_version: current.merchant.catalog_version,
            csrf_token: csrf::token(&current.session),
            section,
            flash: take_flash(&current.session),
            may: Allowed::of(current),
            time_zone: current.merchant.time_zone,
        }
    }

    /// A stored time (UTC) as the merchant's clock shows it, with the zone.
    pub fn at(&self, utc: &NaiveDateTime) -> String {
        self.time_zone.show(*utc, "%Y-%m-%d %H:%M")
    }

    /// Like `at`, to the second.
    pub fn at_seconds(&self, utc: &NaiveDateTime) -> String {
        self.time_zone.show(*utc, "%Y-%m-%d %H:%M:%S")
    }

    /// The flash message as the toast region shows it (empty without one).
    /// Whether the page's message sits in place above its content rather than
    /// in the fixed toast region: the counter's pages are whole-page flows
    /// (scan, sell, scan) whose next button sits at the bottom of a phone's
    /// screen, where a toast would cover it.
    pub fn flash_in_place(&self) -> bool {
        self.section == "counter"
    }

    pub fn toast(&self) -> String {
        self.flash.as_ref().map_or_else(String::new, |notice| {
            Toast {
                notice,
                csrf_token: &self.csrf_token,
            }
            .html()
        })
    }

    /// Like `at`, the time of day only.
    pub fn time_of_day(&self, utc: &NaiveDateTime) -> String {
        self.time_zone.show(*utc, "%H:%M:%S")
    }
}

/// A message for the merchant, with its tone, shown in the toast region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// `success`, `warning` or `error`; also the CSS class.
    pub tone: String,
    pub text: String,
    /// Phrases of `text` that link somewhere (e.g. "receive stock").
    #[serde(default)]
    pub links: Vec<NoticeLink>,
    /// The designation change the message is about, which Undo reverts.
    #[serde(default)]
    pub undo: Option<NoticeUndo>,
}

/// A phrase of a notice's text and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeLink {
    pub phrase: String,
    pub href: String,
}

/// The Undo of a notice: the audit entry to revert (the same versioned undo
/// as /activity), the row it redraws and the list to come back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeUndo {
    pub entry_id: i64,
    pub item_id: i64,
    pub return_to: String,
}

/// A run of a notice's text, linked or not.
pub struct NoticePiece<'a> {
    pub text: &'a str,
    pub href: Option<&'a str>,
}

impl Notice {
    fn with_tone(tone: &str, text: impl Into<String>) -> Notice {
        Notice {
            tone: tone.into(),
            text: text.into(),
            links: Vec::new(),
            undo: None,
        }
    }

    pub fn success(text: impl Into<String>) -> Notice {
        Notice::with_tone("success", text)
    }

    pub fn warning(text: impl Into<String>) -> Notice {
        Notice::with_tone("warning", text)
    }

    pub fn error(text: impl Into<String>) -> Notice {
        Notice::with_tone("error", text)
    }

    /// Links the first occurrence of `phrase` (after the previous link) to `href`.
    pub fn link(mut self, phrase: &str, href: String) -> Notice {
        self.links.push(NoticeLink {
            phrase: phrase.to_owned(),
            href,
        });
        self
    }

    pub fn with_undo(mut self, undo: NoticeUndo) -> Notice {
        self.undo = Some(undo);
        self
    }

    /// The text in runs, the linked phrases with their links; together
    /// they read exactly as `text`.
    pub fn pieces(&self) -> Vec<NoticePiece<'_>> {
        let mut pieces = Vec::new();
        let mut rest = self.text.as_str();
        for link in &self.links {
            let Some(at) = rest.find(link.phrase.as_str()) else {
                continue;
            };
            let (before, from) = rest.split_at(at);
            let (phrase, after) = from.split_at(link.phrase.len());
            if !before.is_empty() {
                pieces.push(NoticePiece {
                    text: before,
                    href: None,
                });
            }
            pieces.push(NoticePiece {
                text: phrase,
                href: Some(link.href.as_str()),
            });
            rest = after;
        }
        if !rest.is_empty() {
            pieces.push(NoticePiece {
                text: rest,
                href: None,
            });
        }
        pieces
    }
}

/// A notice as the toast region shows it.
#[derive(Template)]
#[template(path = "_toast.html")]
pub struct Toast<'a> {
    pub notice: &'a Notice,
    pub csrf_token: &'a str,
}

impl Toast<'_> {
    /// The toast's HTML; nothing (logged) should the template fail.
    pub fn html(&self) -> String {
        self.render().unwrap_or_else(|error| {
            log::error!("the toast template failed: {error}");
            String::new()
        })
    }
}

const FLASH: &str = "flash";

/// Keeps a notice for the next page this session renders (after a redirect).
pub fn set_flash(session: &Session, notice: Notice) {
    if let Err(error) = session.insert(FLASH, notice) {
        log::warn!("could not store a flash message: {error}");
    }
}

fn take_flash(session: &Session) -> Option<Notice> {
    session.remove_as::<Notice>(FLASH).and_then(Result::ok)
}

/// A same-site dashboard path to return to after a form (`ReturnPath`), or
/// `fallback`. Anything else (another host, a scheme, a path a browser would
/// read as another host) is ignored to avoid open redirects.
pub fn safe_return(path: Option<&str>, fallback: &str) -> String {
    path.and_then(|raw| ReturnPath::parse(raw).ok())
        .map_or_else(|| fallback.to_owned(), ReturnPath::into_string)
}

/// A 303 redirect, the answer to a successful non-htmx form post.
/// The item version a form carried back: what the page showed, so the
/// service can refuse a change made meanwhile. `None` when missing or garbled.
pub fn form_version(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|v| v.trim().parse::<i64>().ok())
}

/// `form_version`, or the 400 page saying nothing was changed.
pub fn required_version(raw: Option<&str>) -> Result<i64, crate::web::errors::HtmlError> {
    form_version(raw).ok_or_else(|| {
        crate::web::errors::HtmlError::BadRequest(
            "The form was missing the item version; nothing was changed.".into(),
        )
    })
}

pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
