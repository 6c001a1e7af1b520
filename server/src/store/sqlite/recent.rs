//! The track log's rows that no compaction pass has taken yet, kept in
//! memory as the writer commits them, so that a pass need not read them
//! back.
//!
//! Why: at 100,000 fixes a second a pass read its 100,000 rows back through
//! sqlx in 1.4–2.8 s of a core, and on a two-core machine that CPU, taken
//! from the fix batches, was the acknowledgements' tail (docs/PERFORMANCE.md,
//! "The ingest tail"). The copy is trusted only where the database agrees
//! with it: a pass first checks that the head of the log is exactly the rows
//! the copy holds, and reads the log otherwise — after a restart, after a
//! pass that failed half-way, after a batch whose commit outcome is unknown,
//! or once the copy has outgrown its bound.

use std::collections::VecDeque;

use riskmap_engine::model::{EpochMs, Fix};

use crate::store::TrackPoint;

/// One log row: its row id, whose fix it is, and the fix.
#[derive(Debug)]
pub(super) struct Logged {
    pub rowid: i64,
    pub staff_id: Box<str>,
    pub fix: Fix,
}

/// The head of the copy a pass may take: `n` rows, with row ids from
/// `first` to `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub first: i64,
    pub last: i64,
    pub n: usize,
}

/// The rows committed to the log and not yet taken, oldest first.
#[derive(Debug)]
pub(super) struct Recent {
    rows: VecDeque<Logged>,
    /// At most this many rows are kept (the oldest go first): a compactor
    /// that cannot keep up, or keeps failing, costs memory only up to here.
    bound: usize,
}

impl Recent {
    pub fn new(bound: usize) -> Self {
        Recent {
            rows: VecDeque::new(),
            bound,
        }
    }

    /// A batch just committed, its rows numbered up to `last_rowid`. One
    /// writer appends them in one transaction, each row one past the
    /// table's largest row id, so they are `last_rowid - n + 1 ..= last_rowid`.
    pub fn committed(&mut self, last_rowid: i64, points: &[TrackPoint<'_>]) {
        let Some(first) = i64::try_from(points.len())
            .ok()
            .and_then(|n| last_rowid.checked_sub(n - 1))
        else {
            return;
        };
        if self.rows.back().is_some_and(|r| r.rowid >= first) {
            // Ids that do not follow on (SQLite picks random ones once the
            // largest is taken): the copy can no longer say which row is
            // which, and the log is read instead.
            self.rows.clear();
        }
        self.rows
            .extend(points.iter().zip(first..).map(|(p, rowid)| Logged {
                rowid,
                staff_id: p.staff_id.into(),
                fix: p.fix,
            }));
        if self.rows.len() > self.bound {
            let over = self.rows.len() - self.bound;
            self.rows.drain(..over);
        }
    }

    /// The oldest rows, at most `max` of them, or `None` if there are none.
    pub fn head(&self, max: usize) -> Option<Span> {
        let n = self.rows.len().min(max);
        Some(Span {
            first: self.rows.front()?.rowid,
            last: self.rows.get(n.checked_sub(1)?)?.rowid,
            n,
        })
    }

    /// How many rows the copy holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The row id of the oldest row held.
    pub fn first_rowid(&self) -> Option<i64> {
        Some(self.rows.front()?.rowid)
    }

    /// Takes the rows `span` names out of the copy, if they are still its
    /// head (the bound may have let them go meanwhile).
    pub fn take(&mut self, span: Span) -> Option<impl Iterator<Item = Logged> + '_> {
        let still = self.rows.front()?.rowid == span.first
            && self.rows.get(span.n.checked_sub(1)?)?.rowid == span.last;
        still.then(|| self.rows.drain(..span.n))
    }

    /// Forgets the rows up to `last`: a pass read them from the log.
    pub fn forget_through(&mut self, last: i64) {
        let n = self.rows.partition_point(|r| r.rowid <= last);
        self.rows.drain(..n);
    }

    /// Forgets the fixes older than `before_ms`: retention deleted them from
    /// the log.
    pub fn prune(&mut self, before_ms: EpochMs) {
        self.rows.retain(|r| r.fix.fix_time_ms >= before_ms);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use riskmap_engine::sphere::LonLat;

    fn fix(t: EpochMs) -> Fix {
        Fix::at(LonLat::new(120.65, 28.0).unwrap(), t)
    }

    fn points(ids: &[&'static str], t: EpochMs) -> Vec<TrackPoint<'static>> {
        ids.iter()
            .map(|staff_id| TrackPoint {
                staff_id,
                fix: fix(t),
            })
            .collect()
    }

    fn rowids(r: &Recent) -> Vec<i64> {
        r.rows.iter().map(|l| l.rowid).collect()
    }

    #[test]
    fn batches_are_numbered_up_to_their_last_row_id() {
        let mut r = Recent::new(100);
        assert_eq!(r.head(10), None);
        r.committed(3, &points(&["a", "b", "c"], 1));
        r.committed(5, &points(&["a", "b"], 2));
        assert_eq!(rowids(&r), [1, 2, 3, 4, 5]);
        assert_eq!((r.len(), r.first_rowid()), (5, Some(1)));
        assert_eq!(
            r.head(4),
            Some(Span {
                first: 1,
                last: 4,
                n: 4
            })
        );
        assert_eq!(
            r.head(10),
            Some(Span {
                first: 1,
                last: 5,
                n: 5
            })
        );
        let taken: Vec<(i64, Box<str>)> = r
            .take(r.head(4).unwrap())
            .unwrap()
            .map(|l| (l.rowid, l.staff_id))
            .collect();
        assert_eq!(
            taken,
            [
                (1, "a".into()),
                (2, "b".into()),
                (3, "c".into()),
                (4, "a".into())
            ]
        );
        assert_eq!(rowids(&r), [5]);
    }

    #[test]
    fn a_head_let_go_meanwhile_is_not_taken() {
        let mut r = Recent::new(4);
        r.committed(3, &points(&["a", "b", "c"], 1));
        let span = r.head(3).unwrap();
        // Two more rows push the two oldest past the bound.
        r.committed(5, &points(&["a", "b"], 2));
        assert_eq!(rowids(&r), [2, 3, 4, 5]);
        assert!(r.take(span).is_none());
        assert_eq!(rowids(&r), [2, 3, 4, 5], "nothing taken");
    }

    #[test]
    fn row_ids_that_do_not_follow_on_empty_the_copy() {
        let mut r = Recent::new(100);
        r.committed(10, &points(&["a", "b"], 1));
        r.committed(8, &points(&["c"], 2));
        assert_eq!(rowids(&r), [8]);
    }

    #[test]
    fn rows_read_from_the_log_or_pruned_are_forgotten() {
        let mut r = Recent::new(100);
        r.committed(4, &points(&["a", "b", "c", "d"], 1));
        r.committed(6, &points(&["a", "b"], 5));
        r.forget_through(2);
        assert_eq!(rowids(&r), [3, 4, 5, 6]);
        r.forget_through(0);
        assert_eq!(rowids(&r), [3, 4, 5, 6]);
        r.prune(5);
        assert_eq!(rowids(&r), [5, 6]);
        r.forget_through(99);
        assert_eq!(r.head(1), None);
    }
}
