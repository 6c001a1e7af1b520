//! The engine's one error type.

use thiserror::Error;

/// Why the engine refused an input or a query.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngineError {
    /// A coordinate was NaN, infinite or out of range.
    #[error("invalid coordinate: {0}")]
    InvalidCoordinate(String),
    /// A geometry was empty, of the wrong type, or too large.
    #[error("invalid geometry: {0}")]
    InvalidGeometry(String),
    /// A feature's properties did not match the model.
    #[error("invalid properties: {0}")]
    InvalidProperties(String),
    /// A query parameter was out of range.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A referenced area does not exist.
    #[error("unknown area {0}")]
    UnknownArea(String),
    /// A referenced staff member does not exist.
    #[error("unknown staff member {0}")]
    UnknownStaff(String),
    /// The area tree is inconsistent (a missing parent, a level out of order,
    /// a duplicate code).
    #[error("invalid area tree: {0}")]
    InvalidAreaTree(String),
}

/// Result alias for engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
