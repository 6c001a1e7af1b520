//! Connectors (对接): the other systems that push reports in (the 12345
//! hotline, 数字城管, a camera platform's AI alarms) and are answered back
//! (一网反馈). Pure: a source's record and checks, the request signature
//! both ways, a call-back's record and its retry schedule.
//!
//! A request is signed as GitHub and Stripe sign webhooks: HMAC-SHA256 of
//! `timestamp + "." + body` under the source's secret, the timestamp in
//! its own header so that a captured request cannot be replayed later.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use riskmap_engine::model::EpochMs;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

/// Header carrying the request's Unix time, seconds.
pub const TIMESTAMP_HEADER: &str = "x-riskmap-timestamp";
/// Header carrying `sha256=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "x-riskmap-signature";
/// How far a request's timestamp may be from the server's clock, seconds.
pub const MAX_SKEW_S: i64 = 300;
/// Longest name, title, ticket or category code, characters.
const MAX_TEXT: usize = 200;
/// Longest callback URL, bytes.
const MAX_URL: usize = 2_000;
/// A call-back is given up (marked failed, for an admin to retry) after
/// this many attempts.
pub const MAX_ATTEMPTS: i64 = 12;

/// Why a source or a pushed request was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConnectorError {
    /// A field is missing or malformed.
    #[error("{0}")]
    Invalid(String),
    /// The signature or timestamp does not check out.
    #[error("{0}")]
    Unauthorized(String),
    /// No such source.
    #[error("no intake source {0:?}")]
    UnknownSource(String),
}

/// What kind of system a source is: a camera source's reports are alarms
/// that name a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// 12345 热线 and other complaint lines.
    Hotline,
    /// A camera platform's alarms (雪亮工程, AI analysis).
    Camera,
    /// Any other platform (数字城管, 网格平安 …).
    Platform,
    /// 告警订阅: a system that pushes nothing and is sent every alert's
    /// changes (an SMS gateway, a duty officer's pager, another
    /// platform's alarm desk).
    Alerts,
}

impl SourceKind {
    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Hotline => "hotline",
            SourceKind::Camera => "camera",
            SourceKind::Platform => "platform",
            SourceKind::Alerts => "alerts",
        }
    }

    /// Parses the API name.
    #[must_use]
    pub fn parse(s: &str) -> Option<SourceKind> {
        [
            SourceKind::Hotline,
            SourceKind::Camera,
            SourceKind::Platform,
            SourceKind::Alerts,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An external system allowed to push reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeSource {
    /// Its name in the path `/api/intake/{name}`: letters, digits, `-`, `_`.
    pub name: String,
    /// What people call it (12345 热线).
    pub title: String,
    /// What kind of system it is.
    pub kind: SourceKind,
    /// Its category codes → the dictionary's minor category codes.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// The minor category of a code it sends that is not mapped (none:
    /// such a report is refused).
    #[serde(default)]
    pub default_category: Option<String>,
    /// Where state changes are sent back (`POST`) (none: not answered).
    #[serde(default)]
    pub callback_url: Option<String>,
    /// The shared secret both directions are signed with (never shown
    /// after it was made).
    #[serde(default, skip_serializing)]
    pub secret: String,
    /// Last changed.
    #[serde(default)]
    pub updated_ms: EpochMs,
}

impl IntakeSource {
    /// Checks the fields, each against `known` (whether a minor category
    /// code exists).
    pub fn check(&self, known: impl Fn(&str) -> bool) -> Result<(), ConnectorError> {
        let bad = |m: String| Err(ConnectorError::Invalid(m));
        if !is_name(&self.name) || matches!(self.name.as_str(), "sources" | "deliveries") {
            return bad(format!(
                "source name {:?}: 1–64 letters, digits, '-' or '_' (not sources or deliveries)",
                self.name
            ));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > MAX_TEXT {
            return bad(format!("title: 1–{MAX_TEXT} characters"));
        }
        if self.secret.len() < 16 || self.secret.len() > 200 {
            return bad("secret: 16–200 bytes".into());
        }
        for (ext, minor) in &self.categories {
            if ext.is_empty() || ext.chars().count() > MAX_TEXT {
                return bad(format!("category code {ext:?}: 1–{MAX_TEXT} characters"));
            }
            if !known(minor) {
                return bad(format!(
                    "category {ext:?} maps to {minor:?}, which is no minor category"
                ));
            }
        }
        if let Some(d) = &self.default_category
            && !known(d)
        {
            return bad(format!("default_category {d:?} is no minor category"));
        }
        if self.kind == SourceKind::Alerts
            && (self.callback_url.is_none()
                || !self.categories.is_empty()
                || self.default_category.is_some())
        {
            return bad(
                "a source of kind alerts is sent the alerts: it needs a callback_url, and                  pushes no reports (no categories)"
                    .into(),
            );
        }
        if let Some(url) = &self.callback_url
            && (url.len() > MAX_URL || !url.starts_with("http://") || url.len() <= 7)
        {
            return bad(format!(
                "callback_url {url:?}: an http:// URL (put a TLS proxy in front for https)"
            ));
        }
        Ok(())
    }

    /// The minor category a code of this source stands for.
    pub fn category(&self, code: &str) -> Result<String, ConnectorError> {
        self.categories
            .get(code)
            .or(self.default_category.as_ref())
            .cloned()
            .ok_or_else(|| {
                ConnectorError::Invalid(format!(
                    "category {code:?} is not mapped for source {} (and it has no default_category)",
                    self.name
                ))
            })
    }
}

/// Whether `s` is a valid source name.
#[must_use]
pub fn is_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
}

/// `sha256=<hex>` of `timestamp.body` under `secret`.
#[must_use]
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut m =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// Checks a pushed request's timestamp (within [`MAX_SKEW_S`] of `now`) and
/// signature (in constant time).
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: EpochMs,
) -> Result<(), ConnectorError> {
    let no = |m: &str| Err(ConnectorError::Unauthorized(m.to_owned()));
    let Some(ts) = timestamp.and_then(|t| t.trim().parse::<i64>().ok()) else {
        return no("X-Riskmap-Timestamp must be the request's Unix time in seconds");
    };
    if (now / 1000 - ts).abs() > MAX_SKEW_S {
        return no(
            "X-Riskmap-Timestamp is more than 300 s from the server's clock (a replay, or a wrong clock)",
        );
    }
    let Some(hex_sig) = signature.and_then(|s| s.trim().strip_prefix("sha256=")) else {
        return no("X-Riskmap-Signature must be sha256=<hex HMAC-SHA256 of timestamp.body>");
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return no("X-Riskmap-Signature is not hex");
    };
    mac(secret, ts, body)
        .verify_slice(&given)
        .or_else(|_| no("X-Riskmap-Signature does not match the body under the source's secret"))
}

/// Where a call-back is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackState {
    /// Waiting for its next attempt.
    Pending,
    /// Answered 2xx.
    Delivered,
    /// Given up after [`MAX_ATTEMPTS`] (an admin may retry it).
    Failed,
    /// The source has no callback URL.
    Skipped,
}

impl CallbackState {
    /// The API and store name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackState::Pending => "pending",
            CallbackState::Delivered => "delivered",
            CallbackState::Failed => "failed",
            CallbackState::Skipped => "skipped",
        }
    }

    /// Parses the name.
    #[must_use]
    pub fn parse(s: &str) -> Option<CallbackState> {
        [
            CallbackState::Pending,
            CallbackState::Delivered,
            CallbackState::Failed,
            CallbackState::Skipped,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A state change owed to a source's ticket (written with the change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Callback {
    /// Its id.
    pub id: i64,
    /// The source.
    pub source: String,
    /// Its ticket.
    pub ticket: String,
    /// The incident that changed (the ticket's own, or the one it was
    /// merged into).
    pub incident: String,
    /// The flow-log entry of the change.
    pub seq: i64,
    /// Where it is.
    pub state: CallbackState,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_ms: EpochMs,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was owed.
    pub created_ms: EpochMs,
    /// When it was answered.
    pub delivered_ms: Option<EpochMs>,
}

/// When the attempt after `attempts` failed ones is due: 2 s doubling to a
/// ten-minute ceiling.
#[must_use]
pub fn next_attempt(now: EpochMs, attempts: i64) -> EpochMs {
    let exp = attempts.clamp(0, 20) as u32;
    now + (2_000_i64 << exp).min(600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> IntakeSource {
        IntakeSource {
            name: "hotline12345".into(),
            title: "12345 热线".into(),
            kind: SourceKind::Hotline,
            categories: [("A01".to_owned(), "0101".to_owned())].into(),
            default_category: None,
            callback_url: Some("http://127.0.0.1:9/cb".into()),
            secret: "s".repeat(32),
            updated_ms: 0,
        }
    }

    /// A verification's inputs: secret, timestamp, signature, body, now.
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8], i64);

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let now = 1_800_000_000_000;
        let ts = now / 1000;
        let body = br#"{"ticket":"T1"}"#;
        let sig = sign("secret-secret-secret", ts, body);
        let ts_s = ts.to_string();
        assert_eq!(
            verify("secret-secret-secret", Some(&ts_s), Some(&sig), body, now),
            Ok(())
        );
        let later = (ts + 1).to_string();
        let right = "secret-secret-secret";
        // (secret, timestamp, signature, body, now): each one thing wrong.
        let cases: [Case<'_>; 7] = [
            ("secret-secret-secreT", Some(&ts_s), Some(&sig), body, now),
            (right, Some(&ts_s), Some(&sig), b"{}", now),
            (right, Some(&later), Some(&sig), body, now),
            // The same request replayed ten minutes later.
            (right, Some(&ts_s), Some(&sig), body, now + 600_000),
            (right, None, Some(&sig), body, now),
            (right, Some(&ts_s), None, body, now),
            (right, Some(&ts_s), Some("sha256=zz"), body, now),
        ];
        for (secret, t, s, b, at) in cases {
            assert!(
                matches!(
                    verify(secret, t, s, b, at),
                    Err(ConnectorError::Unauthorized(_))
                ),
                "{secret} {t:?} {s:?}"
            );
        }
    }

    #[test]
    fn sources_are_checked_field_by_field() {
        let known = |c: &str| c == "0101";
        assert_eq!(source().check(known), Ok(()));
        let mut s = source();
        s.name = "bad name".into();
        assert!(s.check(known).is_err());
        let mut s = source();
        s.secret = "short".into();
        assert!(s.check(known).is_err());
        let mut s = source();
        s.categories.insert("B".into(), "9999".into());
        assert!(s.check(known).is_err());
        let mut s = source();
        s.callback_url = Some("ftp://x".into());
        assert!(s.check(known).is_err());
    }

    #[test]
    fn codes_map_or_fall_back_to_the_default() {
        let mut s = source();
        assert_eq!(s.category("A01"), Ok("0101".into()));
        assert!(s.category("Z").is_err());
        s.default_category = Some("0101".into());
        assert_eq!(s.category("Z"), Ok("0101".into()));
    }

    #[test]
    fn retries_back_off_to_ten_minutes() {
        assert_eq!(next_attempt(0, 0), 2_000);
        assert_eq!(next_attempt(0, 3), 16_000);
        assert_eq!(next_attempt(0, 15), 600_000);
    }
}
