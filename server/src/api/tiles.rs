//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt`: Mapbox Vector Tiles of the static
//! layers for a web map (`app/tiles.rs` cuts and caches them). The same
//! bearer token as the API; a tile holds what the login may see.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use riskmap_engine::tile::TileId;

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use riskmap_engine::tile::layers::TileLayer;

/// The route.
pub fn router() -> Router<Arc<App>> {
    Router::new().route("/tiles/{layer}/{z}/{x}/{y}", get(tile))
}

/// The media type of a vector tile.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

/// The tile; `304 Not Modified` when the client's copy (`If-None-Match`) is
/// still the tile.
async fn tile(
    State(app): State<Arc<App>>,
    p: Principal,
    headers: HeaderMap,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
) -> ApiResult<Response> {
    let layer: TileLayer = layer.parse().map_err(ApiError::NotFound)?;
    let Some(y) = y.strip_suffix(".mvt") else {
        return Err(ApiError::NotFound(format!(
            "tiles are /tiles/{}/{{z}}/{{x}}/{{y}}.mvt; {y:?} does not end in .mvt",
            layer.name()
        )));
    };
    let number = |what: &str, s: &str| {
        s.parse::<u32>().map_err(|_| {
            ApiError::BadRequest(format!("{what} must be a whole number ≥ 0, not {s:?}"))
        })
    };
    let id = TileId::new(number("z", &z)?, number("x", &x)?, number("y", y)?)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let tile = app.tile(&p.user, layer, id).await?;
    let etag = HeaderValue::from_str(&tile.etag)
        .map_err(|e| ApiError::Internal(format!("a tile's version: {e}")))?;
    // A tile is per login (分级授权): browsers may keep it, shared caches
    // may not, and it is asked again (cheaply, 304) before each use.
    let cache = HeaderValue::from_static("private, no-cache");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(MVT)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        tile.body,
    )
        .into_response())
}
