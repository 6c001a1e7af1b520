//! Users and their login sessions, in both stores. The SQL and the row
//! conversions live here once; each backend only runs them (PostgreSQL's
//! placeholders are made from the same text by
//! [`numbered`](super::incidents::numbered)), as for incidents and the
//! audit log.

use async_trait::async_trait;

use super::{Result, Session};
use crate::identity::{NewUser, User};

/// Account persistence.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a user; a taken username is a
    /// [`StoreError::Conflict`](super::StoreError::Conflict).
    async fn create_user(&self, user: &NewUser) -> Result<User>;

    /// A user and their password hash, by username.
    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>>;

    /// A user by id.
    async fn user(&self, id: i64) -> Result<Option<User>>;

    /// How many users exist.
    async fn count_users(&self) -> Result<u64>;

    /// Records a session; an unknown user is a
    /// [`StoreError::NotFound`](super::StoreError::NotFound).
    async fn create_session(&self, session: &Session) -> Result<()>;

    /// A session and its user, if the token hash is known.
    async fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>>;

    /// Forgets a session (logout, revocation).
    async fn revoke_session(&self, token_hash: &str) -> Result<()>;
}

/// A user's columns, as [`impl_account_store!`] reads them.
const USER_COLUMNS: &str =
    "users.id, users.username, users.display_name, users.role, users.area, users.staff_id";

/// `INSERT INTO users …`, returning the new id.
pub const INSERT_USER: &str = "INSERT INTO users (username, display_name, role, area, staff_id, \
     password_hash, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";

/// A user and their password hash by username.
#[must_use]
pub fn user_by_name_sql() -> String {
    format!("SELECT {USER_COLUMNS}, users.password_hash FROM users WHERE username = ?")
}

/// A user by id.
#[must_use]
pub fn user_by_id_sql() -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?")
}

/// `INSERT INTO sessions …`.
pub const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)";

/// A session and its user by token hash.
#[must_use]
pub fn session_sql() -> String {
    format!(
        "SELECT sessions.token_hash, sessions.user_id, sessions.created_ms, sessions.expires_ms, \
         {USER_COLUMNS} FROM sessions JOIN users ON users.id = sessions.user_id \
         WHERE sessions.token_hash = ?"
    )
}

/// The user a row of [`USER_COLUMNS`] holds, its role checked.
pub fn user_of(
    id: i64,
    username: String,
    display_name: String,
    role: &str,
    area: String,
    staff_id: Option<String>,
) -> Result<User> {
    Ok(User {
        role: crate::identity::UserRole::parse(role).ok_or_else(|| {
            super::codec::corrupt(
                "users",
                &id.to_string(),
                &format!("role {role:?} is not a known value"),
            )
        })?,
        username,
        display_name,
        area,
        staff_id,
        id,
    })
}

/// Implements [`AccountStore`] for a backend: `reader` and `writer` are its
/// pools, `sql` turns this module's SQL into its dialect, `db_error` maps
/// its errors (a unique violation to a conflict).
macro_rules! impl_account_store {
    ($store:ty, reader: $reader:ident, writer: $writer:ident, sql: $sql:expr,
     db_error: $db_error:path) => {
        #[async_trait::async_trait]
        impl $crate::store::accounts::AccountStore for $store {
            async fn create_user(
                &self,
                user: &$crate::identity::NewUser,
            ) -> $crate::store::Result<$crate::identity::User> {
                let id: i64 = sqlx::query_scalar(&$sql($crate::store::accounts::INSERT_USER))
                    .bind(&user.username)
                    .bind(&user.display_name)
                    .bind(user.role.as_str())
                    .bind(&user.area)
                    .bind(user.staff_id.as_deref())
                    .bind(&user.password_hash)
                    .bind($crate::clock::now_ms())
                    .fetch_one(&self.$writer)
                    .await
                    .map_err(|e| match $db_error(e) {
                        $crate::store::StoreError::Conflict(_) => {
                            $crate::store::StoreError::Conflict(format!(
                                "username {} is taken",
                                user.username
                            ))
                        }
                        other => other,
                    })?;
                Ok($crate::identity::User {
                    id,
                    username: user.username.clone(),
                    display_name: user.display_name.clone(),
                    role: user.role,
                    area: user.area.clone(),
                    staff_id: user.staff_id.clone(),
                })
            }

            async fn user_by_name(
                &self,
                username: &str,
            ) -> $crate::store::Result<Option<($crate::identity::User, String)>> {
                use sqlx::Row as _;
                let row = sqlx::query(&$sql(&$crate::store::accounts::user_by_name_sql()))
                    .bind(username)
                    .fetch_optional(&self.$reader)
                    .await?;
                row.map(|r| {
                    Ok((
                        $crate::store::accounts::read_user!(r),
                        r.try_get("password_hash")?,
                    ))
                })
                .transpose()
            }

            async fn user(&self, id: i64) -> $crate::store::Result<Option<$crate::identity::User>> {
                use sqlx::Row as _;
                let row = sqlx::query(&$sql(&$crate::store::accounts::user_by_id_sql()))
                    .bind(id)
                    .fetch_optional(&self.$reader)
                    .await?;
                row.map(|r| Ok($crate::store::accounts::read_user!(r)))
                    .transpose()
            }

            async fn count_users(&self) -> $crate::store::Result<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.$reader)
                    .await?;
                Ok(n.unsigned_abs())
            }

            async fn create_session(
                &self,
                session: &$crate::store::Session,
            ) -> $crate::store::Result<()> {
                sqlx::query(&$sql($crate::store::accounts::INSERT_SESSION))
                    .bind(&session.token_hash)
                    .bind(session.user_id)
                    .bind(session.created_ms)
                    .bind(session.expires_ms)
                    .execute(&self.$writer)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                            $crate::store::StoreError::NotFound(format!("user {}", session.user_id))
                        }
                        _ => $db_error(e),
                    })?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
            ) -> $crate::store::Result<Option<($crate::store::Session, $crate::identity::User)>>
            {
                use sqlx::Row as _;
                let row = sqlx::query(&$sql(&$crate::store::accounts::session_sql()))
                    .bind(token_hash)
                    .fetch_optional(&self.$reader)
                    .await?;
                row.map(|r| {
                    let session = $crate::store::Session {
                        token_hash: r.try_get("token_hash")?,
                        user_id: r.try_get("user_id")?,
                        created_ms: r.try_get("created_ms")?,
                        expires_ms: r.try_get("expires_ms")?,
                    };
                    Ok((session, $crate::store::accounts::read_user!(r)))
                })
                .transpose()
            }

            async fn revoke_session(&self, token_hash: &str) -> $crate::store::Result<()> {
                sqlx::query(&$sql("DELETE FROM sessions WHERE token_hash = ?"))
                    .bind(token_hash)
                    .execute(&self.$writer)
                    .await?;
                Ok(())
            }
        }
    };
}

/// The [`User`] of a row holding the user columns (inside
/// [`impl_account_store!`], where the row type is the backend's).
macro_rules! read_user {
    ($r:expr) => {{
        let role: String = $r.try_get("role")?;
        $crate::store::accounts::user_of(
            $r.try_get("id")?,
            $r.try_get("username")?,
            $r.try_get("display_name")?,
            &role,
            $r.try_get("area")?,
            $r.try_get("staff_id")?,
        )?
    }};
}

pub(crate) use {impl_account_store, read_user};
