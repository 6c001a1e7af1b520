//! `riskmap users`: accounts on the store without a running server — the
//! list of logins, and a new password for one (a forgotten admin password
//! is reset here).

use std::fmt::Write as _;
use std::io::BufRead as _;
use std::time::Duration;

use super::ServeError;
use super::load::open_store;
use crate::config::UsersCommand;
use crate::identity::{Auth, AuthError};

/// Runs a `users` command; what it prints.
pub async fn run(command: UsersCommand) -> Result<String, ServeError> {
    match command {
        UsersCommand::List(store) => {
            let (store, _lock) = open_store(&store).await?;
            let mut out = String::new();
            for u in store.users().await? {
                let area = if u.area.is_empty() { "-" } else { &u.area };
                let _ = writeln!(
                    out,
                    "{:<20} {:<10} {:<16} {}",
                    u.username,
                    u.role.as_str(),
                    area,
                    u.display_name
                );
            }
            Ok(out)
        }
        UsersCommand::Passwd { username, store } => {
            let password = new_password()?;
            let (store, _lock) = open_store(&store).await?;
            // Sessions are not opened here: the lifetime does not matter.
            let auth = Auth::new(store, Duration::from_secs(3600));
            if auth.set_password(&username, &password).await? {
                Ok(format!(
                    "the password of {username} is set; their sessions are ended\n"
                ))
            } else {
                Err(ServeError::Auth(AuthError::NoSuchUser(username)))
            }
        }
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
