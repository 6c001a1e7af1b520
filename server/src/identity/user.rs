//! Who may see and do what (分级授权): users, their roles, and the area each
//! is bound to. A user sees and acts only inside their area's subtree.

use serde::{Deserialize, Serialize};

/// What a user is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// 系统管理员 — manages users and layers.
    Admin,
    /// 指挥长 — leads; sees everything in the area, acts on incidents.
    Commander,
    /// 派遣员/值班长 — dispatches staff to incidents.
    Dispatcher,
    /// 大屏 — a big screen: sees, never changes anything.
    Viewer,
    /// 工作人员 — field staff: shares their own position, handles tasks.
    Field,
}

impl UserRole {
    /// Every role.
    pub const ALL: [UserRole; 5] = [
        UserRole::Admin,
        UserRole::Commander,
        UserRole::Dispatcher,
        UserRole::Viewer,
        UserRole::Field,
    ];

    /// The name used in the API and the stores.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Commander => "commander",
            UserRole::Dispatcher => "dispatcher",
            UserRole::Viewer => "viewer",
            UserRole::Field => "field",
        }
    }

    /// Parses the API/store name.
    #[must_use]
    pub fn parse(s: &str) -> Option<UserRole> {
        UserRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A user account, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Store-assigned id.
    pub id: i64,
    /// Login name, unique.
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// What the user is for.
    pub role: UserRole,
    /// Code of the area the user is bound to; they see its subtree only.
    pub area: String,
    /// For field users: the staff member they are.
    pub staff_id: Option<String>,
    /// Code of the department (部门) the login belongs to: it sees and works
    /// that department's queue.
    #[serde(default)]
    pub department: Option<String>,
    /// Someone else set the password (an administrator creating or resetting
    /// the login, the operator's `riskmap users add|passwd`): until its owner
    /// chooses a new one (`POST /api/auth/password`) the login may do nothing
    /// else.
    #[serde(default)]
    pub must_change_password: bool,
}

impl User {
    /// The system administrator: an administrator bound to no area, who
    /// sees the whole system ([`Scope::All`](super::Scope::All)) whatever
    /// the area tree.
    #[must_use]
    pub fn is_system_admin(&self) -> bool {
        self.role == UserRole::Admin && self.area.is_empty()
    }
}

/// A login as an administrator sees it: the user and whether the login is
/// disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// A disabled login cannot log in and its sessions are over.
    pub disabled: bool,
}

/// Changes to a login (a field left out stays as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountChanges {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new role.
    pub role: Option<UserRole>,
    /// A new area (its code).
    pub area: Option<String>,
    /// The staff member the login is (`null`: none).
    #[serde(default, with = "double_option")]
    pub staff_id: Option<Option<String>>,
    /// The department the login belongs to (`null`: none).
    #[serde(default, with = "double_option")]
    pub department: Option<Option<String>>,
    /// Disable or enable the login.
    pub disabled: Option<bool>,
}

/// `Option<Option<T>>` from JSON: absent → `None`, `null` → `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer};

    // Three cases on purpose: absent (keep), null (clear), a value (set).
    #[allow(clippy::option_option)]
    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A user account about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name, unique.
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// What the user is for.
    pub role: UserRole,
    /// Code of the area the user is bound to.
    pub area: String,
    /// For field users: the staff member they are.
    pub staff_id: Option<String>,
    /// The department it belongs to.
    pub department: Option<String>,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Whether its owner must choose a new password at the first login.
    pub must_change_password: bool,
}
