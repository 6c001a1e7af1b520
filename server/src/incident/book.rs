//! Every incident in memory, with what the clock says about each, the open
//! set, serial numbers and who is busy with what. The book is the live truth
//! the API reads; the app layer changes it only after the store committed.

use std::collections::{BTreeSet, HashMap};

use super::dictionary::Dictionary;
use super::model::Incident;
use super::timing::{Timing, Warning};
use riskmap_engine::model::EpochMs;
use riskmap_engine::sphere::{self, LonLat};

/// An incident with its clock.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The incident.
    pub incident: Incident,
    /// Its deadlines.
    pub timing: Timing,
    /// The warning level last announced.
    pub warning: Warning,
    /// How many flow-log entries it has.
    pub log_len: i64,
    /// Whether its open 督办 order was announced as overdue (or was
    /// overdue already when this node loaded it: a restart does not repeat
    /// the announcement).
    pub order_overdue: bool,
}

/// Where an incident stands in the order of report times: the time and
/// its position in [`Book::iter`] (which orders equal times).
pub type ReportKey = (EpochMs, usize);

/// The in-memory incident book.
#[derive(Debug, Default)]
pub struct Book {
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    open: BTreeSet<usize>,
    /// Every position by the time its incident was reported, in order: the
    /// statistics of today (pushed every second) and an analysis of a
    /// month read their period, not the whole history.
    by_reported: Vec<ReportKey>,
    /// Highest serial used per local day (`yyyymmdd`).
    day_seq: HashMap<String, u32>,
    /// Open tasks held per staff member.
    active: HashMap<String, u32>,
    /// Every position by its assigned staff member, running or finished: a
    /// field user's 已办 reads theirs, not the whole history.
    by_assignee: HashMap<String, BTreeSet<usize>>,
    /// 随手拍: incidents by their citizen tracking code.
    by_code: HashMap<String, usize>,
    /// 随手拍: a citizen's reports, by phone number (for 积分).
    by_phone: HashMap<String, Vec<usize>>,
}

impl Book {
    /// A book of stored incidents with their log lengths.
    #[must_use]
    pub fn load(incidents: Vec<(Incident, i64)>, dict: &Dictionary, now: EpochMs) -> Book {
        let mut b = Book::default();
        for (inc, log_len) in incidents {
            b.put(inc, dict, now, log_len);
        }
        b
    }

    /// How many incidents.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// An incident by id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// The incident at a position of [`Book::iter`] (stable: incidents are
    /// never removed).
    #[must_use]
    pub fn at(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    /// The position of an incident in [`Book::iter`].
    #[must_use]
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Every incident, oldest first.
    #[must_use = "iterators do nothing unless used"]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.entries.iter()
    }

    /// The incidents reported in `[from, to)` (either end open when
    /// `None`), oldest first.
    #[must_use = "iterators do nothing unless used"]
    pub fn reported_in(
        &self,
        from: Option<EpochMs>,
        to: Option<EpochMs>,
    ) -> impl DoubleEndedIterator<Item = &Entry> {
        self.reported_keys(from, to, None)
            .iter()
            .map(|&(_, i)| &self.entries[i])
    }

    /// A slice of a walk through the reports of `[from, to)`, newest first:
    /// the keys (report time, position) of the newest `n` reported before
    /// `before` (from the newest when `None`), oldest first, and the key to
    /// go on before (`None`: the walk is done). The walk holds the book
    /// only for a slice, and goes on however the book changed in between:
    /// the keys are in order, and a position never moves.
    #[must_use]
    pub fn reported_slice(
        &self,
        from: Option<EpochMs>,
        to: Option<EpochMs>,
        before: Option<ReportKey>,
        n: usize,
    ) -> (&[ReportKey], Option<ReportKey>) {
        let keys = self.reported_keys(from, to, before);
        let slice = &keys[keys.len().saturating_sub(n)..];
        let next = slice.first().copied().filter(|_| slice.len() < keys.len());
        (slice, next)
    }

    /// The keys of the incidents reported in `[from, to)` and before the
    /// key `before` (every one when `None`), oldest first.
    fn reported_keys(
        &self,
        from: Option<EpochMs>,
        to: Option<EpochMs>,
        before: Option<ReportKey>,
    ) -> &[ReportKey] {
        let at = |t: Option<EpochMs>, none: usize| {
            t.map_or(none, |t| self.by_reported.partition_point(|&(c, _)| c < t))
        };
        let start = at(from, 0);
        let end = at(to, self.by_reported.len());
        let end = before.map_or(end, |b| {
            end.min(self.by_reported.partition_point(|&k| k < b))
        });
        &self.by_reported[start..end.max(start)]
    }

    /// The open incidents.
    #[must_use = "iterators do nothing unless used"]
    pub fn open(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.open.iter().map(|&i| &self.entries[i])
    }

    /// The incidents assigned to a staff member now (whatever their state),
    /// oldest first.
    #[must_use = "iterators do nothing unless used"]
    pub fn assigned_to<'a>(
        &'a self,
        staff_id: &str,
    ) -> impl DoubleEndedIterator<Item = &'a Entry> + use<'a> {
        self.by_assignee
            .get(staff_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// 随手拍: the incident a citizen's tracking code follows.
    #[must_use]
    pub fn by_tracking_code(&self, code: &str) -> Option<&Entry> {
        self.by_code.get(code).map(|&i| &self.entries[i])
    }

    /// 随手拍: every report made with a phone number.
    pub fn reports_of_phone(&self, phone: &str) -> impl Iterator<Item = &Entry> {
        self.by_phone
            .get(phone)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// The open incident a camera's alarm of `kind` repeats: the newest one
    /// raised by the same camera for the same kind whose latest alarm came
    /// at or after `since`.
    #[must_use]
    pub fn open_alarm(&self, camera: &str, kind: &str, since: EpochMs) -> Option<&Entry> {
        self.open()
            .filter(|e| {
                e.incident
                    .intake
                    .as_ref()
                    .and_then(|i| i.alarm.as_ref())
                    .is_some_and(|a| a.camera == camera && a.kind == kind && a.last_ms >= since)
            })
            .max_by_key(|e| e.incident.created_ms)
    }

    /// Open tasks a staff member holds.
    #[must_use]
    pub fn active_tasks(&self, staff_id: &str) -> u32 {
        self.active.get(staff_id).copied().unwrap_or(0)
    }

    /// The next serial number of the local day of `now`: `SJ` + date +
    /// six digits. Not used until [`Book::put`] stores it.
    #[must_use]
    pub fn next_id(&self, dict: &Dictionary, now: EpochMs) -> String {
        self.next_id_skipping(dict, now, 0)
    }

    /// The id `skip` serials after [`Book::next_id`] (a cluster node whose
    /// next serials other nodes took, before their reports reached it).
    #[must_use]
    pub fn next_id_skipping(&self, dict: &Dictionary, now: EpochMs, skip: u32) -> String {
        let day = dict.calendar().date_of(now).format("%Y%m%d").to_string();
        let n = self.day_seq.get(&day).copied().unwrap_or(0) + 1 + skip;
        format!("SJ{day}{n:06}")
    }

    /// The nearest open incident of `category` within the duplicate rule of
    /// a report at `at`, `now`.
    #[must_use]
    pub fn possible_duplicate(
        &self,
        dict: &Dictionary,
        category: &str,
        at: LonLat,
        now: EpochMs,
    ) -> Option<String> {
        let rule = dict.duplicates();
        let since = now - (rule.window_hours * 3_600_000.0) as i64;
        self.open()
            .map(|e| &e.incident)
            .filter(|i| i.category == category && i.created_ms >= since && !i.report_only)
            .map(|i| (sphere::distance_m(at, i.position), i))
            .filter(|(d, _)| *d <= rule.radius_m)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, i)| i.id.clone())
    }

    /// Stores a new or changed incident (after it is committed).
    pub fn put(&mut self, inc: Incident, dict: &Dictionary, now: EpochMs, log_len: i64) {
        if let Some(day_seq) = serial_parts(&inc.id) {
            let slot = self.day_seq.entry(day_seq.0).or_default();
            *slot = (*slot).max(day_seq.1);
        }
        let timing = Timing::of(&inc, dict);
        let warning = timing.warning(now);
        let open = inc.is_open();
        let holds = inc
            .state
            .holds_assignee()
            .then(|| inc.assignee_staff.clone())
            .flatten();
        let order = inc.chain.open_order().map(|o| (o.at_ms, o.due_ms));
        // The same order as before keeps its announcement; a first sight of
        // an order already overdue (loading) is not news.
        let order_overdue = match (order, self.by_id.get(&inc.id)) {
            (None, _) => false,
            (Some((at, _)), Some(&i)) => {
                let old = &self.entries[i];
                old.order_overdue && old.incident.chain.open_order().map(|o| o.at_ms) == Some(at)
            }
            (Some((_, due)), None) => due <= now,
        };
        let entry = Entry {
            incident: inc,
            timing,
            warning,
            log_len,
            order_overdue,
        };
        let reported = entry.incident.created_ms;
        let assignee = entry.incident.assignee_staff.clone();
        let i = if let Some(&i) = self.by_id.get(&entry.incident.id) {
            let old = &self.entries[i].incident;
            if old.assignee_staff != assignee
                && let Some(s) = &old.assignee_staff
                && let Some(set) = self.by_assignee.get_mut(s)
            {
                set.remove(&i);
            }
            if old.state.holds_assignee()
                && let Some(s) = &old.assignee_staff
                && let Some(n) = self.active.get_mut(s)
            {
                *n = n.saturating_sub(1);
            }
            if old.created_ms != reported {
                self.unindex_reported(old.created_ms, i);
                self.index_reported(reported, i);
            }
            self.entries[i] = entry;
            i
        } else {
            let i = self.entries.len();
            self.index_reported(reported, i);
            self.by_id.insert(entry.incident.id.clone(), i);
            if let Some(intake) = &entry.incident.intake {
                if let Some(code) = &intake.tracking_code {
                    self.by_code.insert(code.clone(), i);
                }
                if let Some(phone) = &intake.phone {
                    self.by_phone.entry(phone.clone()).or_default().push(i);
                }
            }
            self.entries.push(entry);
            i
        };
        if let Some(s) = holds {
            *self.active.entry(s).or_default() += 1;
        }
        if let Some(s) = assignee {
            self.by_assignee.entry(s).or_default().insert(i);
        }
        if open {
            self.open.insert(i);
        } else {
            self.open.remove(&i);
        }
    }

    /// Files position `i` under its report time: at the end when reports
    /// come in order (the usual case), else where it belongs.
    fn index_reported(&mut self, at: EpochMs, i: usize) {
        let key = (at, i);
        let k = self.by_reported.partition_point(|&e| e < key);
        self.by_reported.insert(k, key);
    }

    fn unindex_reported(&mut self, at: EpochMs, i: usize) {
        if let Ok(k) = self.by_reported.binary_search(&(at, i)) {
            self.by_reported.remove(k);
        }
    }

    /// Re-reads the clock of every open incident; returns those whose
    /// warning level changed, with the level before.
    pub fn rewarn(&mut self, now: EpochMs) -> Vec<(String, Warning, Warning)> {
        let mut changed = Vec::new();
        for &i in &self.open {
            let e = &mut self.entries[i];
            let w = e.timing.warning(now);
            if w != e.warning {
                changed.push((e.incident.id.clone(), e.warning, w));
                e.warning = w;
            }
        }
        changed
    }

    /// 督办逾期: the open incidents whose open order's due time has passed
    /// since the last call (each order once).
    pub fn overdue_orders(&mut self, now: EpochMs) -> Vec<String> {
        let mut late = Vec::new();
        for &i in &self.open {
            let e = &mut self.entries[i];
            let due = e.incident.chain.open_order().map(|o| o.due_ms);
            if !e.order_overdue && due.is_some_and(|d| d <= now) {
                e.order_overdue = true;
                late.push(e.incident.id.clone());
            }
        }
        late
    }
}

/// `SJ20261123000042` → ("20261123", 42).
fn serial_parts(id: &str) -> Option<(String, u32)> {
    let rest = id.strip_prefix("SJ")?;
    if rest.len() != 14 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((rest[..8].to_owned(), rest[8..].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::model::State;

    fn incident(id: &str, category: &str, lon: f64, created: EpochMs) -> Incident {
        Incident {
            category: category.into(),
            position: LonLat { lon, lat: 28.0 },
            ..Incident::sample(id, created)
        }
    }

    /// A staff member's incidents follow their assignment: moved on a
    /// reassignment, kept once finished.
    #[test]
    fn incidents_are_found_by_their_assignee() {
        let d = Dictionary::default_config();
        let now = 1_795_399_200_000;
        let mut b = Book::default();
        let ids = |b: &Book, s: &str| -> Vec<String> {
            b.assigned_to(s).map(|e| e.incident.id.clone()).collect()
        };
        let assigned = |id: &str, staff: Option<&str>, state: State| Incident {
            assignee_staff: staff.map(Into::into),
            state,
            ..incident(id, "0101", 120.0, now)
        };
        b.put(assigned("A", None, State::Reported), &d, now, 1);
        b.put(assigned("B", Some("S1"), State::Dispatched), &d, now, 1);
        assert!(ids(&b, "S1") == ["B"] && ids(&b, "S2").is_empty());
        b.put(assigned("A", Some("S1"), State::Dispatched), &d, now, 2);
        b.put(assigned("B", Some("S2"), State::Dispatched), &d, now, 2);
        assert_eq!(
            (ids(&b, "S1"), ids(&b, "S2")),
            (vec!["A".to_owned()], vec!["B".to_owned()])
        );
        b.put(assigned("A", Some("S1"), State::Closed), &d, now, 3);
        b.put(assigned("B", None, State::Accepted), &d, now, 3);
        assert_eq!(
            (ids(&b, "S1"), ids(&b, "S2")),
            (vec!["A".to_owned()], vec![])
        );
    }

    #[test]
    fn serials_continue_after_a_reload() {
        let d = Dictionary::default_config();
        // 2026-11-23 10:00 Beijing.
        let now = 1_795_399_200_000;
        let mut b = Book::default();
        assert_eq!(b.next_id(&d, now), "SJ20261123000001");
        b.put(incident("SJ20261123000041", "0101", 120.0, now), &d, now, 1);
        assert_eq!(b.next_id(&d, now), "SJ20261123000042");
        // The next day starts again at 1.
        assert_eq!(b.next_id(&d, now + 86_400_000), "SJ20261124000001");
    }

    /// The period's incidents by their report time are exactly those the
    /// whole book holds in it, oldest first, whatever order they were put
    /// in and however often changed (a changed report time moves them).
    #[test]
    fn the_period_holds_what_was_reported_in_it() {
        let d = Dictionary::default_config();
        let now = 1_795_399_200_000;
        let mut b = Book::default();
        let mut seed = 7_u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        for _ in 0..600 {
            let id = format!("I{}", next(200));
            let created = now - next(50) as i64 * 60_000;
            b.put(incident(&id, "0101", 120.0, created), &d, now, 1);
        }
        for (from, to) in [
            (None, None),
            (Some(now - 20 * 60_000), None),
            (Some(now - 30 * 60_000), Some(now - 10 * 60_000)),
            (Some(now), Some(now - 60_000)),
            (None, Some(now - 49 * 60_000)),
        ] {
            let got: Vec<(EpochMs, &str)> = b
                .reported_in(from, to)
                .map(|e| (e.incident.created_ms, e.incident.id.as_str()))
                .collect();
            let mut want: Vec<(EpochMs, &str)> = b
                .iter()
                .map(|e| (e.incident.created_ms, e.incident.id.as_str()))
                .filter(|(t, _)| from.is_none_or(|f| *t >= f) && to.is_none_or(|u| *t < u))
                .collect();
            want.sort_by_key(|&(t, _)| t);
            let times = |v: &[(EpochMs, &str)]| v.iter().map(|x| x.0).collect::<Vec<_>>();
            assert_eq!(times(&got), times(&want), "{from:?}..{to:?}");
            let (mut g, mut w) = (got.clone(), want.clone());
            g.sort_unstable();
            w.sort_unstable();
            assert_eq!(g, w, "{from:?}..{to:?}");
        }
    }

    /// A walk by slices, newest first, going on before the last key read:
    /// the same as the period read at once; and with the book changed
    /// between slices, nothing is visited twice, everything there from the
    /// start is visited, and so is a late report of long ago.
    #[test]
    fn a_walk_by_slices_sees_each_incident_once_however_the_book_changes() {
        let d = Dictionary::default_config();
        let now = 1_795_399_200_000;
        let mut b = Book::default();
        for n in 0..100 {
            let created = now - (n * 7 % 50) * 60_000;
            b.put(
                incident(&format!("I{n}"), "0101", 120.0, created),
                &d,
                now,
                1,
            );
        }
        let from = Some(now - 40 * 60_000);
        let walk = |b: &mut Book, change: bool| -> Vec<String> {
            let mut seen = Vec::new();
            let mut before = None;
            for round in 0.. {
                let (slice, next) = b.reported_slice(from, None, before, 7);
                seen.extend(
                    slice
                        .iter()
                        .rev()
                        .map(|&(_, i)| b.at(i).unwrap().incident.id.clone()),
                );
                before = next;
                if before.is_none() {
                    break;
                }
                if change {
                    // A new report (after the walk's place: not seen), a
                    // late one of long ago (before it: seen), and I3 moved.
                    b.put(
                        incident(&format!("N{round}"), "0101", 120.0, now),
                        &d,
                        now,
                        1,
                    );
                    let old = now - 39 * 60_000;
                    b.put(
                        incident(&format!("O{round}"), "0101", 120.0, old),
                        &d,
                        now,
                        1,
                    );
                    let lon = 120.0 + f64::from(round) / 100.0;
                    b.put(incident("I3", "0101", lon, now - 21 * 60_000), &d, now, 1);
                }
            }
            seen
        };
        let at_once: Vec<String> = b
            .reported_in(from, None)
            .rev()
            .map(|e| e.incident.id.clone())
            .collect();
        assert_eq!(walk(&mut b, false), at_once);
        let seen = walk(&mut b, true);
        let mut once = seen.clone();
        once.sort();
        once.dedup();
        assert_eq!(once.len(), seen.len(), "visited twice: {seen:?}");
        for id in &at_once {
            assert!(seen.contains(id), "{id} missed: {seen:?}");
        }
        assert!(seen.iter().any(|id| id.starts_with('O')), "{seen:?}");
        assert!(!seen.iter().any(|id| id.starts_with('N')), "{seen:?}");
    }

    #[test]
    fn duplicates_are_near_recent_open_and_of_the_same_category() {
        let d = Dictionary::default_config();
        let now = 1_795_399_200_000;
        let mut b = Book::default();
        // ~100 m and ~1 km east of 120.0.
        b.put(incident("A", "0101", 120.001, now - 3_600_000), &d, now, 1);
        b.put(incident("B", "0101", 120.01, now), &d, now, 1);
        b.put(incident("C", "0102", 120.0001, now), &d, now, 1);
        let mut old = incident("D", "0101", 120.0002, now - 30 * 3_600_000);
        old.created_ms = now - 30 * 3_600_000;
        b.put(old, &d, now, 1);
        let at = LonLat {
            lon: 120.0,
            lat: 28.0,
        };
        assert_eq!(
            b.possible_duplicate(&d, "0101", at, now).as_deref(),
            Some("A")
        );
        // Closed ones are not duplicates.
        let mut a = b.get("A").unwrap().incident.clone();
        a.state = State::Closed;
        b.put(a, &d, now, 2);
        assert_eq!(b.possible_duplicate(&d, "0101", at, now), None);
    }

    #[test]
    fn active_tasks_follow_the_assignee() {
        let d = Dictionary::default_config();
        let now = 1_795_399_200_000;
        let mut b = Book::default();
        let mut i = incident("A", "0101", 120.0, now);
        b.put(i.clone(), &d, now, 1);
        i.state = State::Dispatched;
        i.assignee_staff = Some("S1".into());
        b.put(i.clone(), &d, now, 2);
        assert_eq!(b.active_tasks("S1"), 1);
        i.state = State::Handled;
        b.put(i, &d, now, 3);
        assert_eq!(b.active_tasks("S1"), 0);
    }

    #[test]
    fn an_overdue_order_is_announced_once_and_not_again_after_a_reload() {
        let d = Dictionary::default_config();
        let now = 1_795_399_200_000;
        let order = |at: EpochMs, due: EpochMs| crate::incident::model::Supervision {
            by: "city".into(),
            by_area: "1".into(),
            order: "快".into(),
            at_ms: at,
            due_ms: due,
            answered_ms: None,
            answered_by: None,
            answer: None,
        };
        let mut i = incident("SJ20261123000001", "0101", 120.0, now);
        i.chain.supervision = Some(order(now, now + 1000));
        let mut b = Book::default();
        b.put(i.clone(), &d, now, 1);
        assert!(b.overdue_orders(now + 999).is_empty(), "not due yet");
        assert_eq!(b.overdue_orders(now + 1000), ["SJ20261123000001"]);
        assert!(b.overdue_orders(now + 5000).is_empty(), "once");
        // Another change of the incident keeps the announcement; a new
        // order is news again.
        i.version += 1;
        b.put(i.clone(), &d, now + 6000, 2);
        assert!(b.overdue_orders(now + 7000).is_empty());
        i.chain.supervision = Some(order(now + 8000, now + 9000));
        i.version += 1;
        b.put(i.clone(), &d, now + 8000, 3);
        assert_eq!(b.overdue_orders(now + 9000).len(), 1);
        // A node loading it overdue does not announce it.
        let reloaded = Book::load(vec![(i, 3)], &d, now + 10_000);
        let mut reloaded = reloaded;
        assert!(reloaded.overdue_orders(now + 11_000).is_empty());
    }
}
