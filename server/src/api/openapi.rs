//! The OpenAPI document (being written).

use axum::Json;
use serde_json::{Value, json};

/// `GET /api/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(json!({ "openapi": "3.1.0" }))
}
