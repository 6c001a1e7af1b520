//! Paging: one page of a sorted selection, and the links between pages.

use std::fmt::Write as _;

use serde_json::Value;

use super::params::ItemsQuery;
use super::{GEOJSON, link};

/// `self`, `next` (only while more remain), `prev` and `collection` links
/// of a page; each repeats the request's parameters.
pub(super) fn paging_links(
    items_url: &str,
    q: &ItemsQuery,
    matched: usize,
    returned: usize,
) -> Vec<Value> {
    let page_url = |offset: usize| {
        let mut params = q.carried.clone();
        params.push(("limit".into(), q.limit.to_string()));
        if offset > 0 {
            params.push(("offset".into(), offset.to_string()));
        }
        with_query(items_url, &params)
    };
    let mut links = vec![link(&page_url(q.offset), "self", GEOJSON, "This page")];
    if q.offset.saturating_add(returned) < matched && returned > 0 {
        links.push(link(
            &page_url(q.offset + returned),
            "next",
            GEOJSON,
            "The next page",
        ));
    }
    if q.offset > 0 {
        let prev = q
            .offset
            .saturating_sub(q.limit)
            .min(matched.saturating_sub(1));
        links.push(link(&page_url(prev), "prev", GEOJSON, "The previous page"));
    }
    let coll_url = items_url.strip_suffix("/items").unwrap_or(items_url);
    links.push(link(
        coll_url,
        "collection",
        "application/json",
        "The collection",
    ));
    links
}

fn with_query(url: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return url.to_owned();
    }
    format!(
        "{url}?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// Percent-encodes a path segment (a feature id).
pub(super) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Items `offset..offset + limit` of `v` in sorted order, without sorting
/// all of it: two selections and a sort of the page.
pub(super) fn page<K: Ord>(mut v: Vec<K>, offset: usize, limit: usize) -> Vec<K> {
    if offset >= v.len() || limit == 0 {
        return Vec::new();
    }
    if offset > 0 {
        v.select_nth_unstable(offset);
    }
    let mut rest = v.split_off(offset);
    if limit < rest.len() {
        rest.select_nth_unstable(limit);
        rest.truncate(limit);
    }
    rest.sort_unstable();
    rest
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::api::ogc::collections::Coll;
    use crate::api::ogc::params::{parse_items_query, query_pairs};

    #[test]
    fn pages_match_a_full_sort() {
        let v: Vec<u32> = (0..97).map(|i| (i * 37) % 97).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable();
        for offset in [0, 1, 10, 96, 97, 200] {
            for limit in [1, 2, 10, 100] {
                let want: Vec<u32> = sorted.iter().copied().skip(offset).take(limit).collect();
                assert_eq!(
                    page(v.clone(), offset, limit),
                    want,
                    "offset {offset} limit {limit}"
                );
            }
        }
        assert!(page(v, 0, 0).is_empty());
    }

    fn hrefs(links: &[Value]) -> Vec<(String, String)> {
        links
            .iter()
            .map(|l| {
                (
                    l["rel"].as_str().unwrap().to_owned(),
                    l["href"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn paging_links_carry_the_request() {
        let url = "http://h/ogc/collections/areas/items";
        let mut q = parse_items_query(
            &query_pairs(Some("bbox=1,2,3,4&limit=2&datetime=2026-01-01")).unwrap(),
            10_000,
            Coll::Areas,
        )
        .unwrap();
        let links = hrefs(&paging_links(url, &q, 5, 2));
        assert_eq!(
            links[0],
            (
                "self".into(),
                format!("{url}?bbox=1%2C2%2C3%2C4&datetime=2026-01-01&limit=2")
            )
        );
        assert_eq!(
            links[1],
            (
                "next".into(),
                format!("{url}?bbox=1%2C2%2C3%2C4&datetime=2026-01-01&limit=2&offset=2")
            )
        );
        assert_eq!(
            links[2],
            ("collection".into(), "http://h/ogc/collections/areas".into())
        );
        q.offset = 4;
        let links = hrefs(&paging_links(url, &q, 5, 1));
        assert!(
            !links.iter().any(|(r, _)| r == "next"),
            "the last page has no next"
        );
        let prev = links.iter().find(|(r, _)| r == "prev").unwrap();
        assert!(prev.1.ends_with("limit=2&offset=2"), "{}", prev.1);
        q.offset = 2;
        let prev = hrefs(&paging_links(url, &q, 5, 2))
            .into_iter()
            .find(|(r, _)| r == "prev")
            .unwrap();
        assert!(
            prev.1.ends_with("limit=2"),
            "the first page has no offset: {}",
            prev.1
        );
        // Past the end: no next, prev points back into range.
        q.offset = 50;
        let links = hrefs(&paging_links(url, &q, 5, 0));
        assert!(!links.iter().any(|(r, _)| r == "next"));
        assert!(
            links
                .iter()
                .find(|(r, _)| r == "prev")
                .unwrap()
                .1
                .ends_with("offset=4")
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("S 1/é"), "S%201%2F%C3%A9");
        assert_eq!(encode_segment("330302001"), "330302001");
    }
}
