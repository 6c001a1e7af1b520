//! The packed form of one fix batch in the SQLite track log: one row and
//! one bound value per batch instead of a row and ten values per fix.
//!
//! Why: at 100,000 fixes a second the writer spent 2.5 µs a fix inserting
//! log rows and a compaction pass as long again deleting them, about 70 % of
//! its time in all, and the fix batches queued behind it showed as the
//! acknowledgements' tail (docs/PERFORMANCE.md, "The ingest tail").
//!
//! Layout, little-endian: a format byte, then per fix the staff id's length
//! (`u16`) and its UTF-8 bytes, then the fix packed as in a chunk
//! ([`super::chunk`]). Fixes keep the order they arrived in.

use super::chunk::{Reader, put_fix};
use crate::store::codec::{corrupt, validate_points};
use crate::store::{Result, StoreError, TrackPoint};
use riskmap_engine::model::{EpochMs, Fix};

/// The only format so far.
const FORMAT: u8 = 1;

/// A batch packed for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub data: Vec<u8>,
    pub fixes: usize,
    /// The oldest and newest fix time in it: retention and replay skip a
    /// batch by them without reading it.
    pub min_ms: EpochMs,
    pub max_ms: EpochMs,
}

impl Batch {
    /// Packs `points` (at least one), refusing a position that is not one
    /// or a staff id too long to pack.
    pub fn pack(points: &[TrackPoint<'_>]) -> Result<Batch> {
        validate_points(points)?;
        let mut data = Vec::with_capacity(1 + points.len() * 48);
        data.push(FORMAT);
        let (mut min_ms, mut max_ms) = (EpochMs::MAX, EpochMs::MIN);
        for p in points {
            let len = u16::try_from(p.staff_id.len()).map_err(|_| {
                StoreError::Corrupt(format!(
                    "tracks: refusing a staff id of {} bytes",
                    p.staff_id.len()
                ))
            })?;
            data.extend_from_slice(&len.to_le_bytes());
            data.extend_from_slice(p.staff_id.as_bytes());
            put_fix(&p.fix, &mut data);
            min_ms = min_ms.min(p.fix.fix_time_ms);
            max_ms = max_ms.max(p.fix.fix_time_ms);
        }
        Ok(Batch {
            data,
            fixes: points.len(),
            min_ms,
            max_ms,
        })
    }
}

/// The fixes of log batch `id` in the order they arrived, each with its
/// staff id, or of `only` that member if given (the others are stepped
/// over, not decoded). Damage (a batch cut short, another format, an id
/// that is not UTF-8, an impossible position) is
/// [corrupt](StoreError::Corrupt).
pub fn fixes<'a>(
    id: i64,
    data: &'a [u8],
    only: Option<&'a str>,
) -> impl Iterator<Item = Result<(&'a str, Fix)>> + 'a {
    let name = id.to_string();
    let bad = move |why: &str| corrupt("track_batches", &name, &why);
    let (mut r, mut refused) = match data.split_first() {
        Some((&FORMAT, body)) => (Reader { data: body }, None),
        Some((&format, _)) => (
            Reader { data: &[] },
            Some(bad(&format!("batch format {format}, not {FORMAT}"))),
        ),
        None => (Reader { data: &[] }, Some(bad("an empty batch"))),
    };
    std::iter::from_fn(move || {
        if let Some(e) = refused.take() {
            return Some(Err(e));
        }
        if r.data.is_empty() {
            return None;
        }
        while let Some(staff) = r
            .take::<2>()
            .and_then(|len| r.bytes(usize::from(u16::from_le_bytes(len))))
        {
            if only.is_some_and(|o| o.as_bytes() != staff) {
                if r.skip_fix().is_none() {
                    break;
                }
                if r.data.is_empty() {
                    return None;
                }
                continue;
            }
            let Ok(staff) = std::str::from_utf8(staff) else {
                r.data = &[];
                return Some(Err(bad("a staff id that is not UTF-8")));
            };
            let Some(packed) = r.fix() else { break };
            return Some(packed.checked("track_batches", staff).map(|f| (staff, f)));
        }
        r.data = &[];
        Some(Err(bad("a batch cut short")))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::sqlite::chunk::tests::fix;

    const IDS: [&str; 3] = ["S000001", "网格员-2", "S3"];

    fn points() -> Vec<TrackPoint<'static>> {
        (0..300)
            .map(|i| TrackPoint {
                staff_id: IDS[usize::try_from(i).unwrap() % 3],
                fix: fix(i),
            })
            .collect()
    }

    fn all(data: &[u8], only: Option<&str>) -> Result<Vec<(String, Fix)>> {
        fixes(7, data, only)
            .map(|r| r.map(|(s, f)| (s.to_owned(), f)))
            .collect()
    }

    #[test]
    fn round_trips_in_arrival_order_and_one_member_alone() {
        let points = points();
        let batch = Batch::pack(&points).unwrap();
        assert_eq!(batch.fixes, 300);
        let times = points.iter().map(|p| p.fix.fix_time_ms);
        assert_eq!(batch.min_ms, times.clone().min().unwrap());
        assert_eq!(batch.max_ms, times.max().unwrap());
        let want: Vec<(String, Fix)> = points
            .iter()
            .map(|p| (p.staff_id.to_owned(), p.fix))
            .collect();
        assert_eq!(all(&batch.data, None).unwrap(), want);
        for id in IDS.into_iter().chain(["S00000", "nobody"]) {
            let one: Vec<_> = want.iter().filter(|(s, _)| s == id).cloned().collect();
            assert_eq!(all(&batch.data, Some(id)).unwrap(), one, "{id}");
        }
    }

    #[test]
    fn refuses_damage_and_bad_input() {
        let points = points();
        let data = Batch::pack(&points[..2]).unwrap().data;
        let first = Batch::pack(&points[..1]).unwrap().data.len();
        for cut in 1..data.len() {
            for only in [None, Some("S000001"), Some("nobody")] {
                let got = all(&data[..cut], only);
                if cut == 1 || cut == first {
                    assert!(got.is_ok(), "{cut}: whole fixes");
                } else {
                    let err = got.unwrap_err().to_string();
                    assert!(
                        err.contains("track_batches 7: a batch cut short"),
                        "{cut}: {err}"
                    );
                }
            }
        }
        assert!(all(&[], None).unwrap_err().to_string().contains("empty"));
        let mut other = data.clone();
        other[0] = 9;
        assert!(
            all(&other, None)
                .unwrap_err()
                .to_string()
                .contains("format 9")
        );
        let mut not_utf8 = data;
        not_utf8[3] = 0xff;
        assert!(
            all(&not_utf8, None)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );

        let long = "x".repeat(70_000);
        let p = [TrackPoint {
            staff_id: &long,
            fix: fix(1),
        }];
        assert!(Batch::pack(&p).is_err());
    }
}
