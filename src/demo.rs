//! The demo merchant "Corner Goods": two stores, about sixty items in every
//! designation state, some stock, and a staff login. Created through the
//! inventory service like any other data.

use crate::db::DbConnection;
use crate::domain::{
    Barcode, Currency, Designation, Email, IdempotencyKey, OnlineListing, Quantity,
};
use crate::inventory::items::ItemInput;
use crate::inventory::merchants::{self, Merchant};
use crate::inventory::{self, Actor, InventoryError, ItemFields, stock, stores};

/// The demo merchant's storefront slug.
pub const SLUG: &str = "corner-goods";
/// The demo staff login.
pub const EMAIL: &str = "sam@cornergoods.example";
/// The demo staff password.
pub const PASSWORD: &str = "shelfsync-demo";

/// (name, description, price in cents)
const CATALOGUE: [(&str, &str, i64); 60] = [
    (
        "Blue mug",
        "Stoneware mug, 350 ml, glazed in cobalt blue.",
        1450,
    ),
    (
        "Speckled mug",
        "Hand-thrown mug with an oatmeal speckle glaze.",
        1800,
    ),
    (
        "Enamel camping mug",
        "Light enamel mug for the trail, 300 ml.",
        1200,
    ),
    (
        "Espresso cup pair",
        "Two porcelain espresso cups with saucers.",
        2200,
    ),
    (
        "Teapot, 1 litre",
        "Cast-iron teapot with a removable infuser.",
        4800,
    ),
    (
        "Sencha green tea",
        "Loose-leaf Japanese sencha, 100 g tin.",
        1350,
    ),
    (
        "Earl Grey tea",
        "Black tea with bergamot, 125 g pouch.",
        950,
    ),
    ("Chamomile tea", "Whole chamomile flowers, 50 g.", 850),
    (
        "Single-origin coffee beans",
        "Washed Ethiopian beans, 250 g, roasted weekly.",
        1650,
    ),
    ("Pour-over dripper", "Ceramic cone dripper, size 02.", 2400),
    (
        "Paper filters, 100",
        "Unbleached filters for size 02 drippers.",
        650,
    ),
    (
        "Dot-grid notebook A5",
        "192 pages, lay-flat binding, 100 gsm paper.",
        1900,
    ),
    (
        "Lined notebook A6",
        "Pocket notebook with a linen cover.",
        900,
    ),
    (
        "Sketchbook A4",
        "Heavyweight paper for dry media, 80 pages.",
        2100,
    ),
    (
        "Fountain pen, fine",
        "Steel fine nib, converter included.",
        3200,
    ),
    (
        "Ink bottle, blue-black",
        "50 ml of bottled fountain-pen ink.",
        1400,
    ),
    ("Gel pens, set of 5", "Quick-drying 0.5 mm gel pens.", 750),
    (
        "Mechanical pencil 0.5",
        "Brass-weighted drafting pencil.",
        1600,
    ),
    (
        "Washi tape trio",
        "Three rolls of patterned paper tape.",
        850,
    ),
    (
        "Greeting card, botanical",
        "Blank card with envelope, recycled stock.",
        450,
    ),
    ("Wrapping paper roll", "Kraft paper, 5 m roll.", 700),
    (
        "Soy candle, cedar",
        "Hand-poured candle, 40 hours burn time.",
        2600,
    ),
    (
        "Soy candle, fig",
        "Hand-poured candle, 40 hours burn time.",
        2600,
    ),
    (
        "Tealights, 24",
        "Unscented tealights in aluminium cups.",
        550,
    ),
    ("Matchbox, long", "Long safety matches for candles.", 350),
    ("Linen tea towel", "Stonewashed linen, natural.", 1500),
    ("Cotton tote bag", "Heavy canvas tote with a gusset.", 1800),
    ("Wool beanie", "Merino rib-knit hat, charcoal.", 3400),
    ("Wool socks", "Hiking socks, size M.", 1700),
    ("Leather key ring", "Vegetable-tanned leather loop.", 1100),
    (
        "Brass bottle opener",
        "Solid brass, fits on a key ring.",
        1300,
    ),
    (
        "Pocket knife",
        "Folding knife with an olive-wood handle.",
        4500,
    ),
    (
        "Bamboo cutlery set",
        "Fork, knife, spoon and straw in a pouch.",
        1200,
    ),
    ("Glass water bottle", "600 ml with a silicone sleeve.", 2200),
    (
        "Insulated flask",
        "Keeps drinks hot for 12 hours, 500 ml.",
        3000,
    ),
    ("Lunch box, steel", "Two-tier stainless lunch box.", 2800),
    ("Beeswax food wraps", "Set of three reusable wraps.", 1600),
    ("Olive-wood spoon", "Hand-carved cooking spoon.", 1400),
    ("Cast-iron skillet 20 cm", "Pre-seasoned skillet.", 3900),
    ("Chef's apron", "Waxed cotton apron with pockets.", 4200),
    ("Sea salt flakes", "Hand-harvested flaky salt, 250 g.", 800),
    ("Wildflower honey", "Raw local honey, 340 g jar.", 1250),
    ("Strawberry jam", "Small-batch jam, 220 g.", 750),
    ("Dark chocolate bar", "70% cocoa, 80 g.", 550),
    ("Salted caramels", "Box of 12 hand-wrapped caramels.", 1500),
    ("Olive oil, 500 ml", "Cold-pressed extra virgin.", 2100),
    ("Houseplant mister", "Glass mister with a brass pump.", 2400),
    ("Terracotta pot 12 cm", "Unglazed pot with saucer.", 900),
    (
        "Pothos plant",
        "Golden pothos in a 12 cm nursery pot.",
        1500,
    ),
    ("Succulent trio", "Three small succulents, potted.", 1800),
    ("Plant food", "Liquid feed for houseplants, 250 ml.", 950),
    (
        "Jigsaw puzzle, 1000",
        "Illustrated map of the old town.",
        2500,
    ),
    (
        "Playing cards",
        "Linen-finish deck with a custom back.",
        1200,
    ),
    ("Wooden yo-yo", "Classic beech yo-yo.", 650),
    ("Kite, diamond", "Ripstop nylon kite with 30 m line.", 2900),
    ("Picture book", "A fox's year, illustrated, hardback.", 1600),
    (
        "Local walking guide",
        "Twenty walks within an hour of town.",
        1400,
    ),
    ("Postcard set", "Ten postcards of the harbour.", 800),
    ("Gift card sleeve", "A paper sleeve for gift cards.", 0),
    (
        "Vintage radio",
        "Restored 1960s transistor radio, one of a kind.",
        12500,
    ),
];

/// The designation of the demo item at `index`, cycling through every state.
fn designation_for(index: usize) -> Designation {
    let (in_store, online) = match index % 6 {
        0 => (true, OnlineListing::ForSale),
        1 => (true, OnlineListing::Hidden),
        2 => (true, OnlineListing::ViewOnly),
        3 => (true, OnlineListing::ForSale),
        4 => (false, OnlineListing::ForSale),
        _ => (false, OnlineListing::Hidden),
    };
    Designation::new(in_store, online).expect("every demo pair satisfies the view-only rule")
}

/// An EAN-13 in the GS1 in-store range (prefix 20), unique per item.
fn barcode_for(index: usize) -> String {
    let body = format!("20{:010}", 4_711_000 + index);
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    format!("{body}{}", Barcode::check_digit(&digits))
}

/// What `seed` made, for the one line a first start logs about it.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub merchant: Merchant,
    pub stores: usize,
    pub items: usize,
    /// Stock receipts recorded, each a movement on the ledger.
    pub receipts: usize,
    pub units: i64,
}

impl Seeded {
    /// "2 stores, 60 items, 108 stock receipts of 589 units".
    pub fn summary(&self) -> String {
        format!(
            "{} stores, {} items, {} stock receipts of {} units",
            self.stores, self.items, self.receipts, self.units
        )
    }
}

/// Creates the demo merchant unless it exists; returns it either way.
pub fn create(conn: &mut DbConnection) -> Result<Merchant, InventoryError> {
    Ok(seed(conn)?.merchant)
}

/// Creates the demo merchant unless it exists (then nothing is counted as
/// made), and says what it made. Its receipts are not logged one by one.
pub fn seed(conn: &mut DbConnection) -> Result<Seeded, InventoryError> {
    if let Ok(existing) = Merchant::by_slug(conn, SLUG) {
        return Ok(Seeded {
            merchant: existing,
            stores: 0,
            items: 0,
            receipts: 0,
            units: 0,
        });
    }
    let usd = Currency::parse("USD")?;
    let merchant = merchants::create_merchant(conn, SLUG, "Corner Goods", usd)?;
    let downtown = stores::add_location(conn, merchant.id, "Downtown", true)?;
    let riverside = stores::add_location(conn, merchant.id, "Riverside", false)?;
    merchants::create_staff(
        conn,
        merchant.id,
        &Email::parse(EMAIL)?,
        "Sam Rivera",
        PASSWORD,
    )?;
    let actor = Actor::system();
    let (mut receipts, mut units) = (0, 0);
    for (index, (name, description, cents)) in CATALOGUE.iter().enumerate() {
        let price = format!("{}.{:02}", cents / 100, cents % 100);
        let sku = format!("CG-{:04}", 1001 + index);
        let barcode = barcode_for(index);
        let fields = ItemFields::parse(
            &ItemInput {
                sku: &sku,
                name,
                description,
                price: &price,
                currency: "",
                barcode: &barcode,
            },
            usd,
        )
        .map_err(|errors| {
            InventoryError::Corrupt(format!("demo item {sku} does not parse: {errors:?}"))
        })?;
        let item = inventory::items::create_item(
            conn,
            &actor,
            merchant.id,
            &fields,
            designation_for(index),
        )?;
        // Deterministic, varied stock: some sold out, some only at one store.
        let downtown_qty = ((index * 7) % 13) as i64;
        let riverside_qty = ((index * 5) % 9) as i64;
        // Recorded as receipts through the ledger, like a delivery would be.
        for (store, quantity) in [(&downtown, downtown_qty), (&riverside, riverside_qty)] {
            if quantity > 0 {
                stock::receive(
                    conn,
                    &actor,
                    merchant.id,
                    item.id,
                    store.id,
                    Quantity::new(quantity, "quantity")?,
                    IdempotencyKey::parse(&format!("demo-receipt-{}-{}", item.id, store.id))?,
                )?;
                receipts += 1;
                units += quantity;
            }
        }
    }
    Ok(Seeded {
        merchant: Merchant::find(conn, merchant.id)?,
        stores: 2,
        items: CATALOGUE.len(),
        receipts,
        units,
    })
}

/// The SKU prefix of generated items.
const GENERATED_PREFIX: &str = "GEN-";

/// Tops the merchant up to `count` generated items (`GEN-000001`, …), each
/// created through `create_item` like a merchant's own: its own transaction,
/// catalog version, audit entry and outbox event, so lists, deltas and
/// versions at 100k items are exactly what production data would give.
/// Designations cycle through every state; generated items hold no stock.
/// Returns how many were created; calls `progress` after each.
pub fn generate_items(
    conn: &mut DbConnection,
    merchant: &Merchant,
    count: u32,
    mut progress: impl FnMut(u32),
) -> Result<u32, InventoryError> {
    let existing = inventory::item_list::matching_ids(
        conn,
        merchant.id,
        GENERATED_PREFIX,
        Default::default(),
    )?
    .len() as u32;
    let actor = Actor::system();
    let mut made = 0;
    for number in existing + 1..=count {
        let index = number as usize;
        let (name, description, cents) = CATALOGUE[index % CATALOGUE.len()];
        let cents = cents + (index as i64 % 17) * 25;
        let sku = format!("{GENERATED_PREFIX}{number:06}");
        let name = format!("{name} No. {number}");
        let price = format!("{}.{:02}", cents / 100, cents % 100);
        let fields = ItemFields::parse(
            &ItemInput {
                sku: &sku,
                name: &name,
                description,
                price: &price,
                currency: "",
                barcode: "",
            },
            merchant.currency,
        )
        .map_err(|errors| {
            InventoryError::Corrupt(format!("generated item {sku} does not parse: {errors:?}"))
        })?;
        inventory::items::create_item(conn, &actor, merchant.id, &fields, designation_for(index))?;
        made += 1;
        progress(made);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_barcodes_are_valid_ean13() {
        for index in 0..CATALOGUE.len() {
            let code = barcode_for(index);
            assert!(
                matches!(Barcode::parse_optional(&code), Ok(Some(_))),
                "{code}"
            );
        }
    }

    #[test]
    fn demo_designations_cover_every_state() {
        let states: std::collections::HashSet<(bool, &str)> = (0..CATALOGUE.len())
            .map(designation_for)
            .map(|d| (d.in_store(), d.online().as_str()))
            .collect();
        assert_eq!(states.len(), 5);
    }
}
