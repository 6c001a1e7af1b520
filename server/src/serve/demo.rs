//! Demo mode's set-up: the demo logins (one per role, a district's
//! commander and administrator, and a field phone bound to a staff member),
//! all with one public password.

use riskmap_engine::Engine;
use riskmap_engine::model::AreaLevel;
use rustc_hash::FxHashSet;

use super::ServeError;
use crate::identity::{Auth, UserRole};
use crate::store::Store;

/// The password of every demo login except the admin's.
pub const DEMO_PASSWORD: &str = "riskmap-demo";

/// The demo logins' usernames.
const DEMO_LOGINS: [&str; 6] = [
    "commander",
    "dispatcher",
    "screen",
    "district",
    "district-admin",
    "field",
];

/// Refuses to serve, outside demo mode, a store whose demo logins still
/// have the public demo password: anyone who has read the README could log
/// in as the city's commander.
pub(super) async fn refuse_public_demo_logins(auth: &Auth) -> Result<(), ServeError> {
    let mut open = Vec::new();
    for username in DEMO_LOGINS {
        if auth.has_password(username, DEMO_PASSWORD).await? {
            open.push(username);
        }
    }
    if open.is_empty() {
        Ok(())
    } else {
        Err(ServeError::DemoLogins(open.join(", ")))
    }
}

/// The demo logins, created once. Answers the staff ids of the logins bound
/// to a staff member: the people the simulator leaves alone.
pub(super) async fn ensure_demo_users(
    store: &dyn Store,
    auth: &Auth,
    engine: &Engine,
    root: Option<&str>,
) -> Result<FxHashSet<String>, ServeError> {
    let mut people = FxHashSet::default();
    let Some(root) = root else {
        return Ok(people);
    };
    let district = engine
        .areas()
        .iter()
        .find(|(_, a)| a.level == AreaLevel::District)
        .map_or(root.to_owned(), |(_, a)| a.code.clone());
    let field = engine
        .staff()
        .iter()
        .next()
        .map(|(_, m)| (m.id.to_string(), m.home_grid.to_string()));
    let mut users: Vec<(String, &str, UserRole, String, Option<String>)> = vec![
        (
            "commander".into(),
            "指挥长",
            UserRole::Commander,
            root.to_owned(),
            None,
        ),
        (
            "dispatcher".into(),
            "派遣员",
            UserRole::Dispatcher,
            root.to_owned(),
            None,
        ),
        (
            "screen".into(),
            "指挥中心大屏",
            UserRole::Viewer,
            root.to_owned(),
            None,
        ),
        (
            "district".into(),
            "区县指挥长",
            UserRole::Commander,
            district.clone(),
            None,
        ),
        (
            "district-admin".into(),
            "区县系统管理员",
            UserRole::Admin,
            district,
            None,
        ),
    ];
    if let Some((staff_id, grid)) = field {
        users.push((
            "field".into(),
            "网格员",
            UserRole::Field,
            grid,
            Some(staff_id),
        ));
    }
    for (username, name, role, area, staff_id) in users {
        let staff_id = if let Some((user, _)) = store.user_by_name(&username).await? {
            user.staff_id
        } else {
            auth.create_user(
                &username,
                name,
                role,
                &area,
                staff_id.as_deref(),
                DEMO_PASSWORD,
                false,
            )
            .await?;
            staff_id
        };
        people.extend(staff_id);
    }
    Ok(people)
}
