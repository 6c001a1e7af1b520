//! riskmap — a real-time situational awareness map server for city grid
//! governance (网格化管理).
//!
//! # Layout
//!
//! Layers point down: `api` → `app` → {`incident`, `alert`, `org`, `connector`, `live`,
//! `store`, `identity`, `event`} → the `riskmap_engine` crate (the model and the
//! in-memory indexes: no HTTP, no SQL, no async). `scripts/check-layers.sh`
//! checks it.
//!
//! - [`api`]: axum routes (REST, OGC API - Features, `/ws`, OsmAnd, the
//!   OpenAPI document): parse, call the app layer, map errors. Thin.
//! - [`app`]: the application layer. `App` holds the shared state; every
//!   change (fixes, incident reports and actions, layer imports) is a method
//!   there that validates, commits to the store, and hands the committed
//!   [`event::DomainEvent`] to `App::apply`, the one place live state
//!   changes.
//! - [`event`]: the domain events, typed and serialisable (the seam a
//!   cluster puts on its log).
//! - [`incident`]: the incident closed loop, pure: state machine, typed
//!   commands and views, clock, calendar, statistics.
//! - [`alert`]: alerts (a worker's SOS), pure: the record, its steps, the
//!   book.
//! - [`org`]: the organisation (网格+): departments and their routing,
//!   pure.
//! - [`connector`]: the external systems that push reports and are
//!   answered back (sources, signatures, call-backs), pure.
//! - [`live`]: the hub (subscriptions, bounded per-viewer queues, the
//!   coalescing tick) and the `/ws` message forms.
//! - [`identity`]: users and roles, scopes (分级授权), passwords, sessions,
//!   the login throttle, per-token rates.
//! - [`store`]: persistence behind one trait: SQLite (default) or PostGIS.
//! - [`net`]: listeners, TLS, peer and client addresses, the serve loop.
//! - [`serve`]: start-up, background tasks, demo set-up, shutdown;
//!   [`simulator`]: demo mode's walkers.
//! - [`clock`], [`config`], [`metrics`], [`summary`]: time, the command
//!   line, Prometheus figures, `riskmap summary`.
//!
//! docs/ARCHITECTURE.md has the module map and the data flows.

pub mod alert;
pub mod api;
pub mod app;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod connector;
pub mod event;
pub mod fence;
pub mod identity;
pub mod incident;
pub mod live;
pub mod metrics;
pub mod net;
pub mod org;
pub mod patrol;
pub mod roster;
pub mod serve;
pub mod simulator;
pub mod store;
pub mod summary;
pub mod venue;
