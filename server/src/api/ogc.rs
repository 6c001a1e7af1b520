//! OGC API - Features (being written).

use std::sync::Arc;

use axum::Router;

use crate::app::App;

/// The `/ogc` routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
}
