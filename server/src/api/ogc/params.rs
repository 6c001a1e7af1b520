//! The query strings of `/ogc`: what an items request asks for (bbox,
//! limit, offset, datetime, level), and an import's mode.

use chrono::NaiveDate;
use rustc_hash::FxHashSet;
use serde_json::Value;

use super::collections::Coll;
use super::{CRS84, DEFAULT_LIMIT};
use crate::api::error::{ApiError, ApiResult};
use crate::app::layers::mode_name;
use crate::store::WriteMode;
use riskmap_engine::check_bbox;
use riskmap_engine::model::AreaLevel;

/// More parameters than any request of this API takes, several times over
/// (a bbox may be split over repeated parameters).
const MAX_QUERY_PARAMS: usize = 64;

/// The decoded query string, as key/value pairs; a string of more than
/// [`MAX_QUERY_PARAMS`] is refused before any of it is looked at.
pub(super) fn query_pairs(raw: Option<&str>) -> ApiResult<Vec<(String, String)>> {
    let raw = raw.unwrap_or("");
    if raw.split('&').count() > MAX_QUERY_PARAMS {
        return Err(ApiError::BadRequest(format!(
            "too many query parameters (at most {MAX_QUERY_PARAMS})"
        )));
    }
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .map_err(|e| ApiError::BadRequest(format!("cannot read the query string: {e}")))
}

/// Refuses parameters outside `allowed` and repeated ones. A `token` is
/// one of those refused: tokens travel in the `Authorization` header here
/// (in a URL they would end up in logs, histories and referrers).
pub(super) fn only_params(pairs: &[(String, String)], allowed: &[&str]) -> ApiResult<()> {
    let mut seen = FxHashSet::default();
    for (k, _) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "unknown parameter {k:?}; this request takes {}",
                allowed.join(", ")
            )));
        }
        if !seen.insert(k.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "parameter {k:?} is given twice"
            )));
        }
    }
    Ok(())
}

/// What an items request asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ItemsQuery {
    /// `west, south, east, north`; west > east crosses the antimeridian.
    pub(super) bbox: Option<[f64; 4]>,
    /// Items per page, clamped to the largest page.
    pub(super) limit: usize,
    /// Items skipped.
    pub(super) offset: usize,
    /// Applied to staff (last fix) and incidents (reported).
    pub(super) datetime: Option<TimeFilter>,
    /// Applied to areas only.
    pub(super) level: Option<AreaLevel>,
    /// The parameters every paging link repeats (all but limit and offset),
    /// as given.
    pub(super) carried: Vec<(String, String)>,
}

const ITEMS_PARAMS: [&str; 7] = [
    "bbox", "bbox-crs", "limit", "offset", "datetime", "level", "f",
];

pub(super) fn parse_items_query(
    pairs: &[(String, String)],
    max_page: usize,
    coll: Coll,
) -> ApiResult<ItemsQuery> {
    let pairs = &join_repeated(pairs, "bbox");
    only_params(pairs, &ITEMS_PARAMS)?;
    let mut q = ItemsQuery {
        bbox: None,
        limit: DEFAULT_LIMIT.min(max_page),
        offset: 0,
        datetime: None,
        level: None,
        carried: Vec::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            "bbox" => q.bbox = Some(parse_bbox(v)?),
            "bbox-crs" if v != CRS84 => {
                return Err(ApiError::BadRequest(format!(
                    "bbox-crs must be {CRS84}, got {v:?}"
                )));
            }
            "limit" => q.limit = parse_limit(v, max_page)?,
            "offset" => {
                let n = whole(v).ok_or_else(|| {
                    ApiError::BadRequest(format!("offset must be a whole number from 0, got {v:?}"))
                })?;
                q.offset = usize::try_from(n).unwrap_or(usize::MAX);
            }
            // An empty datetime is no filter.
            "datetime" if !v.trim().is_empty() => {
                q.datetime = Some(parse_datetime(v).map_err(ApiError::BadRequest)?);
            }
            // Checked everywhere, applied to areas only (like datetime, which
            // applies to staff only).
            "level" => {
                let level = parse_level(v)?;
                q.level = (coll == Coll::Areas).then_some(level);
            }
            "f" if !matches!(v.as_str(), "json" | "geojson") => {
                return Err(ApiError::BadRequest(format!(
                    "f must be json or geojson, got {v:?}"
                )));
            }
            _ => {}
        }
        if !matches!(k.as_str(), "limit" | "offset") {
            q.carried.push((k.clone(), v.clone()));
        }
    }
    Ok(q)
}

/// The values of a repeated parameter joined with commas, in place of the
/// first (OpenAPI's exploded form: `bbox=1&bbox=2&bbox=3&bbox=4`).
fn join_repeated(pairs: &[(String, String)], key: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    // Where the first `key` went: one pass, whatever the string holds.
    let mut joined_at: Option<usize> = None;
    for (k, v) in pairs {
        if let Some((_, joined)) = joined_at
            .filter(|_| k == key)
            .and_then(|at| out.get_mut(at))
        {
            joined.push(',');
            joined.push_str(v);
        } else {
            if k == key {
                joined_at = Some(out.len());
            }
            out.push((k.clone(), v.clone()));
        }
    }
    out
}

/// `west,south,east,north`, or six numbers with heights
/// (`west,south,min_height,east,north,max_height`; the heights are ignored).
fn parse_bbox(s: &str) -> ApiResult<[f64; 4]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::BadRequest(format!("bbox must be comma-separated numbers, got {s:?}"))
        })?;
    let b = match v.as_slice() {
        [w, s, e, n] | [w, s, _, e, n, _] => [*w, *s, *e, *n],
        _ => {
            return Err(ApiError::BadRequest(format!(
                "bbox needs 4 numbers (west,south,east,north) or 6 (with heights), got {}",
                v.len()
            )));
        }
    };
    check_bbox(b)?;
    Ok(b)
}

/// A whole number; one too large for 64 bits is taken as the largest.
fn whole(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

fn parse_limit(s: &str, max_page: usize) -> ApiResult<usize> {
    match whole(s) {
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max_page)),
        _ => Err(ApiError::BadRequest(format!(
            "limit must be a whole number from 1 (larger than {max_page} is taken as {max_page}), got {s:?}"
        ))),
    }
}

fn parse_level(s: &str) -> ApiResult<AreaLevel> {
    AreaLevel::ALL
        .into_iter()
        .find(|l| {
            serde_json::to_value(l)
                .ok()
                .as_ref()
                .and_then(Value::as_str)
                == Some(s)
        })
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "level must be city, district, street, community or grid, got {s:?}"
            ))
        })
}

pub(super) fn parse_mode(pairs: &[(String, String)]) -> ApiResult<WriteMode> {
    only_params(pairs, &["mode", "f"])?;
    match pairs
        .iter()
        .find(|(k, _)| k == "mode")
        .map(|(_, v)| v.as_str())
    {
        None => Ok(WriteMode::Merge),
        Some(given) => [WriteMode::Merge, WriteMode::Replace]
            .into_iter()
            .find(|&m| mode_name(m) == given)
            .ok_or_else(|| {
                ApiError::BadRequest(format!("mode must be merge or replace, got {given:?}"))
            }),
    }
}

/// A time filter: both ends inclusive, epoch milliseconds; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TimeFilter {
    from: Option<i64>,
    to: Option<i64>,
}

impl TimeFilter {
    pub(super) fn contains(self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }
}

/// An OGC `datetime`: an instant (`2026-01-01T00:00:00Z`, or a date, which
/// is the whole day), or an interval `start/end` where either end may be
/// `..` or empty (open).
fn parse_datetime(s: &str) -> Result<TimeFilter, String> {
    let open = |p: &str| p.is_empty() || p == "..";
    if let Some((a, b)) = s.split_once('/') {
        let from = if open(a) {
            None
        } else {
            Some(instant_bounds(a)?.0)
        };
        let to = if open(b) {
            None
        } else {
            Some(instant_bounds(b)?.1)
        };
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(format!("datetime {s:?} ends before it starts"));
        }
        return Ok(TimeFilter { from, to });
    }
    if open(s) {
        return Err(
            "datetime needs an instant, or an interval start/end with .. for an open end".into(),
        );
    }
    let (from, to) = instant_bounds(s)?;
    Ok(TimeFilter {
        from: Some(from),
        to: Some(to),
    })
}

/// The first and last millisecond an RFC 3339 date-time or full date names.
fn instant_bounds(s: &str) -> Result<(i64, i64), String> {
    let s = s.trim();
    // An unescaped '+' of a time zone arrives as a space.
    let plus = s
        .rfind(' ')
        .filter(|&i| i > 10)
        .map(|i| format!("{}+{}", &s[..i], &s[i + 1..]));
    for text in std::iter::once(s).chain(plus.as_deref()) {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
            let ms = t.timestamp_millis();
            return Ok((ms, ms));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(start) = d.and_hms_opt(0, 0, 0)
    {
        let ms = start.and_utc().timestamp_millis();
        return Ok((ms, ms + 86_400_000 - 1));
    }
    Err(format!(
        "cannot read the time {s:?}: use RFC 3339 (2026-01-01T08:00:00Z) or a date (2026-01-01)"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        query_pairs(Some(q)).unwrap()
    }

    #[test]
    fn bboxes_with_and_without_heights() {
        assert_eq!(
            parse_bbox("120,28,120.1,28.1").unwrap(),
            [120.0, 28.0, 120.1, 28.1]
        );
        assert_eq!(
            parse_bbox(" 120, 28, 0, 120.1, 28.1, 100").unwrap(),
            [120.0, 28.0, 120.1, 28.1]
        );
        assert_eq!(
            parse_bbox("170,-10,-170,10").unwrap(),
            [170.0, -10.0, -170.0, 10.0]
        );
        for bad in [
            "120,28,120.1",
            "120,28,120.1,28.1,5",
            "a,b,c,d",
            "120,28,120.1,NaN",
            "120,29,121,28",
            "",
            "200,0,201,1",
        ] {
            let e = parse_bbox(bad).unwrap_err();
            assert_eq!(e.code(), "bad_request", "{bad}");
        }
    }

    #[test]
    fn datetimes_instants_and_intervals() {
        let t = parse_datetime("2026-01-01T00:00:01Z").unwrap();
        assert_eq!(
            t,
            TimeFilter {
                from: Some(1_767_225_601_000),
                to: Some(1_767_225_601_000)
            }
        );
        let t = parse_datetime("2026-01-01T08:00:00+08:00/..").unwrap();
        assert_eq!(
            t,
            TimeFilter {
                from: Some(1_767_225_600_000),
                to: None
            }
        );
        // '+' decoded as a space by the query string.
        assert_eq!(parse_datetime("2026-01-01T08:00:00 08:00/..").unwrap(), t);
        let t = parse_datetime("../2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            t,
            TimeFilter {
                from: None,
                to: Some(1_767_225_600_000)
            }
        );
        let t = parse_datetime("2026-01-01").unwrap();
        assert!(
            t.contains(1_767_225_600_000)
                && t.contains(1_767_311_999_999)
                && !t.contains(1_767_312_000_000)
        );
        assert_eq!(
            parse_datetime("/").unwrap(),
            TimeFilter {
                from: None,
                to: None
            }
        );
        assert!(parse_datetime("../..").unwrap().contains(0));
        for bad in [
            "",
            "..",
            "yesterday",
            "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z",
            "2026-13-01",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_query_strings_are_refused_before_they_are_read() {
        let ok = vec!["f=json"; MAX_QUERY_PARAMS].join("&");
        assert!(query_pairs(Some(&ok)).is_ok());
        let long = vec!["a=1"; 10_000].join("&");
        let err = format!("{:?}", query_pairs(Some(&long)).unwrap_err());
        assert!(err.contains("too many query parameters"), "{err}");
    }

    #[test]
    fn repeated_bbox_parameters_are_joined_in_place() {
        assert_eq!(
            join_repeated(&pairs("bbox=1,2&limit=5&bbox=3&f=json&bbox=4"), "bbox"),
            pairs("bbox=1,2,3,4&limit=5&f=json")
        );
    }

    #[test]
    fn items_query_defaults_limits_and_unknown_parameters() {
        let q = parse_items_query(&[], 10_000, Coll::Staff).unwrap();
        assert_eq!(
            (q.limit, q.offset, q.bbox, q.datetime),
            (100, 0, None, None)
        );
        let q = parse_items_query(
            &pairs("limit=50000&offset=7&bbox=1,2,3,4"),
            10_000,
            Coll::Cameras,
        )
        .unwrap();
        assert_eq!(
            (q.limit, q.offset),
            (10_000, 7),
            "a larger limit is clamped"
        );
        let huge = parse_items_query(
            &pairs("limit=99999999999999999999999&offset=99999999999999999999999"),
            10_000,
            Coll::Cameras,
        )
        .unwrap();
        assert_eq!((huge.limit, huge.offset), (10_000, usize::MAX));
        assert_eq!(q.carried, vec![("bbox".into(), "1,2,3,4".into())]);
        assert!(
            parse_items_query(&pairs("token=t"), 10_000, Coll::Staff).is_err(),
            "a token belongs in the Authorization header"
        );
        let q = parse_items_query(
            &pairs("bbox=1&limit=5&bbox=2,3&bbox=4"),
            10_000,
            Coll::Areas,
        )
        .unwrap();
        assert_eq!(q.bbox, Some([1.0, 2.0, 3.0, 4.0]), "the exploded form");
        assert_eq!(q.carried, vec![("bbox".into(), "1,2,3,4".into())]);
        let q = parse_items_query(&pairs("level=grid"), 10_000, Coll::Areas).unwrap();
        assert_eq!(q.level, Some(AreaLevel::Grid));
        let q = parse_items_query(&pairs("level=grid&datetime="), 10_000, Coll::Staff).unwrap();
        assert_eq!((q.level, q.datetime), (None, None), "checked, not applied");
        for bad in [
            "limit=0",
            "limit=-1",
            "limit=x",
            "offset=-3",
            "nope=1",
            "limit=1&limit=2",
            "level=village",
            "f=xml",
            "bbox-crs=EPSG:4326",
            "datetime=soon",
        ] {
            let e = parse_items_query(&pairs(bad), 10_000, Coll::Staff).unwrap_err();
            assert_eq!(e.code(), "bad_request", "{bad}");
        }
        assert!(parse_items_query(&pairs("level=village"), 10_000, Coll::Areas).is_err());
    }
}
