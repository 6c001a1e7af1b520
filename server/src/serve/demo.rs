//! Demo mode's set-up: the demo logins (one per role, a district's
//! commander and administrator, and a field phone bound to a staff member),
//! all with one public password.

use riskmap_engine::Engine;
use riskmap_engine::model::AreaLevel;
use rustc_hash::FxHashSet;

use super::ServeError;
use crate::identity::{Auth, UserRole};
use crate::incident::Dictionary;
use crate::org::Department;
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

/// Each department type the shipped dictionary names: a short code for the
/// demo departments' codes (`{area}-{code}`, e.g. `330302001-zf`), and the
/// name of a district's or the city's office of that type (a street's unit
/// is named by the type itself).
const DEMO_KINDS: [(&str, &str, &str); 18] = [
    ("综治中心", "zz", "社会治理中心"),
    ("司法所", "sf", "司法局"),
    ("人民调解委员会", "tj", "人民调解委员会"),
    ("自然资源所", "zy", "自然资源和规划局"),
    ("人力社保所", "rs", "人力资源和社会保障局"),
    ("交警中队", "jj", "交警大队"),
    ("派出所", "ga", "公安局"),
    ("综合行政执法队", "zf", "综合行政执法局"),
    ("环卫所", "hw", "环境卫生管理处"),
    ("市政公用中心", "sz", "市政园林局"),
    ("应急管理站", "yj", "应急管理局"),
    ("消防救援站", "xf", "消防救援大队"),
    ("燃气安全办", "rq", "燃气安全管理办公室"),
    ("住建所", "zj", "住房和城乡建设局"),
    ("市场监管所", "sj", "市场监督管理局"),
    ("生态环境所", "st", "生态环境局"),
    ("社区卫生服务中心", "ws", "卫生健康局"),
    ("供电所", "gd", "供电公司"),
];

/// The demo city's departments (网格+), created once: every street has a
/// unit of each department type the incident dictionary routes to, and
/// every district and the city their office of each type (an escalated
/// incident routes to the district's; a city-wide one serves every grid).
async fn ensure_demo_departments(
    store: &dyn Store,
    engine: &Engine,
    dict: &Dictionary,
) -> Result<(), ServeError> {
    if !store.departments().await?.is_empty() {
        return Ok(());
    }
    let mut kinds: Vec<&str> = dict
        .categories()
        .iter()
        .map(|c| c.department.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let tree = engine.areas();
    let mut list = Vec::new();
    for (_, area) in tree.iter() {
        for (n, kind) in kinds.iter().enumerate() {
            // A configured type the table does not know gets a numbered code.
            let (short, office) = DEMO_KINDS.iter().find(|(k, _, _)| k == kind).map_or_else(
                || (format!("k{:02}", n + 1), *kind),
                |(_, c, o)| ((*c).to_owned(), *o),
            );
            let name = match area.level {
                AreaLevel::Street => format!("{}{kind}", area.name),
                AreaLevel::District | AreaLevel::City => format!("{}{office}", area.name),
                AreaLevel::Community | AreaLevel::Grid => continue,
            };
            list.push(Department {
                code: format!("{}-{short}", area.code),
                name,
                kind: (*kind).to_owned(),
                area: area.code.clone(),
                staff: Vec::new(),
                limits: None,
            });
        }
    }
    if !list.is_empty() {
        store.put_departments(&list, None).await?;
        tracing::info!(departments = list.len(), "demo departments created");
    }
    Ok(())
}

/// The demo city's departments and logins, created once; the staff ids of
/// the logins bound to a staff member.
pub(super) async fn ensure_demo_org(
    store: &dyn Store,
    auth: &Auth,
    engine: &Engine,
    dict: &Dictionary,
) -> Result<FxHashSet<String>, ServeError> {
    ensure_demo_departments(store, engine, dict).await?;
    let root = engine
        .areas()
        .iter()
        .find(|(_, a)| a.level == AreaLevel::City)
        .map(|(_, a)| a.code.clone());
    ensure_demo_users(store, auth, engine, root.as_deref()).await
}

/// The demo logins, created once. Answers the staff ids of the logins bound
/// to a staff member: the people the simulator leaves alone.
async fn ensure_demo_users(
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
                (staff_id.as_deref(), None),
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
