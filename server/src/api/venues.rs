//! 场所码 over REST: a key place's code (`GET /api/venues/{id}/code`, and
//! as a QR code to print: `code.png`, `code.svg`), a field worker's scan
//! (`POST /api/venues/scan`), and the inspections (`GET
//! /api/venues/inspections`), each under 分级授权. The rules are the app
//! layer's (`app/venues.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::incidents::time_param;
use super::origin::ServerRoot;
use crate::app::App;
use crate::app::venues::{ListIn, ScanIn, VenueCode};
use crate::venue::qr;

/// A place's code with the link its printed QR code carries.
#[derive(Serialize)]
pub struct PrintedCode {
    /// The code.
    #[serde(flatten)]
    pub code: VenueCode,
    /// The field page's absolute link (what a phone's camera opens).
    pub link: String,
}

/// `GET /api/venues/{id}/code`.
pub async fn code(
    State(app): State<Arc<App>>,
    p: Principal,
    root: ServerRoot,
    Path(id): Path<String>,
) -> ApiResult<Json<PrintedCode>> {
    let code = app.venue_code(&p.user, &id)?;
    let link = link(&root, &code)?;
    Ok(Json(PrintedCode { code, link }))
}

/// The link a printed code carries: the field page at the address phones
/// reach this server by (`--public-url`, else as the request reached it).
fn link(root: &ServerRoot, code: &VenueCode) -> ApiResult<String> {
    if !root.is_absolute() {
        return Err(ApiError::BadRequest(
            "cannot tell the address phones reach this server by (the request names no host): \
             start the server with --public-url"
                .into(),
        ));
    }
    Ok(format!("{}{}", root.0, code.path))
}

/// The two printable drawings of a code.
#[derive(Clone, Copy)]
enum Drawing {
    Png,
    Svg,
}

/// A place's code drawn, for whoever may print it.
fn drawn(
    app: &App,
    p: &Principal,
    root: &ServerRoot,
    id: &str,
    how: Drawing,
) -> ApiResult<Response> {
    let code = app.venue_code(&p.user, id)?;
    let link = link(root, &code)?;
    let (content_type, ext, body) = match how {
        Drawing::Png => ("image/png", "png", qr::png(&link)),
        Drawing::Svg => (
            "image/svg+xml",
            "svg",
            qr::svg(&link, &[&code.name, &code.code]).map(String::into_bytes),
        ),
    };
    let body = body.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"venue-{}.{ext}\"",
                    file_safe(&code.place_id)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// A place id as a file name's part: letters, digits, `-` and `_` only.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `GET /api/venues/{id}/code.png`.
pub async fn code_png(
    State(app): State<Arc<App>>,
    p: Principal,
    root: ServerRoot,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    drawn(&app, &p, &root, &id, Drawing::Png)
}

/// `GET /api/venues/{id}/code.svg`.
pub async fn code_svg(
    State(app): State<Arc<App>>,
    p: Principal,
    root: ServerRoot,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    drawn(&app, &p, &root, &id, Drawing::Svg)
}

/// `POST /api/venues/scan`.
pub async fn scan(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(body): Json<ScanIn>,
) -> ApiResult<Response> {
    let inspection = app.scan(&p.user, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "inspection": inspection })),
    )
        .into_response())
}

/// `GET /api/venues/due` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueParams {
    area: Option<String>,
    overdue: Option<bool>,
}

/// `GET /api/venues/due`.
pub async fn due(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<DueParams>,
) -> ApiResult<Response> {
    let mut places = app.places_due(&p.user, q.area.as_deref())?;
    let total = places.len();
    let overdue = places.iter().filter(|d| d.overdue).count();
    if q.overdue == Some(true) {
        places.retain(|d| d.overdue);
    }
    Ok(Json(json!({ "total": total, "overdue": overdue, "places": places })).into_response())
}

/// `GET /api/venues/inspections` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionsParams {
    place: Option<String>,
    staff: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/venues/inspections`.
pub async fn inspections(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<InspectionsParams>,
) -> ApiResult<Response> {
    let list = ListIn {
        from: time_param(q.from.as_deref())?,
        to: time_param(q.to.as_deref())?,
        place: q.place,
        staff: q.staff,
        limit: q.limit,
    };
    let rows = app.inspections(&p.user, list).await?;
    Ok(Json(json!({ "inspections": rows })).into_response())
}
