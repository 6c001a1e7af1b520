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
//! - [`citydir`]: reads a city directory (one GeoJSON file per layer).
//! - [`config`]: the command line.
//! - [`summary`]: `riskmap summary`, a report on a loaded city.
//!
//! The server around it (stores, live push, HTTP API) builds on this crate;
//! see docs/ARCHITECTURE.md for the module map and data flow.

pub mod citydir;
pub mod config;
pub mod engine;
pub mod summary;
