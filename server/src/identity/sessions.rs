//! Logins and sessions: random bearer tokens known to the store only by
//! their SHA-256, and a small cache so a request costs a hash lookup, not a
//! query.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::password::{DUMMY_HASH, Hasher, check_password};
use super::user::{Account, NewUser, User, UserRole};
use crate::clock::now_ms;
use crate::store::outbox::Outgoing;
use crate::store::{Session, Store, StoreError};

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
    /// Too many logins are being checked at once; retry in a moment.
    #[error("too many logins at once; retry in a moment")]
    Busy,
    /// No login has this username.
    #[error("no login {0:?}")]
    NoSuchUser(String),
    /// A new password breaks a rule (which one is said).
    #[error("{0}")]
    WeakPassword(String),
    /// The current password given to change it is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
}

/// Sessions and logins.
pub struct Auth {
    store: Arc<dyn Store>,
    ttl: Duration,
    /// token digest → (session, user, when last read from the store);
    /// sessions are few and small. An entry is trusted for
    /// [`REVALIDATE_AFTER`], then read again: a logout, an expiry or a
    /// disabled user (on this node or another) takes effect within it.
    cache: Mutex<FxHashMap<TokenDigest, Cached>>,
    /// argon2, off the async workers.
    hasher: Hasher,
    /// When the store last failed to revalidate a session.
    store_failed_at: Mutex<Option<Instant>>,
}

/// How long a cached session is trusted before it is read from the store
/// again.
pub const REVALIDATE_AFTER: Duration = Duration::from_secs(1);

/// How long a revalidation may wait for the store before the cached
/// session is used as it is.
const REVALIDATE_WITHIN: Duration = Duration::from_millis(500);

/// After the store failed a revalidation, how long known sessions are
/// taken from the cache without asking it again.
const STORE_FAILURE_PAUSE: Duration = Duration::from_secs(2);

/// Sessions cached before the stale ones are dropped.
const MAX_CACHED: usize = 100_000;

/// A verified session and its login, shared: every request on a token
/// points at the cache's one copy rather than copying its strings.
pub type Verified = (Arc<Session>, Arc<User>);

/// The SHA-256 of a token: the cache's key (the store keeps it as hex).
type TokenDigest = [u8; 32];

/// A session as last read from the store.
#[derive(Debug, Clone)]
struct Cached {
    session: Arc<Session>,
    user: Arc<User>,
    read_at: Instant,
}

impl Cached {
    fn verified(&self) -> Verified {
        (self.session.clone(), self.user.clone())
    }
}

fn token_digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// The SHA-256 of a token, hex: what the store keeps.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(token_digest(token))
}

/// A fresh random token: 32 bytes from the OS, hex.
#[must_use]
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

impl Auth {
    /// Sessions over a store, tokens living `ttl`.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Auth {
            store,
            ttl,
            cache: Mutex::new(FxHashMap::default()),
            hasher: Hasher::default(),
            store_failed_at: Mutex::new(None),
        }
    }

    /// Checks a password and opens a session; returns the token.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(String, Session, User), AuthError> {
        let found = self.store.user_by_name(username).await?;
        // An unknown user costs the same check as a known one, so timing
        // tells nothing.
        let hash = found
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_owned(), |(_, h)| h.clone());
        let matches = self.hasher.verify(hash, password.to_owned()).await?;
        let Some((user, _)) = found.filter(|_| matches) else {
            return Err(AuthError::BadCredentials);
        };
        self.open_session(user).await
    }

    /// Opens a session for a user whose password was just checked.
    async fn open_session(&self, user: User) -> Result<(String, Session, User), AuthError> {
        let token = new_token();
        let now = now_ms();
        let session = Session {
            token_hash: token_hash(&token),
            user_id: user.id,
            created_ms: now,
            expires_ms: now + i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 2),
        };
        self.store.create_session(&session).await?;
        self.remember(
            token_digest(&token),
            Arc::new(session.clone()),
            Arc::new(user.clone()),
        );
        Ok((token, session, user))
    }

    /// Whether `username` exists and `password` is theirs (no session is
    /// opened): start-up asks it of the demo logins.
    pub async fn has_password(&self, username: &str, password: &str) -> Result<bool, AuthError> {
        let Some((_, hash)) = self.store.user_by_name(username).await? else {
            return Ok(false);
        };
        self.hasher.verify(hash, password.to_owned()).await
    }

    /// The session behind a bearer token, if the cache vouches for it (read
    /// from the store within [`REVALIDATE_AFTER`] and not expired): no store
    /// lookup.
    #[must_use]
    pub fn cached(&self, token: &str) -> Option<Verified> {
        let now = now_ms();
        self.cache
            .lock()
            .get(&token_digest(token))
            .filter(|c| c.read_at.elapsed() < REVALIDATE_AFTER && c.session.expires_ms > now)
            .map(Cached::verified)
    }

    /// Whether the token was valid when last read (fresh or not): known
    /// tokens are read again without limit, unknown ones may be guesses.
    #[must_use]
    pub fn knows(&self, token: &str) -> bool {
        self.cache.lock().contains_key(&token_digest(token))
    }

    /// The user behind a bearer token: from the cache while it is fresh,
    /// else from the store.
    pub async fn authenticate(&self, token: &str) -> Result<Verified, AuthError> {
        let digest = token_digest(token);
        let now = now_ms();
        let fresh = self
            .cache
            .lock()
            .get(&digest)
            .filter(|c| c.read_at.elapsed() < REVALIDATE_AFTER)
            .map(Cached::verified);
        let known = || {
            self.cache
                .lock()
                .get(&digest)
                .filter(|c| c.session.expires_ms > now)
                .map(Cached::verified)
        };
        let found = match fresh {
            Some(found) => Some(found),
            // The store failed a moment ago: a session it vouched for is not
            // asked about again yet (each request would wait on a store that
            // does not answer).
            None if self.store_failing() => {
                return known().ok_or(AuthError::Store(StoreError::Database(
                    sqlx::Error::PoolTimedOut,
                )));
            }
            None => {
                let hash = hex::encode(digest);
                let answer = tokio::time::timeout(REVALIDATE_WITHIN, self.store.session(&hash))
                    .await
                    .unwrap_or(Err(StoreError::Database(sqlx::Error::PoolTimedOut)));
                match answer {
                    Ok(found) => found.map(|(session, user)| (Arc::new(session), Arc::new(user))),
                    // The store is down or slow: a session it vouched for
                    // still holds until it expires (nothing can revoke it
                    // meanwhile: a revocation is a write to the store, or a
                    // logout on this node, which forgets the session at
                    // once). The map keeps answering its viewers through an
                    // outage.
                    Err(e) if e.is_transient() => {
                        *self.store_failed_at.lock() = Some(Instant::now());
                        return known().ok_or(AuthError::Store(e));
                    }
                    Err(e) => return Err(AuthError::Store(e)),
                }
            }
        };
        match found {
            Some((session, user)) if session.expires_ms > now => {
                self.remember(digest, session.clone(), user.clone());
                Ok((session, user))
            }
            _ => {
                self.cache.lock().remove(&digest);
                Err(AuthError::BadToken)
            }
        }
    }

    fn store_failing(&self) -> bool {
        self.store_failed_at
            .lock()
            .is_some_and(|at| at.elapsed() < STORE_FAILURE_PAUSE)
    }

    fn remember(&self, digest: TokenDigest, session: Arc<Session>, user: Arc<User>) {
        let mut cache = self.cache.lock();
        if cache.len() > MAX_CACHED {
            let now = now_ms();
            cache.retain(|_, c| {
                c.session.expires_ms > now && c.read_at.elapsed() < REVALIDATE_AFTER
            });
        }
        cache.insert(
            digest,
            Cached {
                session,
                user,
                read_at: Instant::now(),
            },
        );
    }

    /// Ends a session.
    ///
    /// `outbox` is a cluster node's record of it, kept in the same
    /// transaction; its outbox id.
    pub async fn logout(
        &self,
        token: &str,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>, AuthError> {
        let digest = token_digest(token);
        self.cache.lock().remove(&digest);
        Ok(self
            .store
            .revoke_session_kept(&hex::encode(digest), outbox)
            .await?)
    }

    /// Creates a user with a hashed password; `must_change`: its owner
    /// must choose another at the first login (someone else chose this one).
    #[allow(clippy::too_many_arguments)] // the columns of a login
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        role: UserRole,
        area: &str,
        (staff_id, department): (Option<&str>, Option<&str>),
        password: &str,
        must_change: bool,
    ) -> Result<User, AuthError> {
        let user = NewUser {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role,
            area: area.to_owned(),
            staff_id: staff_id.map(ToOwned::to_owned),
            department: department.map(ToOwned::to_owned),
            password_hash: self.hasher.hash(password.to_owned()).await?,
            must_change_password: must_change,
        };
        Ok(self.store.create_user(&user).await?)
    }

    /// Sets a login's password, checked against the rules
    /// ([`check_password`]), and ends its sessions: the login after it and
    /// the outbox id of `outbox`, kept in the same transaction.
    /// `must_change`: its owner must choose another at the next login.
    pub async fn set_password(
        &self,
        username: &str,
        password: &str,
        must_change: bool,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<(Account, Option<i64>), AuthError> {
        check_password(password, username)?;
        let hash = self.hasher.hash(password.to_owned()).await?;
        let changed = self
            .store
            .set_password(username, &hash, must_change, outbox)
            .await?;
        self.forget(username);
        changed.ok_or_else(|| AuthError::NoSuchUser(username.to_owned()))
    }

    /// Checks a login's current password before its owner changes it (the
    /// token alone must not be enough: it may have been left open on a
    /// shared screen).
    pub async fn check_current(&self, username: &str, password: &str) -> Result<(), AuthError> {
        if self.has_password(username, password).await? {
            Ok(())
        } else {
            Err(AuthError::WrongPassword)
        }
    }

    /// A new session for a login whose password was just changed by its
    /// owner (every earlier one ended with the change).
    pub async fn reopen(&self, username: &str) -> Result<(String, Session, User), AuthError> {
        let (user, _) = self
            .store
            .user_by_name(username)
            .await?
            .ok_or_else(|| AuthError::NoSuchUser(username.to_owned()))?;
        self.open_session(user).await
    }

    /// Forgets the cached sessions of a login whose sessions the store
    /// ended (a new password, a disabled login): this node at once, the
    /// others within [`REVALIDATE_AFTER`].
    pub fn forget(&self, username: &str) {
        self.cache.lock().retain(|_, c| c.user.username != username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
