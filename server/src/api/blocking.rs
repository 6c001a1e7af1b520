//! CPU-heavy answers (a `/ws` snapshot, a heat map) built on a blocking
//! thread once a turn is free: a runtime worker, one of two on a two-core
//! server, must not spend tens or hundreds of milliseconds on them, and the
//! turns (one per core) bound how many are built, and held in memory, at once.

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::error::{ApiError, ApiResult};
use crate::app::App;

/// Runs `work` on a blocking thread once one of `turns` is free; `what`
/// names it in the error should the thread fail.
///
/// # Errors
/// `work`'s own; [`ApiError::Unavailable`] when the server is shutting
/// down; [`ApiError::Internal`] if the thread panicked.
pub async fn on_turn<T: Send + 'static>(
    turns: &Arc<Semaphore>,
    what: &str,
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let turn = turns
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::Unavailable("the server is shutting down".into()))?;
    tokio::task::spawn_blocking(move || {
        // The turn goes with the work: were the request dropped while it
        // waits, the work still counts until it ends.
        let _turn = turn;
        work()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("{what}: {e}")))?
}

/// Runs `work` in one of the server's turns for heavy answers
/// (`App::heavy_queries`, one per core): a heat map, a batch holding one,
/// a patrol coverage or log. `what` names it in the error.
///
/// # Errors
/// As [`on_turn`].
pub async fn off_worker<T: Send + 'static>(
    app: &App,
    what: &str,
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    on_turn(&app.heavy_queries, what, work).await
}

/// A JSON answer made by `make` and written, both in one of the heavy
/// answers' turns (as [`off_worker`]): a city's list of tens of thousands
/// of rows costs its making and its writing alike.
///
/// # Errors
/// As [`on_turn`].
pub async fn json_off_worker<T: Serialize>(
    app: &App,
    what: &str,
    make: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<Response> {
    let body = off_worker(app, what, move || {
        serde_json::to_vec(&make()?).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
