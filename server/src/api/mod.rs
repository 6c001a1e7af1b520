//! HTTP and WebSocket: thin axum handlers over [`crate::app::App`].
//!
//! - [`auth`]: login, logout, who am I, and the bearer-token extractor.
//! - [`guard`]: the middleware around every route (per-token rate, client
//!   address, audit of writes); [`audit`]: reading the audit log.
//! - [`queries`]: dispatch and spatial queries (REST; `/ws` reuses them).
//! - [`fixes`]: `POST /api/fixes` and the OsmAnd protocol (`/osmand`).
//! - [`duty`]: checking staff in and out (上岗/离岗).
//! - [`incidents`]: the incident closed loop.
//! - [`ws`]: `/ws`, live push and field clients.
//! - [`ogc`]: OGC API - Features at `/ogc`, and layer import.
//! - [`tiles`]: vector tiles of the static layers at `/tiles`.
//! - [`openapi`]: the OpenAPI document.
//! - [`health`]: `/health`, `/ready`, `/metrics`.
//! - [`web_client`]: the built pages, or a page saying how to build them.
//! - [`error`]: the one error type; [`extract`]: `Json`/`Query` that refuse with it.

pub mod alerts;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod blocking;
pub mod channels;
pub mod departments;
pub mod duty;
pub mod error;
pub mod extract;
pub mod fences;
pub mod fixes;
pub mod guard;
pub mod health;
pub mod incident_list;
pub mod incidents;
pub mod ogc;
pub mod openapi;
pub mod origin;
pub mod patrol;
pub mod queries;
pub mod risk;
pub mod roster;
pub mod staff;
pub mod tiles;
pub mod users;
pub mod venues;
pub mod web_client;
pub mod ws;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{any, get, patch, post};
use tower_http::trace::TraceLayer;

use crate::app::App;

/// The whole HTTP surface. `static_dir` (the built web client), if given, is
/// served at `/` with `/field` going to its field page.
pub fn router(app: Arc<App>, static_dir: Option<PathBuf>) -> Router {
    let import_limit = app.limits.max_import_bytes;
    let mut r = Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/password", post(auth::change_password))
        .route("/api/me", get(auth::me))
        .route("/api/audit", get(audit::audit))
        .route("/api/users", get(users::list).post(users::create))
        .route("/api/users/{username}", patch(users::change))
        .route(
            "/api/departments",
            get(departments::list).post(departments::save),
        )
        .route("/api/assessment", get(assessment::assessment))
        .route(
            "/api/users/{username}/password",
            post(users::reset_password),
        )
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/dispatch/nearest", get(queries::nearest))
        .route("/api/dispatch/batch", post(queries::batch))
        .route("/api/dispatch/cameras", get(queries::cameras))
        .route("/api/dispatch/nearby", get(queries::nearby))
        .route("/api/dispatch/locate", get(queries::locate))
        .route("/api/heatmap", get(queries::heatmap))
        .route("/api/venues/scan", post(venues::scan))
        .route("/api/venues/inspections", get(venues::inspections))
        .route("/api/venues/due", get(venues::due))
        .route("/api/venues/{id}/code", get(venues::code))
        .route("/api/venues/{id}/code.png", get(venues::code_png))
        .route("/api/venues/{id}/code.svg", get(venues::code_svg))
        .route("/api/patrol/coverage", get(patrol::coverage))
        .route("/api/patrol/log", get(patrol::log))
        .route("/api/patrol/staff/{id}", get(patrol::worker))
        .route("/api/roster", get(roster::list).put(roster::replace))
        .route("/api/roster/due", get(roster::due))
        .route("/api/risk/grids", get(risk::grids))
        .route("/api/risk/grids/{code}", get(risk::grid))
        .route("/api/risk/areas/{code}", get(risk::area))
        .route("/api/risk/analysis", get(risk::analysis))
        .route("/api/staff/{id}", get(staff::staff))
        .route("/api/staff/{id}/track", get(staff::track))
        .route("/api/staff/{id}/duty", post(duty::change))
        .route("/api/staff/{id}/sos", post(alerts::raise))
        .route("/api/staff/{id}/sos/cancel", post(alerts::cancel))
        .route("/api/alerts", get(alerts::list))
        .route("/api/alerts/{id}", get(alerts::get_one))
        .route("/api/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/api/alerts/{id}/close", post(alerts::close))
        .route("/api/fixes", post(fixes::post_fixes))
        .route(
            "/api/incidents",
            get(incident_list::list).post(incidents::report),
        )
        .route("/api/incidents/categories", get(incidents::categories))
        .route("/api/incidents/stats", get(incidents::stats))
        .route("/api/incidents/log", get(incidents::export))
        .route("/api/incidents/{id}", get(incidents::get_one))
        .route("/api/incidents/{id}/actions", post(incidents::act))
        .route("/api/incidents/{id}/log", get(incidents::log))
        .route("/api/incidents/{id}/candidates", get(incidents::candidates))
        .route("/osmand", get(fixes::osmand).post(fixes::osmand))
        // Photos and other systems' pushes: their own, larger limit.
        .merge(channels::router())
        .merge(fences::router(import_limit))
        .merge(tiles::router())
        .route("/ws", any(ws::upgrade))
        // Imports carry whole layers: they get their own, larger limit.
        .nest(
            "/ogc",
            ogc::router().layer(DefaultBodyLimit::max(import_limit)),
        )
        // OGC clients (QGIS, GDAL) are often given the landing page with a
        // trailing slash; send them to the one the links are built from.
        .route_service(
            "/ogc/",
            get(|| async { Redirect::permanent("/ogc") }).with_state(()),
        );
    r = web_client::serve(r, static_dir);
    outer_layers(r, &app).with_state(app)
}

/// Around every route: the body limit, the guard, tracing, CORS, and the
/// limit of requests in flight.
fn outer_layers(r: Router<Arc<App>>, app: &Arc<App>) -> Router<Arc<App>> {
    let limit = app.limits.max_body_bytes;
    let cors = cors_layer(&app.cors_origins);
    let in_flight = app.limits.max_concurrent_requests;
    r.layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(cors)
        // Beyond the limit, refuse at once (503) rather than queue without
        // bound: a client retrying later beats a server that falls over.
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(
                    move |_: tower::BoxError| async move {
                        error::ApiError::Unavailable(format!(
                            "overloaded: {in_flight} requests are in flight, the limit; retry shortly"
                        ))
                    },
                ))
                .load_shed()
                .concurrency_limit(in_flight),
        )
}

/// CORS for the configured origins; none configured, none allowed (a
/// browser page elsewhere cannot call the API).
fn cors_layer(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderValue, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(3600))
}

/// The OsmAnd protocol alone at the root path, for a second listener (Traccar
/// Client's default port is 5055).
pub fn osmand_router(app: Arc<App>) -> Router {
    let limit = app.limits.max_body_bytes;
    Router::new()
        .route("/", get(fixes::osmand).post(fixes::osmand))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::client_address,
        ))
        .with_state(app)
}
