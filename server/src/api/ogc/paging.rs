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

/// The deepest page (`offset + limit`) kept in a heap as matches stream by;
/// a deeper one collects every match and selects (see [`Pager`]).
const HEAP_DEPTH: usize = 20_000;

/// Items `offset..offset + limit`, in sorted order, of keys handed over one
/// by one, and how many there were. A shallow page (a screen's `limit=1`
/// count, the first pages) keeps only the smallest keys so far in a heap:
/// at a million staff, collecting every match first cost a 24 MB vector
/// (fresh pages the kernel zeroes) per request, and selecting in it jumped
/// about the members the ids live in. A deep page collects, then selects
/// twice and sorts the page.
pub(super) struct Pager<K> {
    offset: usize,
    limit: usize,
    /// `offset + limit`: how many of the smallest a shallow page keeps.
    want: usize,
    seen: usize,
    /// The `offset + limit` smallest so far (a max-heap), for a shallow page.
    few: Option<std::collections::BinaryHeap<K>>,
    /// Every key, for a deep page.
    all: Vec<K>,
}

impl<K: Ord> Pager<K> {
    pub(super) fn new(offset: usize, limit: usize) -> Pager<K> {
        let want = offset.saturating_add(limit);
        Pager {
            offset,
            limit,
            want,
            seen: 0,
            few: (want <= HEAP_DEPTH)
                .then(|| std::collections::BinaryHeap::with_capacity(want.min(1_024) + 1)),
            all: Vec::new(),
        }
    }

    /// At most `n` keys will come: room for them if every one is kept (a
    /// deep page), rather than growing by copies.
    pub(super) fn expect(&mut self, n: usize) {
        if self.few.is_none() {
            self.all.reserve(n);
        }
    }

    /// One more key (a match), counted and kept if the page may need it.
    pub(super) fn push(&mut self, k: K) {
        self.seen += 1;
        let Some(few) = &mut self.few else {
            self.all.push(k);
            return;
        };
        if few.len() < self.want {
            few.push(k);
        } else if let Some(mut top) = few.peek_mut()
            && k < *top
        {
            *top = k;
        }
    }

    /// How many keys came, and the page.
    pub(super) fn finish(self) -> (usize, Vec<K>) {
        let Pager {
            offset,
            limit,
            seen,
            few,
            mut all,
            ..
        } = self;
        if let Some(few) = few {
            let mut first = few.into_sorted_vec();
            return (seen, first.split_off(offset.min(first.len())));
        }
        if offset >= all.len() || limit == 0 {
            return (seen, Vec::new());
        }
        if offset > 0 {
            all.select_nth_unstable(offset);
        }
        let mut rest = all.split_off(offset);
        if limit < rest.len() {
            rest.select_nth_unstable(limit);
            rest.truncate(limit);
        }
        rest.sort_unstable();
        (seen, rest)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::api::ogc::collections::Coll;
    use crate::api::ogc::params::{parse_items_query, query_pairs};

    fn page(v: &[u32], offset: usize, limit: usize) -> (usize, Vec<u32>) {
        let mut pager = Pager::new(offset, limit);
        for &k in v {
            pager.push(k);
        }
        pager.finish()
    }

    #[test]
    fn pages_match_a_full_sort() {
        // Past the heap's depth too: both ways of finding a page.
        let n: u32 = 45_007;
        let v: Vec<u32> = (0..n).map(|i| (i * 37) % n).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable();
        for offset in [0, 1, 10, 19_999, 20_000, 45_006, 45_007, 60_000] {
            for limit in [1, 2, 10, 100, 10_000] {
                let want: Vec<u32> = sorted.iter().copied().skip(offset).take(limit).collect();
                assert_eq!(
                    page(&v, offset, limit),
                    (v.len(), want),
                    "offset {offset} limit {limit}"
                );
            }
        }
        assert_eq!(page(&v, 0, 0), (v.len(), Vec::new()));
        assert_eq!(page(&[], 0, 10), (0, Vec::new()));
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
