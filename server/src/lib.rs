//! riskmap — a real-time situational awareness map server for city grid
//! governance (网格化管理).
//!
//! # Layout
//!
//! - [`engine`]: the model (areas, staff, cameras, risk sources, key places)
//!   and the in-memory spatial indexes that answer every map and dispatch
//!   query. No HTTP, no SQL, no async: it is a plain data structure that the
//!   server wraps.
//!
//! - [`app`]: the running server's shared state; every live change goes
//!   through it (engine, hub, store).
//! - [`api`]: axum routes: REST, OGC API Features, `/ws`, OsmAnd. Thin.
//! - [`live`]: the hub (subscriptions, bounded per-viewer queues, the
//!   coalescing tick) and the `/ws` protocol.
//! - [`incident`]: the incident closed loop (state machine, clock, flow
//!   log, statistics) and its desk on the running server.
//! - [`ingest`]: the track writer (group commit of fixes).
//! - [`auth`]: passwords, tokens, sessions; [`scope`]: what a user may see.
//! - [`guard`]: login throttling and per-token request rates.
//! - [`tls`]: rustls for a listener exposed directly.
//! - [`metrics`]: Prometheus counters and histograms.
//! - [`serve`]: start-up and shutdown; [`simulator`]: demo mode's walkers.
//! - [`access`]: users, roles and the area each is bound to (分级授权).
//! - [`store`]: persistence behind one trait: SQLite (default) or PostGIS.
//! - [`citydir`]: reads a city directory (one GeoJSON file per layer).
//! - [`config`]: the command line.
//! - [`summary`]: `riskmap summary`, a report on a loaded city.
//!
//! The server around it (stores, live push, HTTP API) builds on this crate;
//! see docs/ARCHITECTURE.md for the module map and data flow.

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod event;
pub mod identity;
pub mod incident;
pub mod live;
pub mod metrics;
pub mod net;
pub mod serve;
pub mod simulator;
pub mod store;
pub mod summary;
