//! Passwords: argon2id hashes (PHC strings), checked in constant work
//! whether or not the user exists, on a bounded pool of blocking threads,
//! and readable generated passwords.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::sessions::AuthError;

/// An argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether a password matches a PHC string.
#[must_use]
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Runs argon2 off the async workers, a bounded number at a time. A hash
/// costs tens of milliseconds of CPU by design: two dozen logins hashed on
/// the async workers would stall every request and the live tick. Beyond
/// `queue` waiting, a login is refused at once ([`AuthError::Busy`]) rather
/// than queued without bound.
#[derive(Debug)]
pub struct Hasher {
    permits: tokio::sync::Semaphore,
    waiting: AtomicUsize,
    queue: usize,
}

impl Default for Hasher {
    /// Half the cores hash at once (the other half serve everyone else); 256
    /// may wait.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Hasher::new((cores / 2).max(1), 256)
    }
}

impl Hasher {
    /// `at_once` hashes at a time, `queue` more waiting.
    #[must_use]
    pub fn new(at_once: usize, queue: usize) -> Self {
        Hasher {
            permits: tokio::sync::Semaphore::new(at_once.max(1)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(&self, hash: String, password: String) -> Result<bool, AuthError> {
        self.run(move || verify_password(&hash, &password)).await
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        self.run(move || hash_password(&password)).await?
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(AuthError::Busy);
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let _permit = permit.map_err(|_| AuthError::Busy)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AuthError::Hash(e.to_string()))
    }
}

/// The shortest password a login may be given.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Of the four kinds of character (lowercase, uppercase, digits, any
/// other: symbols, Chinese …), how many a password must mix: three, as
/// China's graded protection rules (等保 2.0) ask of a login's password.
pub const MIN_PASSWORD_KINDS: usize = 3;

/// Whether `password` may be given to the login `username`: long enough,
/// mixing enough kinds of character, and not containing the username. The
/// error says which rule it breaks.
pub fn check_password(password: &str, username: &str) -> Result<(), AuthError> {
    let weak = |m: String| Err(AuthError::WeakPassword(m));
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return weak(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    let kinds = [
        password.chars().any(char::is_lowercase),
        password.chars().any(char::is_uppercase),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ];
    if kinds.iter().filter(|k| **k).count() < MIN_PASSWORD_KINDS {
        return weak(format!(
            "a password needs at least {MIN_PASSWORD_KINDS} of: lowercase letters, uppercase \
             letters, digits, other characters"
        ));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return weak("a password must not contain the username".into());
    }
    Ok(())
}

/// A readable random password for a generated account: 16 characters
/// without look-alikes (0/O, 1/l/I), mixing lowercase, uppercase and digits
/// as [`check_password`] asks.
#[must_use]
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    loop {
        let bytes: [u8; 16] = rand::random();
        let p: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        // About one draw in twelve lacks a kind: draw again.
        if check_password(&p, "").is_ok() {
            return p;
        }
    }
}

/// A valid argon2 hash of a random string, verified against when the user
/// does not exist so that a login's timing does not reveal it.
pub(super) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1fdJd6C3Jl1aG8yNbZ0f5L7A6yE0wq1s0Yp3m2w8k0Q";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("秘密 secret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "秘密 secret"));
        assert!(!verify_password(&h, "secret"));
        assert!(!verify_password("not a hash", "secret"));
    }

    #[test]
    fn password_rules_say_which_is_broken() {
        let rule = |p: &str, user: &str| match check_password(p, user) {
            Ok(()) => String::new(),
            Err(e) => e.to_string(),
        };
        assert!(rule("Short1!", "wang").contains("at least 10 characters"));
        assert!(rule("alllowercase", "wang").contains("at least 3 of"));
        assert!(rule("lower-and-symbols", "wang").contains("at least 3 of"));
        assert!(rule("lowerUPPERonly", "wang").contains("at least 3 of"));
        assert!(rule("Wang.Li-2026", "wang.li").contains("username"));
        assert_eq!(rule("Lime-Tree-2026", "wang.li"), "");
        // Chinese characters count as the fourth kind.
        assert_eq!(rule("网格员巡查password1", "wang"), "");
        assert!(rule("网格员巡查网格员巡查ab", "wang").contains("at least 3 of"));
    }

    #[test]
    fn generated_passwords_are_readable() {
        let p = new_password();
        assert_eq!(p.len(), 16);
        assert!(check_password(&p, "admin").is_ok());
        assert!(
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c))
        );
        assert_ne!(p, new_password());
    }
}
