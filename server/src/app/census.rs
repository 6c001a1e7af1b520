//! The staff census as the app takes it (人员分布, `staff_cells`): a pass
//! every [`CENSUS_EVERY`] while anyone watches, its changes pushed to each
//! viewer, and the counts a snapshot starts from.

use riskmap_engine::Engine;

use super::App;
use crate::live::Subscription;
use crate::live::census::{Census, Counts, Table};
use riskmap_wire::Layers;

impl App {
    /// Takes the census and sends each `staff_cells` viewer what changed
    /// for it. While no one watches it is forgotten: a screen opening an
    /// hour later is counted afresh, not shown the hour-old table, and the
    /// members' memo (24 MB at a million) is let go. Blocking (a pass over
    /// every member): run it off the async workers.
    pub fn census_pass(&self) {
        if self.hub.subscribers(Layers::STAFF_CELLS).is_empty() {
            *self.census.lock() = Census::default();
            return;
        }
        let now = crate::clock::now_ms();
        // The engine before the census, as a snapshot takes them: the
        // other order could wait on a writer queued behind a snapshot.
        let engine = self.engine.read();
        let t = std::time::Instant::now();
        let mut census = self.census.lock();
        let before = census.latest_taken();
        let table = census.take(&engine, now, self.limits.stale_after_ms);
        // The viewers are read after the new table is in place: one that
        // subscribes later has its snapshot from it, one before is sent the
        // changes from the table its snapshot may have used.
        let viewers = self.hub.subscribers(Layers::STAFF_CELLS);
        let changes = census.changes(before.as_deref(), &table, &viewers, engine.areas());
        drop((census, engine));
        self.metrics
            .observe(crate::metrics::Query::Census, t.elapsed());
        for (viewer, text) in changes {
            self.hub.send_to(viewer, text);
        }
    }

    /// The counts a snapshot of `sub` carries: the last census's (at most
    /// [`CENSUS_EVERY`](crate::live::census::CENSUS_EVERY) old; the changes
    /// since follow), or a census taken now if none is.
    #[must_use]
    pub fn census_for_snapshot(&self, engine: &Engine, sub: Subscription) -> Counts {
        let table: std::sync::Arc<Table> =
            self.census
                .lock()
                .latest(engine, crate::clock::now_ms(), self.limits.stale_after_ms);
        table.view(sub.scope, sub.bbox, engine.areas())
    }
}
