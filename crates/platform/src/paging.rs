//! Bounded pages and opaque page tokens for keyset pagination, shared by every list RPC.
//!
//! A list request carries `page_size` (0: the default; more than the maximum: clamped; negative:
//! refused) and `page_token` (empty: the first page). [`PageRequest::parse`] turns both into a
//! size and an optional [`Cursor`]; the store query asks for `limit()` rows (one more than the page)
//! ordered by (sort key, id) after the cursor, and [`PageRequest::finish`] cuts the extra row off
//! and gives the next token. A token carries the sort key and id of the last row returned, plus a
//! fingerprint of the list and of its filters, so a token given with other filters (or to another
//! list) is refused instead of silently skipping rows. Not a secret: a checksum catches
//! corruption, the fingerprint catches reuse, the query runs with bound values.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::grpc::FieldViolation;

const FORMAT_VERSION: u8 = 1;

/// Page size when the caller gives none.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// The most rows a page may hold (larger requests are clamped).
pub const MAX_PAGE_SIZE: i64 = 500;

/// A parsed `page_size` and `page_token`: how many rows, after which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows in the page (at least 1, at most the maximum).
    pub size: i64,
    /// Start strictly after this (sort key, id); `None`: the first page.
    pub after: Option<Cursor>,
    fingerprint: u64,
}

impl PageRequest {
    /// Parses with the default size and maximum of every list RPC (50 and 500).
    pub fn parse(page_size: i32, page_token: &str, fingerprint: u64) -> Result<Self, Vec<FieldViolation>> {
        Self::parse_with(page_size, page_token, fingerprint, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    }

    /// Parses with another default size and maximum; every violation found is returned.
    pub fn parse_with(
        page_size: i32,
        page_token: &str,
        fingerprint: u64,
        default: i64,
        max: i64,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let size = match i64::from(page_size) {
            n if n < 0 => {
                violations.push(FieldViolation::new("page_size", "must not be negative"));
                default
            }
            0 => default,
            n => n.min(max),
        };
        let after = if page_token.trim().is_empty() {
            None
        } else {
            decode(page_token, fingerprint)
                .map_err(|e| violations.push(FieldViolation::new("page_token", e.to_string())))
                .ok()
        };
        if violations.is_empty() {
            Ok(Self {
                size,
                after,
                fingerprint,
            })
        } else {
            Err(violations)
        }
    }

    /// The first page of a list read whole by the service itself (the dashboard, reports).
    pub fn first(size: i64) -> Self {
        Self {
            size: size.max(1),
            after: None,
            fingerprint: 0,
        }
    }

    /// The page after `cursor`, for a caller iterating inside the service.
    pub fn after(size: i64, cursor: Cursor) -> Self {
        Self {
            size: size.max(1),
            after: Some(cursor),
            fingerprint: 0,
        }
    }

    /// Rows to ask the store for: one more than the page tells whether another page follows.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }

    /// The sort key and id of the cursor, as the store binds them.
    pub fn after_key(&self) -> Option<(String, Uuid)> {
        self.after.as_ref().map(|c| (c.key.clone(), c.id))
    }

    /// Cuts the extra row off `rows` (fetched with [`Self::limit`]) and returns the next page
    /// token: empty when this was the last page.
    pub fn finish<T>(&self, rows: &mut Vec<T>, cursor_of: impl Fn(&T) -> Cursor) -> String {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        match (more, rows.last()) {
            (true, Some(last)) => encode(self.fingerprint, &cursor_of(last)),
            _ => String::new(),
        }
    }
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row returned, as text (the store casts it back).
    pub key: String,
    /// The id of the last row returned: breaks ties between equal keys.
    pub id: Uuid,
}

/// Why a token is refused (both are INVALID_ARGUMENT on `page_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    /// Not base64, damaged, or of another format.
    #[error("is not a page token of this service")]
    Malformed,
    /// A real token, of another list or of the same list with other filters.
    #[error("was issued for another list or other filters")]
    Foreign,
}

/// A stable fingerprint of a list and its normalised filters (FNV-1a, 64 bits): the same on every
/// build and every replica, unlike std's hasher.
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The token of a cursor, for the list and filters of `fingerprint`.
pub fn encode(fingerprint: u64, cursor: &Cursor) -> String {
    let mut bytes = Vec::with_capacity(1 + 8 + 16 + cursor.key.len() + 4);
    bytes.push(FORMAT_VERSION);
    bytes.extend_from_slice(&fingerprint.to_be_bytes());
    bytes.extend_from_slice(cursor.id.as_bytes());
    bytes.extend_from_slice(cursor.key.as_bytes());
    let check = checksum(&bytes);
    bytes.extend_from_slice(&check.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a token back; `expected` is the fingerprint of the request it comes with.
pub fn decode(token: &str, expected: u64) -> Result<Cursor, PageTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| PageTokenError::Malformed)?;
    if bytes.len() < 1 + 8 + 16 + 4 || bytes[0] != FORMAT_VERSION {
        return Err(PageTokenError::Malformed);
    }
    let (body, check) = bytes.split_at(bytes.len() - 4);
    if checksum(body).to_be_bytes() != check {
        return Err(PageTokenError::Malformed);
    }
    let fp = u64::from_be_bytes(body[1..9].try_into().map_err(|_| PageTokenError::Malformed)?);
    if fp != expected {
        return Err(PageTokenError::Foreign);
    }
    let id = Uuid::from_slice(&body[9..25]).map_err(|_| PageTokenError::Malformed)?;
    let key = String::from_utf8(body[25..].to_vec()).map_err(|_| PageTokenError::Malformed)?;
    Ok(Cursor { key, id })
}

fn checksum(bytes: &[u8]) -> u32 {
    // The low half of FNV-1a over the bytes: enough to tell a damaged token from a real one.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as u32
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn page_size_defaults_clamps_and_refuses_negative() {
        let fp = fingerprint(&["ptces"]);
        assert_eq!(PageRequest::parse(0, "", fp).map(|p| p.size), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(PageRequest::parse(2, "", fp).map(|p| p.size), Ok(2));
        assert_eq!(PageRequest::parse(500, "", fp).map(|p| p.size), Ok(500));
        assert_eq!(PageRequest::parse(10_000, "", fp).map(|p| p.size), Ok(MAX_PAGE_SIZE));
        assert_eq!(
            PageRequest::parse(i32::MAX, "", fp).map(|p| p.limit()),
            Ok(MAX_PAGE_SIZE + 1)
        );
        let err = PageRequest::parse(-1, "garbage!", fp).expect_err("both refused");
        let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["page_size", "page_token"]);
        assert_eq!(PageRequest::parse_with(300, "", fp, 50, 200).map(|p| p.size), Ok(200));
    }

    #[test]
    fn finish_cuts_the_extra_row_and_the_token_leads_to_the_rest() {
        let fp = fingerprint(&["rows"]);
        let ids: Vec<Uuid> = (1..=5u128).map(Uuid::from_u128).collect();
        let cursor = |id: &Uuid| Cursor {
            key: String::new(),
            id: *id,
        };
        let page = PageRequest::parse(2, "", fp).expect("valid");
        let mut rows: Vec<Uuid> = ids.iter().copied().take(page.limit() as usize).collect();
        let token = page.finish(&mut rows, cursor);
        assert_eq!(rows, ids[..2]);
        let next = PageRequest::parse(2, &token, fp).expect("own token");
        assert_eq!(next.after, Some(cursor(&ids[1])));
        assert!(PageRequest::parse(2, &token, fingerprint(&["other"])).is_err());
        let mut last: Vec<Uuid> = ids[4..].to_vec();
        assert_eq!(next.finish(&mut last, cursor), "");
        assert_eq!(last, ids[4..]);
    }

    #[test]
    fn tokens_round_trip_and_refuse_other_filters_and_garbage() {
        let fp = fingerprint(&["partners", "q=theatre"]);
        let cursor = Cursor {
            key: "theatre du champ".into(),
            id: Uuid::now_v7(),
        };
        let token = encode(fp, &cursor);
        assert_eq!(decode(&token, fp), Ok(cursor));
        assert_eq!(
            decode(&token, fingerprint(&["partners", "q=coop"])),
            Err(PageTokenError::Foreign)
        );
        assert_eq!(decode("not a token!", fp), Err(PageTokenError::Malformed));
        assert_eq!(decode("AAAA", fp), Err(PageTokenError::Malformed));
        let mut damaged = token.into_bytes();
        damaged[12] = if damaged[12] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            decode(&String::from_utf8(damaged).expect("ascii"), fp),
            Err(PageTokenError::Malformed)
        );
    }

    proptest! {
        #[test]
        fn any_cursor_survives_the_trip(key in "\\PC{0,60}", n in any::<u128>(), fp in any::<u64>()) {
            let cursor = Cursor { key, id: Uuid::from_u128(n) };
            prop_assert_eq!(decode(&encode(fp, &cursor), fp), Ok(cursor));
        }
    }
}
