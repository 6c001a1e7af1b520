//! Logins (账号管理) under 分级授权: an administrator lists, creates and
//! changes the logins of their own area's subtree only (a district's
//! administrator those of the district), binds each to an area inside it
//! and, for field staff, to the staff member it is. Disabling a login ends
//! its sessions and closes its sockets at once.

use serde::Deserialize;
use thiserror::Error;

use super::App;
use super::cluster::{Change, Shipment};
use crate::identity::password::check_password;
use crate::identity::{Account, AccountChanges, AuthError, Scope, User, UserRole};
use crate::store::{Session, StoreError};

/// Why a login could not be listed, created or changed.
#[derive(Debug, Error)]
pub enum AccountError {
    /// The user may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A value is out of range or names nothing.
    #[error("{0}")]
    Invalid(String),
    /// No such login in the user's area.
    #[error("no login {0:?} in your area")]
    NotFound(String),
    /// Hashing, a weak password.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed, or the username is taken.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A login to create (`POST /api/users`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Login name: 3–64 letters, digits, `.`, `_`, `-`.
    pub username: String,
    /// Name shown in the UI (default: the username).
    pub display_name: Option<String>,
    /// What the login is for.
    pub role: UserRole,
    /// Code of the area it is bound to.
    pub area: String,
    /// For a field login: the staff member it is.
    pub staff_id: Option<String>,
    /// The department (部门) it belongs to, by code.
    #[serde(default)]
    pub department: Option<String>,
    /// Its first password (the rules of `check_password`); its owner
    /// chooses another at the first login.
    pub password: String,
}

impl App {
    /// The logins of `admin`'s area subtree, by username.
    pub async fn accounts(&self, admin: &User) -> Result<Vec<Account>, AccountError> {
        must_be_admin(admin)?;
        let all = self.store.users().await?;
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(admin, tree);
        Ok(all
            .into_iter()
            .filter(|a| in_scope(scope, tree, &a.user.area))
            .collect())
    }

    /// Creates a login inside `admin`'s area.
    pub async fn create_account(
        &self,
        admin: &User,
        new: NewAccount,
    ) -> Result<Account, AccountError> {
        must_be_admin(admin)?;
        check_username(&new.username)?;
        check_password(&new.password, &new.username)?;
        self.check_binding(admin, new.role, &new.area, new.staff_id.as_deref())?;
        self.check_department(&new.area, new.department.as_deref())?;
        let name = new.display_name.as_deref().unwrap_or(&new.username);
        let user = self
            .auth
            .create_user(
                &new.username,
                name,
                new.role,
                &new.area,
                (new.staff_id.as_deref(), new.department.as_deref()),
                &new.password,
                true,
            )
            .await?;
        Ok(Account {
            user,
            disabled: false,
        })
    }

    /// Changes a login of `admin`'s area: name, role, area, staff member,
    /// disabled. A login outside it is not found.
    pub async fn change_account(
        &self,
        admin: &User,
        username: &str,
        changes: AccountChanges,
    ) -> Result<Account, AccountError> {
        let before = self.account_in_area(admin, username).await?;
        // An administrator who disabled, demoted or moved themselves could
        // lock the area out of its logins: another administrator does it.
        let own = before.user.id == admin.id;
        if own
            && (changes.disabled == Some(true)
                || changes.role.is_some_and(|r| r != admin.role)
                || changes.area.as_ref().is_some_and(|a| *a != admin.area))
        {
            return Err(AccountError::Invalid(
                "you cannot disable your own login or change its role or area".into(),
            ));
        }
        if let Some(name) = &changes.display_name
            && name.trim().is_empty()
        {
            return Err(AccountError::Invalid("display_name is empty".into()));
        }
        let role = changes.role.unwrap_or(before.user.role);
        let area = changes.area.as_deref().unwrap_or(&before.user.area);
        let staff = match &changes.staff_id {
            Some(s) => s.as_deref(),
            None => before.user.staff_id.as_deref(),
        };
        self.check_binding(admin, role, area, staff)?;
        let department = match &changes.department {
            Some(d) => d.as_deref(),
            None => before.user.department.as_deref(),
        };
        self.check_department(area, department)?;
        // What its sessions were allowed changes: every one is read again
        // (a disabled login's are gone), and its sockets close, on every
        // node.
        let reason = if changes.disabled == Some(true) {
            Some("the login was disabled")
        } else if role != before.user.role
            || area != before.user.area
            || department != before.user.department.as_deref()
        {
            Some("the login's role, area or department changed: log in again")
        } else {
            None
        };
        let shipment = reason.and_then(|reason| {
            self.shipment(|| Change::SessionsEnded {
                username: username.to_owned(),
                session: None,
                reason: reason.to_owned(),
            })
        });
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        let (after, id) = self
            .store
            .change_account(username, &changes, outgoing)
            .await?
            .ok_or_else(|| AccountError::NotFound(username.to_owned()))?;
        self.shipped(id, shipment);
        if let Some(reason) = reason {
            self.sessions_ended(username, None, reason);
        }
        Ok(after)
    }

    /// Gives a login of `admin`'s area a new password that its owner must
    /// change at the next login (a forgotten password, a handover), and
    /// ends its sessions on every node.
    pub async fn reset_password(
        &self,
        admin: &User,
        username: &str,
        password: &str,
    ) -> Result<Account, AccountError> {
        let before = self.account_in_area(admin, username).await?;
        if before.user.id == admin.id {
            return Err(AccountError::Invalid(
                "change your own password with POST /api/auth/password".into(),
            ));
        }
        self.set_password(
            username,
            password,
            true,
            "the password was reset: log in again",
        )
        .await
    }

    /// The owner of a login changes its password: the current one checked,
    /// the new one under the rules and different. Every session of the
    /// login ends (on every node) and a new one is opened: its token, the
    /// session and the user.
    pub async fn change_own_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
    ) -> Result<(String, Session, User), AccountError> {
        self.auth.check_current(&user.username, current).await?;
        if current == new {
            return Err(AuthError::WeakPassword(
                "the new password must differ from the current one".into(),
            )
            .into());
        }
        let reason = "the password was changed: log in again";
        self.set_password(&user.username, new, false, reason)
            .await?;
        Ok(self.auth.reopen(&user.username).await?)
    }

    /// Sets a password, ending the login's sessions and closing its sockets
    /// on every node (`reason` is what their sockets are told).
    async fn set_password(
        &self,
        username: &str,
        password: &str,
        must_change: bool,
        reason: &str,
    ) -> Result<Account, AccountError> {
        let shipment = self.shipment(|| Change::SessionsEnded {
            username: username.to_owned(),
            session: None,
            reason: reason.to_owned(),
        });
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        let (after, id) = self
            .auth
            .set_password(username, password, must_change, outgoing)
            .await?;
        self.shipped(id, shipment);
        self.sessions_ended(username, None, reason);
        Ok(after)
    }

    /// A login of `admin`'s area subtree; one outside it is not found.
    async fn account_in_area(&self, admin: &User, username: &str) -> Result<Account, AccountError> {
        must_be_admin(admin)?;
        self.store
            .account(username)
            .await?
            .filter(|a| {
                let engine = self.engine.read();
                in_scope(
                    Scope::of(admin, engine.areas()),
                    engine.areas(),
                    &a.user.area,
                )
            })
            .ok_or_else(|| AccountError::NotFound(username.to_owned()))
    }

    /// Whether a login of `role` may be bound to `area` (inside `admin`'s
    /// subtree) and to `staff` (a known staff member whose home grid is in
    /// `area`; required for a field login).
    fn check_binding(
        &self,
        admin: &User,
        role: UserRole,
        area: &str,
        staff: Option<&str>,
    ) -> Result<(), AccountError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(admin, tree);
        let bound = if area.is_empty() {
            // The whole city: only for an administrator's login, made by
            // an administrator who sees it whole.
            if role != UserRole::Admin {
                return Err(AccountError::Invalid(
                    "only an administrator's login may have no area; give an area".into(),
                ));
            }
            if scope != Scope::All {
                return Err(AccountError::Forbidden(
                    "only a city-wide administrator may create a city-wide login; give an area"
                        .into(),
                ));
            }
            Scope::All
        } else {
            let Some(idx) = tree.idx(area) else {
                return Err(AccountError::Invalid(format!("no area {area:?}")));
            };
            if !scope.contains(Some(idx), tree) {
                return Err(AccountError::Forbidden(format!(
                    "area {area} is outside your area"
                )));
            }
            Scope::subtree(idx, tree)
        };
        match staff {
            None if role == UserRole::Field => Err(AccountError::Invalid(
                "a field login needs staff_id: the staff member it is".into(),
            )),
            None => Ok(()),
            Some(id) => {
                let member = engine
                    .staff()
                    .find(id)
                    .and_then(|i| engine.staff().get(i))
                    .ok_or_else(|| AccountError::Invalid(format!("no staff member {id:?}")))?;
                if bound.contains(member.home, tree) {
                    Ok(())
                } else {
                    Err(AccountError::Invalid(format!(
                        "staff member {id}'s grid is outside area {area}"
                    )))
                }
            }
        }
    }
}

impl App {
    /// Whether a login bound to `area` may belong to `department`: a known
    /// department serving `area`, an area inside it (a district's login in
    /// a street's office) or one above it (a grid worker in the street's
    /// 中队) — not one of another branch of the tree.
    fn check_department(&self, area: &str, department: Option<&str>) -> Result<(), AccountError> {
        let Some(code) = department else {
            return Ok(());
        };
        // The department's area copied out and its book let go before the
        // engine is read: every incident view takes the engine first and
        // the departments second, and the other order deadlocks once a
        // writer queues for each.
        let served = self
            .incidents
            .departments()
            .get(code)
            .map(|d| d.area.clone())
            .ok_or_else(|| AccountError::Invalid(format!("no department {code:?}")))?;
        let engine = self.engine.read();
        let tree = engine.areas();
        let above = tree
            .idx(&served)
            .is_some_and(|d| in_scope(Scope::subtree(d, tree), tree, area));
        if above || in_scope(Scope::of_area(area, tree), tree, &served) {
            Ok(())
        } else {
            Err(AccountError::Invalid(format!(
                "department {code} serves {served}, in another part of the city than the login's area {area}"
            )))
        }
    }
}

fn must_be_admin(user: &User) -> Result<(), AccountError> {
    if user.role == UserRole::Admin {
        Ok(())
    } else {
        Err(AccountError::Forbidden(
            "managing logins is for administrators".into(),
        ))
    }
}

/// Whether a login bound to `area` lies in `scope`.
fn in_scope(scope: Scope, tree: &riskmap_engine::AreaTree, area: &str) -> bool {
    if area.is_empty() {
        return scope == Scope::All;
    }
    tree.idx(area)
        .is_some_and(|i| scope.contains(Some(i), tree))
}

/// A username: 3–64 ASCII letters, digits, `.`, `_`, `-`.
///
/// # Errors
/// [`AccountError::Invalid`], saying the rule.
pub fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "username {name:?}: 3 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}
