//! The track log's batches that no compaction pass has taken yet, kept in
//! memory as the writer commits them, so that a pass need not read them
//! back.
//!
//! Why: at 100,000 fixes a second a pass read its 100,000 fixes back through
//! sqlx in 1.4–2.8 s of a core, and on a two-core machine that CPU, taken
//! from the fix batches, was the acknowledgements' tail (docs/PERFORMANCE.md,
//! "The ingest tail"). The copy is trusted only where the database agrees
//! with it: a pass first checks that the head of the log is exactly the
//! batches the copy holds, and reads the log otherwise — after a restart,
//! after a pass that failed half-way, after a batch whose commit outcome is
//! unknown, after retention, or once the copy has outgrown its bound.

use std::collections::VecDeque;

use super::batch::Batch;

/// One log row: a batch and its id.
#[derive(Debug)]
pub(super) struct Logged {
    pub id: i64,
    pub batch: Batch,
}

/// The head of the copy a pass may take: `n` batches of `fixes` fixes in
/// all, with ids from `first` to `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub first: i64,
    pub last: i64,
    pub n: usize,
    pub fixes: usize,
}

/// The batches committed to the log and not yet taken, oldest first.
#[derive(Debug)]
pub(super) struct Recent {
    batches: VecDeque<Logged>,
    /// Fixes in `batches`.
    fixes: usize,
    /// At most about this many fixes are kept (the oldest batches go
    /// first): a compactor that cannot keep up, or keeps failing, costs
    /// memory only up to here.
    bound: usize,
}

impl Recent {
    pub fn new(bound: usize) -> Self {
        Recent {
            batches: VecDeque::new(),
            fixes: 0,
            bound,
        }
    }

    /// A batch just committed as row `id`.
    pub fn committed(&mut self, id: i64, batch: Batch) {
        if self.batches.back().is_some_and(|b| b.id >= id) {
            // An id that does not follow on (SQLite picks random ones once
            // the largest is taken): the copy can no longer say which row
            // is which, and the log is read instead.
            self.clear();
        }
        self.fixes += batch.fixes;
        self.batches.push_back(Logged { id, batch });
        while self.fixes > self.bound {
            let Some(oldest) = self.batches.pop_front() else {
                break;
            };
            self.fixes -= oldest.batch.fixes;
        }
    }

    /// The oldest batches of at most `max` fixes in all (but at least one
    /// batch), or `None` if there are none.
    pub fn head(&self, max: usize) -> Option<Span> {
        let first = self.batches.front()?;
        let mut span = Span {
            first: first.id,
            last: first.id,
            n: 1,
            fixes: first.batch.fixes,
        };
        for b in self.batches.iter().skip(1) {
            if span.fixes + b.batch.fixes > max {
                break;
            }
            span.last = b.id;
            span.n += 1;
            span.fixes += b.batch.fixes;
        }
        Some(span)
    }

    /// How many fixes the copy holds.
    pub fn fixes(&self) -> usize {
        self.fixes
    }

    /// The id of the oldest batch held.
    pub fn first_id(&self) -> Option<i64> {
        Some(self.batches.front()?.id)
    }

    /// Takes the batches `span` names out of the copy, if they are still
    /// its head (the bound may have let them go meanwhile).
    pub fn take(&mut self, span: Span) -> Option<Vec<Logged>> {
        let still = self.batches.front()?.id == span.first
            && self.batches.get(span.n.checked_sub(1)?)?.id == span.last;
        if !still {
            return None;
        }
        let taken: Vec<Logged> = self.batches.drain(..span.n).collect();
        self.fixes -= taken.iter().map(|b| b.batch.fixes).sum::<usize>();
        Some(taken)
    }

    /// Forgets the batches up to `last`: a pass read them from the log.
    pub fn forget_through(&mut self, last: i64) {
        while self.batches.front().is_some_and(|b| b.id <= last) {
            if let Some(b) = self.batches.pop_front() {
                self.fixes -= b.batch.fixes;
            }
        }
    }

    /// Forgets everything (retention rewrote the log).
    pub fn clear(&mut self) {
        self.batches.clear();
        self.fixes = 0;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::TrackPoint;
    use riskmap_engine::model::Fix;
    use riskmap_engine::sphere::LonLat;

    fn batch(n: usize) -> Batch {
        let fix = Fix::at(LonLat::new(120.65, 28.0).unwrap(), 1);
        let points = vec![TrackPoint { staff_id: "a", fix }; n];
        Batch::pack(&points).unwrap()
    }

    fn ids(r: &Recent) -> Vec<i64> {
        r.batches.iter().map(|l| l.id).collect()
    }

    #[test]
    fn a_head_is_whole_batches_of_at_most_a_passs_fixes() {
        let mut r = Recent::new(100);
        assert_eq!(r.head(10), None);
        r.committed(1, batch(3));
        r.committed(2, batch(4));
        r.committed(3, batch(5));
        assert_eq!((r.fixes(), r.first_id()), (12, Some(1)));
        let span = |first, last, n, fixes| Span {
            first,
            last,
            n,
            fixes,
        };
        assert_eq!(r.head(7), Some(span(1, 2, 2, 7)));
        assert_eq!(r.head(11), Some(span(1, 2, 2, 7)));
        assert_eq!(r.head(100), Some(span(1, 3, 3, 12)));
        // A batch larger than a pass is taken whole, alone.
        assert_eq!(r.head(2), Some(span(1, 1, 1, 3)));
        let taken: Vec<i64> = r
            .take(r.head(7).unwrap())
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(taken, [1, 2]);
        assert_eq!((ids(&r), r.fixes()), (vec![3], 5));
    }

    #[test]
    fn a_head_let_go_meanwhile_is_not_taken() {
        let mut r = Recent::new(10);
        r.committed(1, batch(4));
        r.committed(2, batch(4));
        let span = r.head(8).unwrap();
        // Four more fixes push the oldest batch past the bound.
        r.committed(3, batch(4));
        assert_eq!((ids(&r), r.fixes()), (vec![2, 3], 8));
        assert!(r.take(span).is_none());
        assert_eq!(ids(&r), [2, 3], "nothing taken");
    }

    #[test]
    fn ids_that_do_not_follow_on_empty_the_copy() {
        let mut r = Recent::new(100);
        r.committed(10, batch(2));
        r.committed(8, batch(1));
        assert_eq!((ids(&r), r.fixes()), (vec![8], 1));
    }

    #[test]
    fn batches_read_from_the_log_or_cleared_are_forgotten() {
        let mut r = Recent::new(100);
        for id in 1..=4 {
            r.committed(id, batch(2));
        }
        r.forget_through(2);
        assert_eq!((ids(&r), r.fixes()), (vec![3, 4], 4));
        r.forget_through(0);
        assert_eq!(ids(&r), [3, 4]);
        r.clear();
        assert_eq!((r.head(1), r.fixes()), (None, 0));
    }
}
