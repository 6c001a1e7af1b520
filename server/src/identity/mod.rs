//! Identity (身份与分级授权): who a request is, and what they may see.
//!
//! - [`user`]: users, their roles and the area each is bound to.
//! - [`scope`]: a user's visible part of the area tree.
//! - [`password`]: argon2id hashes; [`sessions`]: logins, bearer tokens, the
//!   session cache.
//! - [`throttle`]: failed-login throttling; [`rates`]: per-token request
//!   rates.

pub mod password;
pub mod proof;
pub mod rates;
pub mod scope;
pub mod sessions;
pub mod throttle;
pub mod user;

pub use rates::Rates;
pub use scope::Scope;
pub use sessions::{Auth, AuthError};
pub use throttle::{Attempt, LoginThrottle};
pub use user::{Account, AccountChanges, NewUser, User, UserRole};
