//! 研判 analysis of the incidents of an area over a period: where they
//! happen (an H3 heat map), when (per day and per ISO week of the city's
//! calendar), the top grids and categories, and the repeat hot spots —
//! cells with incidents on several different days, where a problem keeps
//! coming back. Merged reports count once, as the incident they joined.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use compact_str::CompactString;
use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;

use super::book::Entry;
use super::model::Incident;
use riskmap_engine::model::EpochMs;
use riskmap_engine::sphere::LonLat;

/// Top lists hold at most this many.
pub const TOP: usize = 10;

/// What to analyse.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// Reported at or after.
    pub from: EpochMs,
    /// Reported before.
    pub to: EpochMs,
    /// Only this minor category.
    pub category: Option<&'a str>,
    /// H3 resolution of the heat map and the hot spots.
    pub resolution: Resolution,
    /// A cell is a hot spot with incidents on at least this many days.
    pub repeat_days: usize,
}

impl Question<'_> {
    /// Whether an incident is one the question counts: reported in the
    /// period, of the category if one is asked, not merged into another.
    #[must_use]
    pub fn counts(&self, i: &Incident) -> bool {
        i.merged_into.is_none()
            && (self.from..self.to).contains(&i.created_ms)
            && self.category.is_none_or(|c| c == i.category)
    }
}

/// What the analysis reads of an incident it counts, copied out of the
/// book: the counting (a year of a city is 0.4 s) runs after the book's
/// lock is let go, so reports and actions need not wait for it. The codes
/// are short enough to be kept inline (no allocation each).
#[derive(Debug, Clone)]
pub struct Sample {
    /// Reported at.
    pub created_ms: EpochMs,
    /// Where.
    pub position: LonLat,
    /// Its grid's code.
    pub grid: CompactString,
    /// Its minor category.
    pub category: CompactString,
}

/// Entry `e` copied out, if the question counts it.
#[must_use]
pub fn sample(e: &Entry, q: &Question<'_>) -> Option<Sample> {
    let i = &e.incident;
    q.counts(i).then(|| Sample {
        created_ms: i.created_ms,
        position: i.position,
        grid: CompactString::from(i.grid.as_str()),
        category: CompactString::from(i.category.as_str()),
    })
}

/// One heat-map cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatCell {
    /// The H3 cell, hexadecimal.
    pub cell: String,
    /// Its centre.
    pub lon: f64,
    /// Its centre.
    pub lat: f64,
    /// Incidents in it.
    pub count: u32,
}

/// A cell where incidents keep coming back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotSpot {
    /// The cell and its count.
    #[serde(flatten)]
    pub cell: HeatCell,
    /// On how many different days.
    pub days: u32,
    /// The most frequent category there.
    pub category: String,
}

/// A count per key (day, week, grid, category).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The day (`YYYY-MM-DD`), ISO week (`YYYY-Www`), grid or category code.
    pub key: String,
    /// How many.
    pub count: u32,
    /// A grid's or category's name, filled in by whoever knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Incidents counted.
    pub total: u32,
    /// Per cell, by cell.
    pub heat: Vec<HeatCell>,
    /// Per day of the period (every day, zero or not), oldest first.
    pub by_day: Vec<Count>,
    /// Per ISO week, oldest first.
    pub by_week: Vec<Count>,
    /// The grids with most, most first.
    pub top_grids: Vec<Count>,
    /// The categories with most, most first.
    pub top_categories: Vec<Count>,
    /// Cells with incidents on `repeat_days` days or more, most days first.
    pub hot_spots: Vec<HotSpot>,
    /// Per child area of the area analysed (districts of a city, streets of
    /// a district …), most first: the comparison between areas. Filled in
    /// by whoever knows the tree.
    pub by_area: Vec<Count>,
}

#[derive(Default)]
struct CellTally<'a> {
    count: u32,
    days: BTreeSet<NaiveDate>,
    categories: BTreeMap<&'a str, u32>,
}

/// Analyses the `samples` of the question (already scoped to the area);
/// `day_of` gives an instant's day in the city's calendar.
pub fn analyse(
    samples: &[Sample],
    q: &Question<'_>,
    day_of: impl Fn(EpochMs) -> NaiveDate,
) -> Analysis {
    let mut total = 0;
    let mut cells: BTreeMap<CellIndex, CellTally<'_>> = BTreeMap::new();
    let mut days: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    let mut grids: BTreeMap<&str, u32> = BTreeMap::new();
    let mut categories: BTreeMap<&str, u32> = BTreeMap::new();
    for i in samples {
        total += 1;
        let day = day_of(i.created_ms);
        *days.entry(day).or_default() += 1;
        *grids.entry(&i.grid).or_default() += 1;
        *categories.entry(&i.category).or_default() += 1;
        if let Ok(ll) = LatLng::new(i.position.lat, i.position.lon) {
            let t = cells.entry(ll.to_cell(q.resolution)).or_default();
            t.count += 1;
            t.days.insert(day);
            *t.categories.entry(&i.category).or_default() += 1;
        }
    }
    let (first, last) = (day_of(q.from), day_of(q.to - 1));
    let by_day: Vec<Count> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| Count {
            key: d.format("%Y-%m-%d").to_string(),
            count: days.get(&d).copied().unwrap_or(0),
            name: None,
        })
        .collect();
    let mut weeks: BTreeMap<String, u32> = BTreeMap::new();
    for d in first.iter_days().take_while(|d| *d <= last) {
        *weeks.entry(d.format("%G-W%V").to_string()).or_default() +=
            days.get(&d).copied().unwrap_or(0);
    }
    let heat_cell = |c: CellIndex, count: u32| {
        let ll = LatLng::from(c);
        HeatCell {
            cell: c.to_string(),
            lon: ll.lng(),
            lat: ll.lat(),
            count,
        }
    };
    let mut hot_spots: Vec<HotSpot> = cells
        .iter()
        .filter(|(_, t)| t.days.len() >= q.repeat_days)
        .map(|(&c, t)| HotSpot {
            cell: heat_cell(c, t.count),
            days: t.days.len() as u32,
            category: top(t.categories.iter().map(|(k, v)| (*k, *v)))
                .first()
                .map(|c| c.key.clone())
                .unwrap_or_default(),
        })
        .collect();
    hot_spots.sort_by(|a, b| {
        (b.days, b.cell.count)
            .cmp(&(a.days, a.cell.count))
            .then_with(|| a.cell.cell.cmp(&b.cell.cell))
    });
    Analysis {
        total,
        heat: cells.iter().map(|(&c, t)| heat_cell(c, t.count)).collect(),
        by_day,
        by_week: weeks
            .into_iter()
            .map(|(key, count)| Count {
                key,
                count,
                name: None,
            })
            .collect(),
        top_grids: top(grids.into_iter()),
        top_categories: top(categories.into_iter()),
        hot_spots,
        by_area: Vec::new(),
    }
}

/// The [`TOP`] largest counts, most first (ties by key).
fn top<'k>(counts: impl Iterator<Item = (&'k str, u32)>) -> Vec<Count> {
    let mut v: Vec<Count> = counts
        .map(|(k, count)| Count {
            key: k.to_owned(),
            count,
            name: None,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(TOP);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::book::Book;
    use crate::incident::dictionary::Dictionary;

    fn samples(book: &Book, q: &Question<'_>) -> Vec<Sample> {
        book.iter().filter_map(|e| sample(e, q)).collect()
    }

    const DAY: i64 = 86_400_000;
    /// 2026-11-30 00:00 in China (UTC+8), a Monday.
    const T0: i64 = 1_795_968_000_000;

    fn at(id: &str, day: i64, lon: f64, category: &str) -> (Incident, i64) {
        let mut i = Incident::sample(id, T0 + day * DAY + 3_600_000);
        i.position.lon = lon;
        i.category = category.into();
        i.grid = format!("g{}", (lon * 100.0) as i64 % 10);
        (i, 1)
    }

    #[test]
    fn counts_where_when_and_what_comes_back() {
        let dict = Dictionary::default_config();
        let mut merged = at("m", 1, 120.0, "0101");
        merged.0.merged_into = Some("a".into());
        let book = Book::load(
            vec![
                at("a", 0, 120.0, "0101"),
                at("b", 1, 120.0, "0101"),
                at("c", 3, 120.0, "0102"),
                at("d", 3, 120.05, "0102"),
                at("e", 9, 120.0, "0101"),
                merged,
            ],
            &dict,
            T0,
        );
        let q = Question {
            from: T0,
            to: T0 + 7 * DAY,
            category: None,
            resolution: Resolution::Nine,
            repeat_days: 3,
        };
        let day_of = |t: EpochMs| dict.calendar().date_of(t);
        let a = analyse(&samples(&book, &q), &q, day_of);
        // e is after the period; m is a repeat of a.
        assert_eq!(a.total, 4);
        assert_eq!(a.by_day.len(), 7);
        assert_eq!(
            a.by_day.iter().map(|c| c.count).collect::<Vec<_>>(),
            [1, 1, 0, 2, 0, 0, 0]
        );
        assert_eq!(a.by_day[0].key, "2026-11-30");
        assert_eq!(
            a.by_week,
            [Count {
                key: "2026-W49".into(),
                count: 4,
                name: None,
            }]
        );
        assert_eq!(a.heat.len(), 2);
        assert_eq!(a.heat.iter().map(|c| c.count).sum::<u32>(), 4);
        // One cell had incidents on days 0, 1 and 3: a hot spot of 0101.
        assert_eq!(a.hot_spots.len(), 1);
        let h = &a.hot_spots[0];
        assert_eq!((h.days, h.cell.count, h.category.as_str()), (3, 3, "0101"));
        assert!((h.cell.lon - 120.0).abs() < 0.01 && (h.cell.lat - 28.0).abs() < 0.01);
        let tops: Vec<(&str, u32)> = a
            .top_categories
            .iter()
            .map(|c| (c.key.as_str(), c.count))
            .collect();
        assert_eq!(tops, [("0101", 2), ("0102", 2)]);
        let only = Question {
            category: Some("0102"),
            ..q
        };
        let only = analyse(&samples(&book, &only), &only, day_of);
        assert_eq!((only.total, only.hot_spots.len()), (2, 0));
    }
}
