//! What clients send riskmap, decoded and checked before anything acts on
//! it: the `/ws` messages, position fixes (REST batches, `/ws`, OsmAnd and
//! Traccar's JSON), the dispatch and map queries' parameters, incident
//! reports, and the times they carry.
//!
//! The decoders of untrusted input stand here on their own — no HTTP, no
//! SQL, no async — so that the fuzz targets build them and the engine, not
//! the whole server (a cold fuzz build went from nine minutes to under
//! two). The server's API and live layers use them as they are.

pub mod fix;
pub mod message;
pub mod osmand;
pub mod query;
pub mod report;
pub mod time;

pub use fix::{FixIn, to_fix};
pub use message::{ClientMessage, Layers};
pub use report::{Priority, ReportIn, Source};
pub use riskmap_engine::gcj02::Datum;
