//! The channels' routes (一网归集, 一网反馈; the rules are the app layer's,
//! `app/channels/`):
//!
//! - `/api/public/…`: the citizen page's, without a login — categories,
//!   the proof-of-work challenge, photos, reports, their status, ratings;
//! - `/api/attachments…`: staff's photo uploads and downloads (分级授权);
//! - `/api/intake/…`: other systems' signed pushes, and the administrator's
//!   sources and call-backs.
//!
//! They carry images (a camera's snapshot inside JSON too): their own
//! body limit, [`UPLOAD_LIMIT`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, extract::DefaultBodyLimit};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::guard::ClientAddr;
use crate::app::App;
use crate::app::channels::attachments::Photo;
use crate::app::channels::citizen::CitizenReport;
use crate::app::channels::connectors::SourceIn;
use crate::clock::now_ms;
use crate::connector::{CallbackState, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::identity::UserRole;

/// Largest body on these routes: an 8 MiB image, base64 inside JSON.
pub const UPLOAD_LIMIT: usize = 12 * 1024 * 1024;

/// The routes, with their body limit.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/api/public/categories", get(categories))
        .route("/api/public/calendar", get(calendar))
        .route("/api/public/challenge", get(challenge))
        .route("/api/public/attachments", post(public_upload))
        .route("/api/public/reports", post(report))
        .route("/api/public/reports/{code}", get(status))
        .route("/api/public/reports/{code}/rating", post(rate))
        .route("/api/public/reports/{code}/photos/{id}", get(public_photo))
        .route(
            "/api/public/reports/{code}/photos/{id}/thumb",
            get(public_thumb),
        )
        .route("/api/attachments", post(upload))
        .route("/api/attachments/{id}", get(photo))
        .route("/api/attachments/{id}/thumb", get(thumb))
        .route("/api/intake/sources", get(sources).post(save_source))
        .route("/api/intake/deliveries", get(deliveries))
        .route("/api/intake/deliveries/{id}/retry", post(retry))
        .route("/api/intake/{source}", post(push))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}

/// `GET /api/public/categories`.
async fn categories(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "categories": app.public_categories() }))
}

/// `GET /api/public/calendar`: the city's offset from UTC, so that every
/// page shows the city's times (a shift's start, a deadline, "today")
/// whatever zone the browser is in.
async fn calendar(State(app): State<Arc<App>>) -> Json<Value> {
    let minutes = app
        .incidents
        .dictionary()
        .calendar()
        .config()
        .utc_offset_minutes;
    Json(json!({ "utc_offset_minutes": minutes }))
}

/// `GET /api/public/challenge`.
async fn challenge(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!(app.channels.proof.issue(now_ms())))
}

/// The solved challenge a public upload carries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Proof {
    challenge: String,
    nonce: String,
}

/// `POST /api/public/attachments?challenge=…&nonce=…`: the raw image.
async fn public_upload(
    State(app): State<Arc<App>>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    Query(q): Query<Proof>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let info = app
        .public_upload(&addr, &q.challenge, &q.nonce, body.to_vec())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(info))))
}

/// `POST /api/public/reports`.
async fn report(
    State(app): State<Arc<App>>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    Json(r): Json<CitizenReport>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let receipt = app.citizen_report(&addr, r).await?;
    Ok((StatusCode::CREATED, Json(json!(receipt))))
}

/// `GET /api/public/reports/{code}`.
async fn status(State(app): State<Arc<App>>, Path(code): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.public_report(&code).await?)))
}

/// `POST /api/public/reports/{code}/rating` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingIn {
    score: u8,
    #[serde(default)]
    comment: String,
}

/// `POST /api/public/reports/{code}/rating`.
async fn rate(
    State(app): State<Arc<App>>,
    Path(code): Path<String>,
    Json(r): Json<RatingIn>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.rate_report(&code, r.score, &r.comment).await?
    )))
}

/// `GET /api/public/reports/{code}/photos/{id}`.
async fn public_photo(
    State(app): State<Arc<App>>,
    Path((code, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(image(app.public_photo(&code, &id, false).await?))
}

/// `GET /api/public/reports/{code}/photos/{id}/thumb`.
async fn public_thumb(
    State(app): State<Arc<App>>,
    Path((code, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(image(app.public_photo(&code, &id, true).await?))
}

/// `POST /api/attachments`: the raw image.
async fn upload(
    State(app): State<Arc<App>>,
    p: Principal,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if p.user.role == UserRole::Viewer {
        return Err(ApiError::Forbidden(
            "a viewer (big screen) cannot upload photos".into(),
        ));
    }
    let info = app
        .upload_attachment(&p.user.username, body.to_vec())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(info))))
}

/// `GET /api/attachments/{id}`.
async fn photo(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(image(app.attachment_for(&p.user, &id, false).await?))
}

/// `GET /api/attachments/{id}/thumb`.
async fn thumb(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(image(app.attachment_for(&p.user, &id, true).await?))
}

/// An image answer: content-addressed, so it never changes, but private.
fn image(photo: Photo) -> Response {
    (
        [
            (header::CONTENT_TYPE, photo.mime),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        photo.bytes,
    )
        .into_response()
}

/// `GET /api/intake/sources`.
async fn sources(State(app): State<Arc<App>>, p: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "sources": app.intake_sources(&p.user).await? }),
    ))
}

/// `POST /api/intake/sources`.
async fn save_source(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(s): Json<SourceIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let saved = app.save_intake_source(&p.user, s).await?;
    Ok((StatusCode::CREATED, Json(json!(saved))))
}

/// `GET /api/intake/deliveries` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryParams {
    state: Option<String>,
}

/// `GET /api/intake/deliveries?state=…`.
async fn deliveries(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<DeliveryParams>,
) -> ApiResult<Json<Value>> {
    let state = q
        .state
        .as_deref()
        .map(|s| {
            CallbackState::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "state {s:?}: pending, delivered, failed or skipped"
                ))
            })
        })
        .transpose()?;
    Ok(Json(
        json!({ "deliveries": app.callbacks_for(&p.user, state).await? }),
    ))
}

/// `POST /api/intake/deliveries/{id}/retry`.
async fn retry(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no call-back {id}")))?;
    Ok(Json(json!(app.retry_callback(&p.user, id).await?)))
}

/// `POST /api/intake/{source}`: signed, no login.
async fn push(
    State(app): State<Arc<App>>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let accepted = app
        .push_intake(
            &source,
            text(TIMESTAMP_HEADER),
            text(SIGNATURE_HEADER),
            &body,
        )
        .await?;
    let status = if accepted.duplicate || accepted.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(accepted))))
}
