//! Query parameters of the list endpoints, parsed into domain values at the
//! edge: every bad value is a 422 naming the parameter, never a 500 and never
//! silently ignored. Also the opaque page cursor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::errors::ApiError;
use crate::inventory::lists::MAX_PAGE;

/// `include` of the online list, as the contract spells it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OnlineInclude {
    /// Store-only items too, as `"listed_online": false`.
    Unlisted,
}

/// `include` of a store list, as the contract spells it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum StoreInclude {
    /// Online-only items too, as `"sellable_in_store": false`.
    All,
}

/// Records per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 100;

/// The query string as (name, value) pairs, refusing repeats and names the
/// endpoint does not take.
fn pairs(query: &str, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_str(query).map_err(|e| {
        ApiError::invalid_parameter("query", format!("The query string is not valid: {e}"))
    })?;
    for (index, (name, _)) in pairs.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            return Err(ApiError::invalid_parameter(
                name,
                format!(
                    "Unknown parameter {name:?}; this endpoint takes {}.",
                    allowed.join(", ")
                ),
            ));
        }
        if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
            return Err(ApiError::invalid_parameter(
                name,
                format!("Send {name} once."),
            ));
        }
    }
    Ok(pairs)
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn parse_limit(raw: Option<&str>) -> Result<i64, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    raw.parse::<i64>()
        .ok()
        .filter(|limit| (1..=MAX_PAGE).contains(limit))
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                "limit",
                format!("limit must be a whole number from 1 to {MAX_PAGE}, not {raw:?}."),
            )
        })
}

fn parse_since(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|since| *since >= 0)
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "since_version",
                    format!(
                        "since_version must be a catalog version (a whole number, 0 or more), not {raw:?}."
                    ),
                )
            })
    })
    .transpose()
}

/// Which list a cursor pages through; a cursor only works for its own list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum CursorList {
    Online = 1,
    Store = 2,
}

/// Where a paged read stands: after which id, in which read, since when.
///
/// On the wire it is opaque: base64url of the fields and a checksum binding
/// them to the merchant and the list, so an edited, truncated or foreign
/// cursor is refused (422) instead of silently reading the wrong page. It is
/// not a secret and grants nothing the token does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The next page starts after this item id.
    pub after_id: i64,
    /// The catalog version of the read's first page: every page of the read
    /// reports it, and a client follows up with `since_version=` it.
    pub read_version: i64,
    /// The delta's `since_version`, or the store list's location.
    scope: i64,
    /// `include=unlisted` / `include=all`.
    pub include: bool,
}

const CURSOR_FORMAT: u8 = 1;
const CURSOR_LEN: usize = 2 + 1 + 8 * 3 + 8;

impl Cursor {
    fn checksum(list: CursorList, merchant_id: i64, payload: &[u8]) -> [u8; 8] {
        let mut hasher = Sha256::new();
        hasher.update(b"shelfsync list cursor");
        hasher.update([list as u8]);
        hasher.update(merchant_id.to_be_bytes());
        hasher.update(payload);
        let digest = hasher.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }

    fn encode(self, list: CursorList, merchant_id: i64) -> String {
        let mut bytes = Vec::with_capacity(CURSOR_LEN);
        bytes.push(CURSOR_FORMAT);
        bytes.push(list as u8);
        bytes.push(u8::from(self.include));
        bytes.extend_from_slice(&self.after_id.to_be_bytes());
        bytes.extend_from_slice(&self.read_version.to_be_bytes());
        bytes.extend_from_slice(&self.scope.to_be_bytes());
        let checksum = Cursor::checksum(list, merchant_id, &bytes);
        bytes.extend_from_slice(&checksum);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn decode(raw: &str, list: CursorList, merchant_id: i64) -> Result<Cursor, ApiError> {
        let refuse = || {
            ApiError::invalid_parameter(
                "cursor",
                "cursor is not one this list handed out; pass next_cursor from the previous page unchanged.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| refuse())?;
        if bytes.len() != CURSOR_LEN || bytes[0] != CURSOR_FORMAT || bytes[1] != list as u8 {
            return Err(refuse());
        }
        let (payload, checksum) = bytes.split_at(CURSOR_LEN - 8);
        if checksum != Cursor::checksum(list, merchant_id, payload) {
            return Err(refuse());
        }
        let int = |at: usize| {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(&payload[at..at + 8]);
            i64::from_be_bytes(buf)
        };
        let include = match payload[2] {
            0 => false,
            1 => true,
            _ => return Err(refuse()),
        };
        Ok(Cursor {
            after_id: int(3),
            read_version: int(11),
            scope: int(19),
            include,
        })
    }
}

/// A request for the online list (`GET /api/v1/storefront/items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineListParams {
    pub limit: i64,
    /// Only changes after this catalog version, with tombstones.
    pub since_version: Option<i64>,
    /// `include=unlisted`: store-only items too, as `listed_online: false`.
    pub include_unlisted: bool,
    /// Where a paged read stands; `None` for its first page.
    pub cursor: Option<Cursor>,
}

impl OnlineListParams {
    pub fn parse(query: &str, merchant_id: i64) -> Result<OnlineListParams, ApiError> {
        let pairs = pairs(query, &["limit", "cursor", "since_version", "include"])?;
        let limit = parse_limit(value(&pairs, "limit"))?;
        let since_version = parse_since(value(&pairs, "since_version"))?;
        let include_unlisted = match value(&pairs, "include") {
            None | Some("") => false,
            Some("unlisted") => true,
            Some(other) => {
                return Err(ApiError::invalid_parameter(
                    "include",
                    format!("include takes \"unlisted\" here, not {other:?}."),
                ));
            }
        };
        let cursor = value(&pairs, "cursor")
            .map(|raw| Cursor::decode(raw, CursorList::Online, merchant_id))
            .transpose()?;
        if let Some(cursor) = cursor {
            // A paged read keeps the since_version and include of its first page.
            let cursor_since = (cursor.scope >= 0).then_some(cursor.scope);
            if since_version.is_some() && since_version != cursor_since {
                return Err(ApiError::invalid_parameter(
                    "since_version",
                    "since_version differs from the read this cursor belongs to; send the same one, or leave it out with a cursor.",
                ));
            }
            if value(&pairs, "include").is_some() && include_unlisted != cursor.include {
                return Err(ApiError::invalid_parameter(
                    "include",
                    "include differs from the read this cursor belongs to; send the same one, or leave it out with a cursor.",
                ));
            }
            return Ok(OnlineListParams {
                limit,
                since_version: cursor_since,
                include_unlisted: cursor.include,
                cursor: Some(cursor),
            });
        }
        Ok(OnlineListParams {
            limit,
            since_version,
            include_unlisted,
            cursor: None,
        })
    }

    /// The cursor of the page after one whose last item is `after_id`.
    pub fn next_cursor(&self, merchant_id: i64, read_version: i64, after_id: i64) -> String {
        Cursor {
            after_id,
            read_version: self.cursor.map_or(read_version, |c| c.read_version),
            scope: self.since_version.unwrap_or(-1),
            include: self.include_unlisted,
        }
        .encode(CursorList::Online, merchant_id)
    }

    /// The same request spelled one way, for cache keys.
    pub fn normalised(&self) -> String {
        format!(
            "limit={}&since_version={}&include={}&after={}&read={}",
            self.limit,
            self.since_version.map_or(String::new(), |v| v.to_string()),
            if self.include_unlisted {
                "unlisted"
            } else {
                ""
            },
            self.cursor
                .map_or(String::new(), |c| c.after_id.to_string()),
            self.cursor
                .map_or(String::new(), |c| c.read_version.to_string()),
        )
    }
}

/// A request for a store list (`GET /api/v1/pos/items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreListParams {
    pub limit: i64,
    /// `include=all`: online-only items too, as `sellable_in_store: false`.
    pub include_all: bool,
    /// The store asked for, if the client named one (it must be the token's).
    pub location_id: Option<i64>,
    pub cursor: Option<Cursor>,
}

impl StoreListParams {
    /// Parses a request of a token bound to `location_id`.
    pub fn parse(
        query: &str,
        merchant_id: i64,
        token_location: i64,
    ) -> Result<StoreListParams, ApiError> {
        let pairs = pairs(query, &["limit", "cursor", "include", "location_id"])?;
        let limit = parse_limit(value(&pairs, "limit"))?;
        let include_all = match value(&pairs, "include") {
            None | Some("") => false,
            Some("all") => true,
            Some(other) => {
                return Err(ApiError::invalid_parameter(
                    "include",
                    format!("include takes \"all\" here, not {other:?}."),
                ));
            }
        };
        let location_id = value(&pairs, "location_id")
            .map(|raw| {
                raw.parse::<i64>().map_err(|_| {
                    ApiError::invalid_parameter(
                        "location_id",
                        format!("location_id must be a store id, not {raw:?}."),
                    )
                })
            })
            .transpose()?;
        let cursor = value(&pairs, "cursor")
            .map(|raw| Cursor::decode(raw, CursorList::Store, merchant_id))
            .transpose()?;
        if let Some(cursor) = cursor {
            if cursor.scope != token_location {
                return Err(ApiError::invalid_parameter(
                    "cursor",
                    "cursor belongs to another store's list.",
                ));
            }
            if value(&pairs, "include").is_some() && include_all != cursor.include {
                return Err(ApiError::invalid_parameter(
                    "include",
                    "include differs from the read this cursor belongs to; send the same one, or leave it out with a cursor.",
                ));
            }
        }
        Ok(StoreListParams {
            limit,
            include_all: cursor.map_or(include_all, |c| c.include),
            location_id,
            cursor,
        })
    }

    pub fn next_cursor(
        &self,
        merchant_id: i64,
        location_id: i64,
        read_version: i64,
        after_id: i64,
    ) -> String {
        Cursor {
            after_id,
            read_version: self.cursor.map_or(read_version, |c| c.read_version),
            scope: location_id,
            include: self.include_all,
        }
        .encode(CursorList::Store, merchant_id)
    }

    pub fn normalised(&self) -> String {
        format!(
            "limit={}&include={}&after={}&read={}",
            self.limit,
            if self.include_all { "all" } else { "" },
            self.cursor
                .map_or(String::new(), |c| c.after_id.to_string()),
            self.cursor
                .map_or(String::new(), |c| c.read_version.to_string()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(error: ApiError) -> String {
        error.details["parameter"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (query, name) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("since_version=-1", "since_version"),
            ("since_version=abc", "since_version"),
            ("include=everything", "include"),
            ("cursor=abc", "cursor"),
            ("colour=blue", "colour"),
            ("limit=1&limit=2", "limit"),
        ] {
            let error = OnlineListParams::parse(query, 1).expect_err(query);
            assert_eq!(error.status.as_u16(), 422, "{query}");
            assert_eq!(parameter(error), name, "{query}");
        }
    }

    #[test]
    fn a_cursor_round_trips_and_carries_its_read() {
        let first =
            OnlineListParams::parse("since_version=4&include=unlisted&limit=5", 9).expect("valid");
        let next = first.next_cursor(9, 12, 77);
        let second = OnlineListParams::parse(&format!("cursor={next}"), 9).expect("valid");
        assert_eq!(second.since_version, Some(4));
        assert!(second.include_unlisted);
        assert_eq!(second.limit, DEFAULT_LIMIT);
        let cursor = second.cursor.expect("a cursor");
        assert_eq!((cursor.after_id, cursor.read_version), (77, 12));
        // Later pages keep the first page's read version.
        let third = second.next_cursor(9, 15, 90);
        let third = OnlineListParams::parse(&format!("cursor={third}"), 9).expect("valid");
        assert_eq!(third.cursor.map(|c| c.read_version), Some(12));
    }

    #[test]
    fn an_edited_or_foreign_cursor_is_refused() {
        let params = OnlineListParams::parse("", 9).expect("valid");
        let cursor = params.next_cursor(9, 3, 40);
        let mut edited = cursor.clone().into_bytes();
        let last = edited.len() - 5;
        edited[last] = if edited[last] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(edited).expect("ascii");
        for query in [
            format!("cursor={edited}"),
            format!("cursor={}", &cursor[..cursor.len() - 2]),
        ] {
            let error = OnlineListParams::parse(&query, 9).expect_err("edited");
            assert_eq!(parameter(error), "cursor");
        }
        let other_merchant = OnlineListParams::parse(&format!("cursor={cursor}"), 10)
            .expect_err("another merchant's cursor");
        assert_eq!(parameter(other_merchant), "cursor");
        let store = StoreListParams::parse(&format!("cursor={cursor}"), 9, 1)
            .expect_err("an online-list cursor on the store list");
        assert_eq!(parameter(store), "cursor");
    }

    #[test]
    fn a_cursor_with_a_different_since_version_is_refused() {
        let first = OnlineListParams::parse("since_version=4", 9).expect("valid");
        let next = first.next_cursor(9, 12, 77);
        let error = OnlineListParams::parse(&format!("cursor={next}&since_version=5"), 9)
            .expect_err("mismatch");
        assert_eq!(parameter(error), "since_version");
        OnlineListParams::parse(&format!("cursor={next}&since_version=4"), 9)
            .expect("the same since_version is fine");
    }
}
