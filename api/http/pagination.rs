//! Keyset pagination: `?limit=` (1-100, default 25) and an opaque `?cursor=`; bodies are
//! `{"data": [...], "next_cursor": ...}` and a `Link: <...>; rel="next"` header points at the
//! next page. Cursors hold the last row's sort key, never an offset, so pages stay stable
//! while rows are inserted.

use actix_web::{http::header, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{de::DeserializeOwned, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<ApiResult<T>> {
    /// The page of items, or the first item that failed to convert.
    pub fn transpose(self) -> ApiResult<Page<T>> {
        let data = self.data.into_iter().collect::<ApiResult<Vec<T>>>()?;
        Ok(Page { data, next_cursor: self.next_cursor })
    }
}

/// Checks `limit` (400 outside 1-100) and applies the default.
pub fn limit(requested: Option<u32>) -> ApiResult<i64> {
    match requested {
        None => Ok(i64::from(DEFAULT_LIMIT)),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(i64::from(n)),
        Some(_) => Err(ApiError::BadRequest { detail: format!("limit must be between 1 and {MAX_LIMIT}") }),
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is a 400.
pub fn decode_cursor<K: DeserializeOwned>(cursor: Option<&str>) -> ApiResult<Option<K>> {
    // An empty `cursor=` is what naive clients send for "from the start".
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
    let invalid = || ApiError::BadRequest {
        detail: "the cursor is invalid; use next_cursor from a previous page".into(),
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map(Some).map_err(|_| invalid())
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says that more exist.
pub fn paginate<R, T, K: Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    key_of: impl Fn(&R) -> K,
    into_item: impl FnMut(R) -> T,
) -> Page<T> {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next_cursor = if has_more { rows.last().map(|row| encode_cursor(&key_of(row))) } else { None };
    Page { data: rows.into_iter().map(into_item).collect(), next_cursor }
}

/// The page as JSON, with a `Link` header to the next page.
pub fn respond<T: Serialize>(req: &HttpRequest, page: Page<T>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &page.next_cursor {
        response.insert_header((header::LINK, format!("<{}>; rel=\"next\"", next_link(req, cursor))));
    }
    response.json(page)
}

/// A page whose items are JSON text already (views rendered when their resource was written),
/// and its strong `ETag`.
pub struct RawPage {
    pub data: Vec<String>,
    pub next_cursor: Option<String>,
    pub tag: String,
}

impl RawPage {
    /// `{"data": [...], "next_cursor": ...}`, the items copied in as they are.
    fn body(&self) -> Vec<u8> {
        let size = self.data.iter().map(|item| item.len() + 1).sum::<usize>() + 64;
        let mut body = Vec::with_capacity(size);
        body.extend_from_slice(b"{\"data\":[");
        for (index, item) in self.data.iter().enumerate() {
            if index > 0 {
                body.push(b',');
            }
            body.extend_from_slice(item.as_bytes());
        }
        body.extend_from_slice(b"],\"next_cursor\":");
        let cursor = serde_json::to_string(&self.next_cursor).unwrap_or_else(|_| "null".into());
        body.extend_from_slice(cursor.as_bytes());
        body.push(b'}');
        body
    }
}

/// As [`respond`], for a [`RawPage`] others may cache: with its `ETag`, and 304 when
/// `If-None-Match` names it (see [`super::etag::cacheable`]).
pub fn respond_raw_cacheable(req: &HttpRequest, page: RawPage, max_age_secs: u32) -> HttpResponse {
    let body = page.body();
    let tag = page.tag;
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &page.next_cursor {
        response.insert_header((header::LINK, format!("<{}>; rel=\"next\"", next_link(req, cursor))));
    }
    let answer = response.content_type("application/json").body(body);
    super::etag::cacheable(req, tag, max_age_secs, answer)
}

fn next_link(req: &HttpRequest, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| key != "cursor")
            .collect();
    pairs.push(("cursor".into(), cursor.into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", req.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = encode_cursor(&("2026-01-01T00:00:00", "abc"));
        let decoded: Option<(String, String)> = decode_cursor(Some(&cursor)).unwrap();
        assert_eq!(decoded, Some(("2026-01-01T00:00:00".into(), "abc".into())));
        assert!(decode_cursor::<(String, String)>(Some("%%%")).is_err());
        assert!(decode_cursor::<(String, String)>(None).unwrap().is_none());
    }

    #[test]
    fn pages_know_whether_more_rows_exist() {
        let page = paginate(vec![1, 2, 3], 2, |r| *r, |r| r * 10);
        assert_eq!(page.data, vec![10, 20]);
        assert_eq!(decode_cursor::<i32>(page.next_cursor.as_deref()).unwrap(), Some(2));
        let last = paginate(vec![1, 2], 2, |r| *r, |r| r);
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 25);
        assert_eq!(limit(Some(100)).unwrap(), 100);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }
}
