//! `riskmap users`: logins on the store without a running server, for the
//! first setup and for scripts — list, add, disable, enable, bind to an
//! area, role or staff member, and a new password (a forgotten admin
//! password is reset here). The operator of the machine is trusted with
//! every area; the REST API (`/api/users`) holds administrators to theirs.

use std::fmt::Write as _;
use std::io::BufRead as _;
use std::time::Duration;

use super::ServeError;
use super::load::open_store;
use crate::config::UsersCommand;
use crate::identity::password::check_password;
use crate::identity::{AccountChanges, Auth, AuthError, UserRole};
use crate::store::{LayerData, LayerKind, Store};

/// Runs a `users` command; what it prints.
pub async fn run(command: UsersCommand) -> Result<String, ServeError> {
    match command {
        UsersCommand::List(store) => {
            let (store, _lock) = open_store(&store).await?;
            let mut out = String::new();
            for a in store.users().await? {
                let u = &a.user;
                let area = if u.area.is_empty() { "-" } else { &u.area };
                let _ = writeln!(
                    out,
                    "{:<20} {:<10} {:<16} {}{}",
                    u.username,
                    u.role.as_str(),
                    area,
                    u.display_name,
                    if a.disabled { "  (disabled)" } else { "" }
                );
            }
            Ok(out)
        }
        UsersCommand::Add {
            username,
            role,
            area,
            name,
            staff,
            department,
            store,
        } => {
            add(
                &store,
                &username,
                (role, &area),
                name.as_deref(),
                (staff.as_deref(), department.as_deref()),
            )
            .await
        }
        UsersCommand::Disable { username, store } => {
            let changes = AccountChanges {
                disabled: Some(true),
                ..AccountChanges::default()
            };
            change(&store, &username, &changes).await?;
            Ok(format!(
                "{username} is disabled; their sessions are ended\n"
            ))
        }
        UsersCommand::Enable { username, store } => {
            let changes = AccountChanges {
                disabled: Some(false),
                ..AccountChanges::default()
            };
            change(&store, &username, &changes).await?;
            Ok(format!("{username} is enabled\n"))
        }
        UsersCommand::Bind {
            username,
            area,
            role,
            staff,
            no_staff,
            department,
            no_department,
            store,
        } => {
            bind(
                &store,
                &username,
                AccountChanges {
                    area,
                    role,
                    staff_id: if no_staff {
                        Some(None)
                    } else {
                        staff.map(Some)
                    },
                    department: if no_department {
                        Some(None)
                    } else {
                        department.map(Some)
                    },
                    ..AccountChanges::default()
                },
            )
            .await
        }
        UsersCommand::Passwd { username, store } => {
            let password = new_password()?;
            let (store, _lock) = open_store(&store).await?;
            // Sessions are not opened here: the lifetime does not matter.
            let auth = Auth::new(store, Duration::from_secs(3600));
            // (No record for the cluster's log, as for `disable`: running
            // servers refuse the old sessions within a second.)
            auth.set_password(&username, &password, true, None).await?;
            Ok(format!(
                "the password of {username} is set; their sessions are ended; they must \
                 choose a new one at the next login\n"
            ))
        }
    }
}

/// `riskmap users add`: a login whose owner chooses a new password at the
/// first login.
async fn add(
    store: &crate::config::StoreArgs,
    username: &str,
    (role, area): (UserRole, &str),
    name: Option<&str>,
    (staff, department): (Option<&str>, Option<&str>),
) -> Result<String, ServeError> {
    let password = new_password()?;
    check_password(&password, username)?;
    let (store, _lock) = open_store(store).await?;
    check_binding(&*store, role, area, staff).await?;
    check_department(&*store, department).await?;
    let auth = Auth::new(store, Duration::from_secs(3600));
    let display = name.unwrap_or(username);
    // The operator chose the password: its owner chooses their own
    // at the first login.
    auth.create_user(
        username,
        display,
        role,
        area,
        (staff, department),
        &password,
        true,
    )
    .await?;
    Ok(format!(
        "{username} ({}) can log in, and must choose a new password at the first login\n",
        role.as_str()
    ))
}

/// `riskmap users bind`: what it prints.
async fn bind(
    store: &crate::config::StoreArgs,
    username: &str,
    changes: AccountChanges,
) -> Result<String, ServeError> {
    let account = change(store, username, &changes).await?;
    let u = &account.user;
    Ok(format!(
        "{username}: {} in {} (staff {}, department {})\n",
        u.role.as_str(),
        if u.area.is_empty() { "-" } else { &u.area },
        u.staff_id.as_deref().unwrap_or("-"),
        u.department.as_deref().unwrap_or("-")
    ))
}

/// Applies `changes` to a login, its new binding checked against the store.
async fn change(
    store: &crate::config::StoreArgs,
    username: &str,
    changes: &AccountChanges,
) -> Result<crate::identity::Account, ServeError> {
    let (store, _lock) = open_store(store).await?;
    let no_such = || ServeError::Auth(AuthError::NoSuchUser(username.to_owned()));
    let before = store.account(username).await?.ok_or_else(no_such)?;
    let role = changes.role.unwrap_or(before.user.role);
    let area = changes.area.as_deref().unwrap_or(&before.user.area);
    let staff = match &changes.staff_id {
        Some(s) => s.as_deref(),
        None => before.user.staff_id.as_deref(),
    };
    check_binding(&*store, role, area, staff).await?;
    if let Some(d) = &changes.department {
        check_department(&*store, d.as_deref()).await?;
    }
    // (No record for the cluster's log: nothing here publishes it. Running
    // servers refuse the login's requests within a second and close its
    // sockets within two, when they next check them against the store.)
    store
        .change_account(username, changes, None)
        .await?
        .map(|(account, _)| account)
        .ok_or_else(no_such)
}

/// Whether the store knows the area and the staff member a login names (a
/// field login must name one; only an administrator may have no area).
async fn check_binding(
    store: &dyn Store,
    role: UserRole,
    area: &str,
    staff: Option<&str>,
) -> Result<(), ServeError> {
    let refuse = |m: String| Err(ServeError::Config(m));
    if area.is_empty() {
        if role != UserRole::Admin {
            return refuse("--area: only an administrator's login may have no area".into());
        }
    } else if let LayerData::Areas(areas) = store.read_layer(LayerKind::Areas).await?
        && !areas.iter().any(|a| a.code == area)
    {
        return refuse(format!("--area: the store has no area {area:?}"));
    }
    match staff {
        None if role == UserRole::Field => {
            refuse("a field login needs --staff: the staff member it is".into())
        }
        None => Ok(()),
        Some(id) => match store.read_layer(LayerKind::Staff).await? {
            LayerData::Staff(staff) if staff.iter().any(|s| s.id == id) => Ok(()),
            _ => refuse(format!("--staff: the store has no staff member {id:?}")),
        },
    }
}

/// Whether the store knows the department a login is to belong to.
async fn check_department(store: &dyn Store, department: Option<&str>) -> Result<(), ServeError> {
    match department {
        Some(code) if !store.departments().await?.iter().any(|d| d.code == code) => {
            Err(ServeError::Config(format!(
                "--department: the store has no department {code:?}"
            )))
        }
        _ => Ok(()),
    }
}

/// The new password: `RISKMAP_NEW_PASSWORD`, or the first line of standard
/// input.
fn new_password() -> Result<String, ServeError> {
    if let Ok(p) = std::env::var("RISKMAP_NEW_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| ServeError::Config(format!("reading the new password: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
