//! `/api/fences`: the geofences (电子围栏) as GeoJSON. The command centre
//! reads those placed in its area; administrators add or replace them (a
//! Feature or a FeatureCollection; `PUT` replaces every fence of their
//! area) and delete them. The rules are the app layer's (`app/fences.rs`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use geojson::{Feature, FeatureCollection, GeoJson};
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use crate::app::App;

/// The routes; a save may carry a whole city's fences, so it gets the
/// import's body limit.
pub fn router(import_limit: usize) -> Router<Arc<App>> {
    Router::new()
        .route("/api/fences", get(list).post(add).put(replace))
        .route("/api/fences/{id}", delete(remove))
        .layer(DefaultBodyLimit::max(import_limit))
}

/// `GET /api/fences`: a FeatureCollection.
async fn list(State(app): State<Arc<App>>, p: Principal) -> ApiResult<Json<FeatureCollection>> {
    Ok(Json(FeatureCollection {
        bbox: None,
        features: app.fences_of(&p.user)?,
        foreign_members: None,
    }))
}

/// A Feature or a FeatureCollection of them.
fn features(body: Value) -> Result<Vec<Feature>, ApiError> {
    match serde_json::from_value::<GeoJson>(body) {
        Ok(GeoJson::Feature(f)) => Ok(vec![f]),
        Ok(GeoJson::FeatureCollection(c)) => Ok(c.features),
        Ok(GeoJson::Geometry(_)) => Err(ApiError::BadRequest(
            "send a Feature or a FeatureCollection, not a bare geometry (a fence needs a name)"
                .into(),
        )),
        Err(e) => Err(ApiError::BadRequest(format!("not GeoJSON: {e}"))),
    }
}

/// `POST /api/fences`: adds or replaces (by id) the fences sent.
async fn add(app: State<Arc<App>>, p: Principal, body: Json<Value>) -> ApiResult<Json<Value>> {
    save(app, p, body, false).await
}

/// `PUT /api/fences`: the administrator's area's fences become those sent.
async fn replace(app: State<Arc<App>>, p: Principal, body: Json<Value>) -> ApiResult<Json<Value>> {
    save(app, p, body, true).await
}

async fn save(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(body): Json<Value>,
    replace: bool,
) -> ApiResult<Json<Value>> {
    let (saved, removed) = app.save_fences(&p.user, &features(body)?, replace).await?;
    Ok(Json(json!({ "saved": saved, "removed": removed })))
}

/// `DELETE /api/fences/{id}`.
async fn remove(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.remove_fence(&p.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
