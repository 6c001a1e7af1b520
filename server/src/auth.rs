//! Logins and sessions: argon2 password hashes, random bearer tokens known
//! to the store only by their SHA-256, and a small cache so a request costs a
//! hash lookup, not a query.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::access::{NewUser, User, UserRole};
use crate::store::{Session, Store, StoreError};

/// How long a token lives unless configured otherwise.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

/// Why a login or a token was refused.
#[derive(Debug, Error)]
pub enum AuthError {
    /// Unknown user or wrong password (never says which).
    #[error("wrong username or password")]
    BadCredentials,
    /// The token is unknown, revoked or expired.
    #[error("the token is invalid or has expired")]
    BadToken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed (never expected).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Sessions and logins.
pub struct Auth {
    store: Arc<dyn Store>,
    ttl: Duration,
    /// token hash → (session, user); sessions are few and small.
    cache: Mutex<FxHashMap<String, (Session, User)>>,
}

/// Milliseconds since the epoch, now.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether a password matches a PHC string.
#[must_use]
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The SHA-256 of a token, hex: what the store keeps.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token: 32 bytes from the OS, hex.
#[must_use]
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// A readable random password for a generated admin account.
#[must_use]
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 16] = rand::random();
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

impl Auth {
    /// Sessions over a store, tokens living `ttl`.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Auth {
            store,
            ttl,
            cache: Mutex::new(FxHashMap::default()),
        }
    }

    /// Checks a password and opens a session; returns the token.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(String, Session, User), AuthError> {
        let Some((user, hash)) = self.store.user_by_name(username).await? else {
            // Spend the same time as a real check, so timing tells nothing.
            let _ = verify_password(DUMMY_HASH, password);
            return Err(AuthError::BadCredentials);
        };
        if !verify_password(&hash, password) {
            return Err(AuthError::BadCredentials);
        }
        let token = new_token();
        let now = now_ms();
        let session = Session {
            token_hash: token_hash(&token),
            user_id: user.id,
            created_ms: now,
            expires_ms: now + i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 2),
        };
        self.store.create_session(&session).await?;
        self.cache
            .lock()
            .insert(session.token_hash.clone(), (session.clone(), user.clone()));
        Ok((token, session, user))
    }

    /// The user behind a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<(Session, User), AuthError> {
        let hash = token_hash(token);
        let now = now_ms();
        let cached = self.cache.lock().get(&hash).cloned();
        let found = match cached {
            Some(found) => Some(found),
            None => self.store.session(&hash).await?,
        };
        match found {
            Some((session, user)) if session.expires_ms > now => {
                self.cache
                    .lock()
                    .insert(hash, (session.clone(), user.clone()));
                Ok((session, user))
            }
            Some(_) => {
                self.cache.lock().remove(&hash);
                Err(AuthError::BadToken)
            }
            None => Err(AuthError::BadToken),
        }
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        let hash = token_hash(token);
        self.cache.lock().remove(&hash);
        self.store.revoke_session(&hash).await?;
        Ok(())
    }

    /// Creates a user with a hashed password.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        role: UserRole,
        area: &str,
        staff_id: Option<&str>,
        password: &str,
    ) -> Result<User, AuthError> {
        let user = NewUser {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role,
            area: area.to_owned(),
            staff_id: staff_id.map(ToOwned::to_owned),
            password_hash: hash_password(password)?,
        };
        Ok(self.store.create_user(&user).await?)
    }
}

/// A valid argon2 hash of a random string, verified against when the user
/// does not exist so that a login's timing does not reveal it.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1fdJd6C3Jl1aG8yNbZ0f5L7A6yE0wq1s0Yp3m2w8k0Q";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("秘密 secret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "秘密 secret"));
        assert!(!verify_password(&h, "secret"));
        assert!(!verify_password("not a hash", "secret"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(new_password().len(), 16);
    }
}
