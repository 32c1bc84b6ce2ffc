//! Facts about the demo catalogue that `shelfsync::demo` seeds and
//! `spawn_app` starts with: item ids (creation order) by designation state.

/// Blue mug: in store and for sale online, sold out online.
pub const BLUE_MUG_FOR_SALE: i64 = 1;
/// Speckled mug: in store, not online.
pub const SPECKLED_MUG_IN_STORE_ONLY: i64 = 2;
/// Camping mug: in store, view-only online.
pub const CAMPING_MUG_VIEW_ONLY: i64 = 3;
/// Teapot: for sale online, not in store.
pub const TEAPOT_ONLINE_ONLY: i64 = 5;
/// Sencha: neither in store nor online.
pub const SENCHA_NOWHERE: i64 = 6;
