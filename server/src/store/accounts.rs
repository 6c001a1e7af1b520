//! Users and their login sessions, in both stores: written once, over any
//! [`Backend`], as for incidents and the audit log; the SQL is in
//! `sql/*.sql`.

use async_trait::async_trait;

use super::backend::{Backend, db_error, store_error};
use super::driver::{Cols, Driver, Stmt, first, rows};
use super::{Result, Session, StoreError};
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

    /// Every user, by username.
    async fn users(&self) -> Result<Vec<User>>;

    /// Sets a user's password hash and ends every session they have (a
    /// password changed because it leaked must lock out whoever used it);
    /// false if there is no such user.
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool>;
}

/// The user of a row holding the user columns, its role checked.
fn user_from<DB: Driver>(r: &Cols<'_, DB>) -> Result<User> {
    let id: i64 = r.get("id")?;
    let role: String = r.get("role")?;
    Ok(User {
        role: crate::identity::UserRole::parse(&role).ok_or_else(|| {
            super::codec::corrupt(
                "users",
                &id.to_string(),
                &format!("role {role:?} is not a known value"),
            )
        })?,
        username: r.get("username")?,
        display_name: r.get("display_name")?,
        area: r.get("area")?,
        staff_id: r.get("staff_id")?,
        id,
    })
}

#[async_trait]
impl<B: Backend> AccountStore for B {
    async fn create_user(&self, user: &NewUser) -> Result<User> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(include_str!("sql/insert_user.sql"))
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(&user.area)
            .bind(&user.staff_id)
            .bind(&user.password_hash)
            .bind(crate::clock::now_ms());
        let id = first::<B::Db, _>(&mut c, q, |r| r.get::<i64>("id"))
            .await
            .map_err(|e| match store_error(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("username {} is taken", user.username))
                }
                other => other,
            })?
            .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no id".into()))?;
        Ok(User {
            id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            area: user.area.clone(),
            staff_id: user.staff_id.clone(),
        })
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/user_by_name.sql")).bind(username);
        first::<B::Db, _>(&mut c, q, |r| Ok((user_from(r)?, r.get("password_hash")?))).await
    }

    async fn user(&self, id: i64) -> Result<Option<User>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/user_by_id.sql")).bind(id);
        first::<B::Db, _>(&mut c, q, user_from).await
    }

    async fn count_users(&self) -> Result<u64> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT COUNT(*) AS n FROM users");
        let n = first::<B::Db, _>(&mut c, q, |r| r.get::<i64>("n")).await?;
        Ok(n.unwrap_or(0).unsigned_abs())
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(include_str!("sql/insert_session.sql"))
            .bind(&session.token_hash)
            .bind(session.user_id)
            .bind(session.created_ms)
            .bind(session.expires_ms);
        B::Db::run(&mut c, q).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                StoreError::NotFound(format!("user {}", session.user_id))
            }
            StoreError::Database(e) => db_error(e),
            other => other,
        })?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/session.sql")).bind(token_hash);
        first::<B::Db, _>(&mut c, q, |r| {
            let session = Session {
                token_hash: r.get("token_hash")?,
                user_id: r.get("user_id")?,
                created_ms: r.get("created_ms")?,
                expires_ms: r.get("expires_ms")?,
            };
            Ok((session, user_from(r)?))
        })
        .await
    }

    async fn revoke_session(&self, token_hash: &str) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash);
        B::Db::run(&mut c, q).await?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<User>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(
            "SELECT users.id, users.username, users.display_name, users.role, users.area, \
             users.staff_id FROM users ORDER BY username",
        );
        rows::<B::Db, _>(&mut c, q, user_from).await
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new("UPDATE users SET password_hash = $1 WHERE username = $2 RETURNING id")
            .bind(password_hash)
            .bind(username);
        let Some(id) = first::<B::Db, _>(&mut c, q, |r| r.get::<i64>("id")).await? else {
            return Ok(false);
        };
        let q = Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(id);
        B::Db::run(&mut c, q).await?;
        Ok(true)
    }
}
