//! The audit log's writer: what authenticated principals did, appended by a
//! background task so that no request waits on the store for it (on the
//! embedded store, the one writer also commits the fixes). Entries queue in
//! a bounded channel; when it is full, the request that audits waits rather
//! than the entry being lost. Every field is bounded before it is stored.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::ingest::next_or_drain;
use crate::clock::now_ms;
use crate::identity::User;
use crate::store::{AuditEntry, Store};

/// Entries waiting for the writer.
const QUEUE: usize = 4_096;
/// Longest stored action (`METHOD /path`), characters.
const MAX_ACTION: usize = 200;
/// Longest stored username or area code, characters.
const MAX_NAME: usize = 128;
/// Longest stored address.
const MAX_IP: usize = 64;

/// The handle requests audit through.
#[derive(Debug, Clone)]
pub struct Auditor {
    tx: mpsc::Sender<AuditEntry>,
}

impl Auditor {
    /// Starts the writer; once `drain` turns true it writes what is queued
    /// and ends.
    pub fn start(
        store: Arc<dyn Store>,
        mut drain: watch::Receiver<bool>,
    ) -> (Auditor, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<AuditEntry>(QUEUE);
        let task = tokio::spawn(async move {
            loop {
                let Some(entry) = next_or_drain(&mut rx, &mut drain).await else {
                    break;
                };
                if let Err(e) = store.append_audit(&entry).await {
                    tracing::error!(error = %e, action = entry.action, "the audit log could not be written");
                }
            }
        });
        (Auditor { tx }, task)
    }

    /// Records what `user` did (`action`: `login`, `logout`, `METHOD /path`)
    /// and how it ended.
    pub async fn record(&self, user: &User, action: &str, status: u16, ip: &str) {
        let entry = AuditEntry {
            seq: 0,
            at_ms: now_ms(),
            username: bounded(&user.username, MAX_NAME),
            role: user.role.as_str().to_owned(),
            area: bounded(&user.area, MAX_NAME),
            action: bounded(action, MAX_ACTION),
            status: i64::from(status),
            ip: bounded(ip, MAX_IP),
        };
        if self.tx.send(entry).await.is_err() {
            tracing::error!(
                action,
                "the audit writer has stopped; an entry was not written"
            );
        }
    }
}

/// At most `max` characters of `s` (an ellipsis marks the cut).
fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_cut_to_their_bound() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "abc…");
        assert_eq!(bounded("网格化管理", 2), "网格…");
        assert_eq!(
            bounded(&"x".repeat(10_000), MAX_ACTION).chars().count(),
            MAX_ACTION + 1
        );
    }
}
