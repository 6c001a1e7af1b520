//! Users and their login sessions, in both stores: written once, over any
//! [`Backend`], as for incidents and the audit log; the SQL is in
//! `sql/*.sql`.

use async_trait::async_trait;

use super::backend::{Backend, db_error, store_error};
use super::driver::{Cols, Driver, Stmt, first, rows};
use super::outbox::{Outgoing, keep_opt};
use super::{Result, Session, StoreError};
use crate::identity::{Account, AccountChanges, NewUser, User};

/// Account persistence.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a user; a taken username is a
    /// [`StoreError::Conflict`](super::StoreError::Conflict).
    async fn create_user(&self, user: &NewUser) -> Result<User>;

    /// A user and their password hash, by username (`None` for a disabled
    /// login: it cannot log in).
    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>>;

    /// A login as an administrator sees it, by username.
    async fn account(&self, username: &str) -> Result<Option<Account>>;

    /// Changes a login; disabling it ends its sessions in the same
    /// transaction, which also keeps `outbox` (a cluster node's record that
    /// the login's sockets must close on every node). The login as changed
    /// and the record's outbox id; `None` if there is no such login.
    async fn change_account(
        &self,
        username: &str,
        changes: &AccountChanges,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<(Account, Option<i64>)>>;

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
    async fn revoke_session(&self, token_hash: &str) -> Result<()> {
        self.revoke_session_kept(token_hash, None).await.map(drop)
    }

    /// [`AccountStore::revoke_session`], keeping `outbox` (a cluster node's
    /// record that the session's sockets must close on every node) in the
    /// same transaction; its outbox id.
    async fn revoke_session_kept(
        &self,
        token_hash: &str,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// Which of `token_hashes` are sessions still open at `now` (not
    /// revoked, not expired, their login not disabled).
    async fn open_sessions(&self, token_hashes: &[String], now: i64) -> Result<Vec<String>>;

    /// Every login, by username.
    async fn users(&self) -> Result<Vec<Account>>;

    /// Sets a login's password hash and whether its owner must choose
    /// another, and ends every session it has (a password changed because it
    /// leaked must lock out whoever used it); `outbox` is a cluster node's
    /// record of it, kept in the same transaction. The login after it and
    /// the outbox id; `None` if there is no such login.
    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        must_change: bool,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<(Account, Option<i64>)>>;
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
        department: r.get("department")?,
        must_change_password: r.get("must_change_password")?,
        id,
    })
}

/// The account of a row holding the user columns and `disabled`.
fn account_from<DB: Driver>(r: &Cols<'_, DB>) -> Result<Account> {
    Ok(Account {
        user: user_from(r)?,
        disabled: r.get("disabled")?,
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
            .bind(crate::clock::now_ms())
            .bind(user.must_change_password)
            .bind(&user.department);
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
            department: user.department.clone(),
            must_change_password: user.must_change_password,
        })
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/user_by_name.sql")).bind(username);
        let found = first::<B::Db, _>(&mut c, q, |r| {
            Ok((
                user_from(r)?,
                r.get("password_hash")?,
                r.get::<bool>("disabled")?,
            ))
        })
        .await?;
        Ok(found.and_then(|(u, hash, disabled)| (!disabled).then_some((u, hash))))
    }

    async fn account(&self, username: &str) -> Result<Option<Account>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/user_by_name.sql")).bind(username);
        first::<B::Db, _>(&mut c, q, account_from).await
    }

    async fn change_account(
        &self,
        username: &str,
        changes: &AccountChanges,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<(Account, Option<i64>)>> {
        let mut tx = self.begin_write().await?;
        let q = Stmt::new(include_str!("sql/user_by_name.sql")).bind(username);
        let Some(mut account) = first::<B::Db, _>(&mut tx, q, account_from).await? else {
            return Ok(None);
        };
        let u = &mut account.user;
        if let Some(n) = &changes.display_name {
            u.display_name.clone_from(n);
        }
        if let Some(r) = changes.role {
            u.role = r;
        }
        if let Some(a) = &changes.area {
            u.area.clone_from(a);
        }
        if let Some(s) = &changes.staff_id {
            u.staff_id.clone_from(s);
        }
        if let Some(d) = &changes.department {
            u.department.clone_from(d);
        }
        if let Some(d) = changes.disabled {
            account.disabled = d;
        }
        let q = Stmt::new(
            "UPDATE users SET display_name = $1, role = $2, area = $3, staff_id = $4, \
             disabled = $5, department = $7 WHERE id = $6",
        )
        .bind(&account.user.display_name)
        .bind(account.user.role.as_str())
        .bind(&account.user.area)
        .bind(&account.user.staff_id)
        .bind(account.disabled)
        .bind(account.user.id)
        .bind(&account.user.department);
        B::Db::run(&mut tx, q).await?;
        if account.disabled {
            let q = Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(account.user.id);
            B::Db::run(&mut tx, q).await?;
        }
        let kept = keep_opt::<B>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(Some((account, kept)))
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

    async fn revoke_session_kept(
        &self,
        token_hash: &str,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let q = Stmt::new("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash);
        B::Db::run(&mut tx, q).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn open_sessions(&self, token_hashes: &[String], now: i64) -> Result<Vec<String>> {
        // In chunks: a statement's parameters are bounded (SQLite's 32,766).
        const CHUNK: usize = 500;
        let mut c = self.reader().acquire().await?;
        let mut open = Vec::with_capacity(token_hashes.len());
        for chunk in token_hashes.chunks(CHUNK) {
            let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT sessions.token_hash FROM sessions JOIN users ON users.id = sessions.user_id \
                 WHERE NOT users.disabled AND sessions.expires_ms > $1 \
                 AND sessions.token_hash IN ({})",
                marks.join(", ")
            );
            let mut q = Stmt::new(&sql).bind(now);
            for h in chunk {
                q = q.bind(h);
            }
            open.extend(rows::<B::Db, _>(&mut c, q, |r| r.get::<String>("token_hash")).await?);
        }
        Ok(open)
    }

    async fn users(&self) -> Result<Vec<Account>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(
            "SELECT users.id, users.username, users.display_name, users.role, users.area, \
             users.staff_id, users.department, users.must_change_password, users.disabled \
             FROM users ORDER BY username",
        );
        rows::<B::Db, _>(&mut c, q, account_from).await
    }

    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        must_change: bool,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<(Account, Option<i64>)>> {
        let mut tx = self.begin_write().await?;
        let q = Stmt::new(
            "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE username = $3",
        )
        .bind(password_hash)
        .bind(must_change)
        .bind(username);
        B::Db::run(&mut tx, q).await?;
        let q = Stmt::new(include_str!("sql/user_by_name.sql")).bind(username);
        let Some(account) = first::<B::Db, _>(&mut tx, q, account_from).await? else {
            return Ok(None);
        };
        let q = Stmt::new("DELETE FROM sessions WHERE user_id = $1").bind(account.user.id);
        B::Db::run(&mut tx, q).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(Some((account, kept)))
    }
}
